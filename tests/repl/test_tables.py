"""Querysets as tables: every hidden column counted and named once, the fields that name an object first."""

from __future__ import annotations

import pytest
from django.db import models
from django.test.utils import isolate_apps

from tenant_console.core.repl import render as render_module
from tenant_console.core.repl.render import Rendered, render
from tenant_console.core.repl.runner import ReplRunner


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
