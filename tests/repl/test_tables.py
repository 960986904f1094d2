"""Querysets as tables: every hidden column counted and named once, the fields that name an object
first, and foreign key cells that point into another tenant marked (one query per FK column)."""

from __future__ import annotations

import pytest
from django.db import models
from django.test.utils import isolate_apps

from tenant_console.core.repl import render as render_module
from tenant_console.core.repl.render import Rendered, render
from tenant_console.core.repl.runner import ReplRunner

# The seed plants one review in democon whose submission is pycon-nordic's.
PLANTED = "Review.objects.filter(submission__event__slug='pycon-nordic')"
FOREIGN_LINE = ("⚠ 1 reference in the shown rows points into another tenant (marked ⚠): "
                "submission → event=PyCon Nordic (pycon-nordic)")


def test_hidden_note_counts_and_names_the_same_columns():
    table = Rendered("table", columns=("id", "title"), rows=(("1", "x"),), omitted=("abstract", "notes"))
    assert table.hidden_note() == "2 more columns not shown: abstract, notes (_[0] shows every field of a row)"
    # Dropped for the width (read earlier) come first; one count for both.
    assert table.hidden_note(["title"]) == (
        "3 more columns not shown: title, abstract, notes (_[0] shows every field of a row)")
    many = Rendered("table", columns=("id",), rows=(("1",),), omitted=tuple(f"f{i}" for i in range(15)))
    assert many.hidden_note() == ("15 more columns not shown: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11 "
                                  "and 3 more (_[0] shows every field of a row)")
    assert Rendered("table", columns=("id",)).hidden_note() == ""


def test_a_table_names_every_field_it_does_not_carry(repl: ReplRunner, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(render_module, "MAX_COLUMNS", 6)
    res = repl.run("Submission.objects.order_by('pk')")
    assert res.ok, res.error
    table = res.value
    # The key, the fields that name a submission (title, code), the state, then links, in model order.
    assert table.columns == ("id", "event", "code", "title", "state", "track")
    assert [table.columns[i] for i in table.reading_order()] == ["id", "code", "title", "state", "event", "track"]
    assert table.omitted == ("duplicate_of", "duration", "created", "abstract", "custom_data")
    lines = table.as_text().split("\n")
    assert lines[-2] == "40 rows, first 10 shown"
    assert lines[-1] == ("5 more columns not shown: duplicate_of, duration, created, abstract, custom_data "
                         "(_[0] shows every field of a row)")
    assert "more columns" not in table.note  # said once, with the names


@isolate_apps("conference")
def test_the_fields_that_name_an_object_beat_secret_tokens():
    """pretalx: ``invitation_token`` and ``review_code`` were read before ``track`` and ``submission_type``."""

    class Track(models.Model):
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "conference"

    class Kind(models.Model):
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "conference"

    class Talk(models.Model):
        invitation_token = models.CharField(max_length=32)
        review_code = models.CharField(max_length=32, unique=True)
        code = models.CharField(max_length=16, unique=True)
        content_locale = models.CharField(max_length=32)
        track = models.ForeignKey(Track, on_delete=models.CASCADE)
        submission_type = models.ForeignKey(Kind, on_delete=models.CASCADE)
        state = models.CharField(max_length=12, choices=[("s", "submitted"), ("a", "accepted")])
        title = models.CharField(max_length=200)
        description = models.TextField()

        class Meta:
            app_label = "conference"

    talk = Talk(pk=7, invitation_token="tok", review_code="rc", code="ABC", content_locale="en", track_id=2,
                submission_type_id=3, state="s", title="Tenancy in practice", description="long")
    table = render([talk])
    assert table is not None and table.kind == "table"
    assert [table.columns[i] for i in table.reading_order()] == [
        "id", "code", "title", "state", "track", "submission_type", "review_code", "content_locale",
        "description", "invitation_token"]
    assert table.as_text().split("\n")[1:3] == [
        "id  invitation_token  review_code  code  content_locale  track  submission_type  state  title"
        "                description",
        "7   tok               rc           ABC   en              2      3                s      Tenancy in practice"
        "  long       ",
    ]


def test_a_foreign_key_into_another_tenant_is_marked_in_the_table(repl: ReplRunner):
    res = repl.run(PLANTED)
    assert res.ok, res.error
    table = res.value
    submission = repl.run("_[0].submission_id").value.text
    row = dict(zip(table.columns, table.rows[0], strict=True))
    assert row["submission"] == f"⚠ {submission}"
    assert [c for name, c in row.items() if name != "submission" and "⚠" in c] == []
    assert table.warning == FOREIGN_LINE  # the review itself is democon's: only the reference is flagged
    assert table.as_text().split("\n")[-2:] == ["1 row", FOREIGN_LINE]
    # The check: one query reads the submissions' events (the event and user columns cost none), one names
    # the other tenant.
    checks = [q.sql.replace("`", '"') for q in res.queries if q.check]
    assert len(checks) == 2, checks
    assert checks[0].startswith('SELECT "conference_submission"."id"') and 'FROM "conference_event"' in checks[1]


@pytest.mark.parametrize("source", ["Review.objects.order_by('-pk')[:10]", "list(Review.objects.order_by('-pk')[:10])"])
def test_references_are_checked_per_column_not_per_row(repl: ReplRunner, source: str):
    """The planted review is the newest: one of ten rows, one query for its ten submissions."""
    res = repl.run(source)
    assert res.ok, res.error
    table = res.value
    marked = [(i, name) for i, row in enumerate(table.rows) for name, c in zip(table.columns, row, strict=True)
              if "⚠" in c]
    assert marked == [(0, "submission")]
    assert table.warning == FOREIGN_LINE
    submissions = [q for q in res.queries if "conference_submission" in q.sql and "conference_review" not in q.sql
                   and "COUNT" not in q.sql]
    assert len(submissions) == 1, [q.sql for q in res.queries]
    assert submissions[0].check  # echoed as the console's tenant check, not the input's query
    own = [q.sql for q in res.queries if not q.check]
    assert len(own) == 1 and own[0].replace("`", '"').startswith('SELECT "conference_review"'), own


@pytest.mark.parametrize("source", ["Submission.objects.all()", "Answer.objects.all()", "Review.objects.all()",
                                    "TalkSlot.objects.all()"])
def test_in_scope_references_are_not_marked(repl: ReplRunner, source: str):
    res = repl.run(source)
    assert res.ok, (source, res.error)
    assert "⚠" not in res.value.as_text(), source


@pytest.mark.parametrize("scope", ["disabled", "none"])
def test_no_marks_without_an_active_tenant(repl: ReplRunner, scope: str):
    repl.set_scope(None, disabled=scope == "disabled")
    res = repl.run("Review._base_manager.filter(submission__event__slug='pycon-nordic')"
                   ".exclude(event__slug='pycon-nordic')")
    assert res.ok, res.error
    assert len(res.value.rows) == 1 and "⚠" not in res.value.as_text()


def test_the_operators_case_an_answer_pointing_at_another_events_submission(repl: ReplRunner, event_pks):
    """opsfest: an answer (scoped through ``question__event``) whose submission is democon's, made in the
    REPL's own transaction and rolled back after the test."""
    repl.set_scope({"event": event_pks["opsfest"]})
    repl.enable_writes().result(10)
    made = repl.run("a = Answer.objects.filter(submission__isnull=False).order_by('pk')[0]\n"
                    "a.submission = Submission._base_manager.filter(event__slug='democon').order_by('pk')[0]\n"
                    "a.save()\n")
    assert made.ok and made.writes == 1, made.error
    res = repl.run("Answer.objects.filter(submission__isnull=False).order_by('pk')[:3]")
    assert res.ok, res.error
    table = res.value
    cells = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    assert cells[0]["submission"] == f"⚠ {repl.run('a.submission_id').value.text}"
    assert ["⚠" in c for row in cells for c in row.values()].count(True) == 1
    assert table.warning == ("⚠ 1 reference in the shown rows points into another tenant (marked ⚠): "
                             "submission → event=DemoCon 2026 (democon)")
    # The answers' own tenant (question__event) costs one query, read once for the rows and their cells;
    # then one per FK column into scoped data (question, submission) and one naming the other tenant.
    checks = [q.sql.replace("`", '"') for q in res.queries if q.check]
    assert len(checks) == 4, checks
    assert [c.split(" FROM ")[1].split()[0] for c in checks] == [
        '"conference_answer"', '"conference_question"', '"conference_submission"', '"conference_event"']
