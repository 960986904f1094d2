"""Completeness, completion, history and namespace: the pieces around the runner."""

from __future__ import annotations

import pytest

from tenant_console.core.repl.compile import check, next_indent
from tenant_console.core.repl.history import History, history_path
from tenant_console.core.repl.namespace import build_namespace, model_names
from tenant_console.core.repl.runner import ReplRunner


@pytest.mark.parametrize(("source", "status"), [
    ("Submission.objects.count()", "complete"),
    ("for s in qs:", "incomplete"),
    ("for s in qs:\n    print(s)", "incomplete"),  # a block ends with a blank line, as in the REPL
    ("for s in qs:\n    print(s)\n", "complete"),
    ("x = (1,\n", "incomplete"),
    ("a = 1\nb = 2", "complete"),
    ("a = 1\nfor x in y:\n    pass", "incomplete"),
    ("x = = 1", "invalid"),
    ("", "incomplete"),
])
def test_completeness_like_the_standard_repl(source, status):
    assert check(source).status == status


def test_next_indent():
    assert next_indent("for x in y:") == "    "
    assert next_indent("for x in y:\n    if x:") == "        "
    assert next_indent("def f():\n    return 1") == ""


def test_completion_offers_model_fields_and_lookups(repl: ReplRunner):
    def names(src: str) -> list[str]:
        return [c.text for c in repl.complete(src, 1, len(src)).result(30)]

    assert "title" in names("Submission.ti")
    assert "state" in names("Submission.objects.filter(sta")
    assert "event__slug" in names("Submission.objects.filter(event__sl")
    assert "title__icontains" in names("Submission.objects.filter(title__ico")
    assert "created" in names("Submission.objects.order_by('-cre") or "code" in names("Submission.objects.order_by('co")
    assert "slug" in names("event.sl"), "the bound tenant completes from the live instance"
    assert "submissions" in names("event.sub") or "submission_set" in names("event.sub")
    assert "count" in names("Submission.objects.cou")


def test_history_survives_a_restart_and_is_searchable(tmp_path):
    path = history_path(tmp_path, "demo.settings")
    h = History(path)
    h.append("Submission.objects.count()")
    h.append("for s in Submission.objects.all():\n    print(s)")
    h.append("for s in Submission.objects.all():\n    print(s)")  # a repeat is not stored twice
    h.append("event.name")
    again = History(path)
    assert again.entries == h.entries and len(again.entries) == 3
    assert again.search("submission") == ["for s in Submission.objects.all():\n    print(s)",
                                            "Submission.objects.count()"]
    cursor = again.cursor()
    assert cursor.previous("draft") == "event.name"
    assert cursor.previous("") == "for s in Submission.objects.all():\n    print(s)"
    assert cursor.next() == "event.name"
    assert cursor.next() == "draft"


def test_namespace_qualifies_clashing_names(project):
    class Meta:
        app_label = "auth"

    from conference.models import Tag
    from django.contrib.auth.models import Group

    fake = type("Tag", (), {"__name__": "Tag", "_meta": Meta})
    names = model_names([Tag, Group, fake])  # type: ignore[list-item]
    assert "Tag" not in names and names["conference_Tag"] is Tag and names["auth_Tag"] is fake
    assert names["Group"] is Group
    ns = build_namespace(project)
    for helper in ("Q", "F", "Count", "Sum", "transaction", "timezone", "settings"):
        assert helper in ns
    assert ns["Submission"].__name__ == "Submission" and "event" not in ns
