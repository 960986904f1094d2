"""Delete: the preview is what Django deletes; other tenants are refused; the backup restores; one transaction."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from conference.models import ActivityLog, Answer, Event, Review, Submission, Tag
from django.core import serializers

from tenant_console.core.delete import CascadeChanged, DeleteRefused
from tenant_console.core.errors import ConsoleError
from tenant_console.core.export.storage import LocalOutput

pytestmark = pytest.mark.mariadb


def counts(deleter) -> dict[str, int]:
    models = (Event, Submission, Review, Answer, ActivityLog, Tag, Submission.tags.through)

    def read() -> dict[str, int]:
        return {m._meta.label_lower: m._base_manager.using(deleter.alias).count() for m in models}

    return deleter.raw(read)


def snapshot(deleter, model: Any, pks: list[Any]) -> list[dict[str, Any]]:
    """Rows as Django's serializer sees them (every field, m2m included), for field-by-field comparison."""

    def read() -> list[dict[str, Any]]:
        objs = model._base_manager.using(deleter.alias).filter(pk__in=pks).order_by("pk")
        return json.loads(serializers.serialize("json", objs))

    return deleter.raw(read)


def democon_submission(deleter, with_duplicates: bool = False) -> int:
    """A democon submission that has reviews, answers and tags (and others marked duplicates of it)."""

    def find() -> int:
        qs = Submission._base_manager.using(deleter.alias).filter(event__slug="democon", reviews__isnull=False,
                                                                  answers__isnull=False, tags__isnull=False)
        if with_duplicates:
            qs = qs.filter(duplicates__isnull=False)
        return int(qs.order_by("pk").values_list("pk", flat=True).first())

    return deleter.raw(find)


def test_preview_is_exactly_what_django_deletes(deleter, tmp_path):
    pk = democon_submission(deleter, with_duplicates=True)
    roots, preview = deleter.preview("democon", f"conference.Submission.{pk}")
    assert preview.counts()["conference.submission"] == 1
    assert preview.counts()["conference.review"] >= 1 and preview.counts()["conference.answer"] >= 1
    assert preview.counts()["conference.submission_tags"] >= 1  # many-to-many links go with it
    assert preview.counts()["conference.activitylog"] >= 1  # through the GenericRelation
    assert [u.label for u in preview.updates] == ["conference.submission"]  # duplicate_of SET_NULL
    assert preview.updates[0].fields == {"duplicate_of": "NULL"}
    assert not preview.cross_tenant and not preview.blockers and not preview.tenants_deleted
    before = counts(deleter)
    report = deleter.apply("democon", roots, preview, LocalOutput(tmp_path / "b.jsonl.gz"))
    assert report.deleted == {k: v for k, v in preview.counts().items()}
    after = counts(deleter)
    for label, n in preview.counts().items():
        if label in before:
            assert before[label] - after[label] == n, label
    dup_pks = preview.updates[0].pks
    assert deleter.raw(lambda: list(Submission._base_manager.using(deleter.alias).filter(pk__in=dup_pks)
                                    .values_list("duplicate_of", flat=True))) == [None] * len(dup_pks)


def test_preview_queries_grow_with_models_not_rows(deleter):
    one = democon_submission(deleter)
    _, single = deleter.preview("democon", f"conference.Submission.{one}")
    _, many = deleter.preview("democon", "conference.Submission", filter_text="state__isnull=False")
    assert many.counts()["conference.submission"] >= 30
    assert many.total > 10 * single.total / 2
    # one query per model and relation (batched), not per row: 30 times the rows, about the same queries
    assert many.queries <= single.queries + 15, (single.queries, many.queries)


def test_a_cascade_into_another_tenant_is_refused(deleter, tmp_path):
    # The seed plants a democon review of a pycon-nordic submission: deleting that submission (in
    # pycon-nordic) would delete democon's review.
    def planted() -> tuple[int, int]:
        review = Review._base_manager.using(deleter.alias).get(text__contains="planted cross-tenant")
        return review.submission_id, review.pk

    sub_pk, review_pk = deleter.raw(planted)
    roots, preview = deleter.preview("pycon-nordic", f"conference.Submission.{sub_pk}")
    assert [(c.label, c.pk, c.action) for c in preview.cross_tenant] == [("conference.review", review_pk, "delete")]
    row = preview.cross_tenant[0]
    assert "democon" in row.tenant and f"its submission (conference.submission {sub_pk}) is deleted" in row.path
    assert preview.deletes[[m.label for m in preview.deletes].index("conference.review")].other_count == 1
    before = counts(deleter)
    with pytest.raises(DeleteRefused, match="another tenant"):
        deleter.apply("pycon-nordic", roots, preview, LocalOutput(tmp_path / "b.jsonl.gz"))
    assert counts(deleter) == before
    assert not list(tmp_path.iterdir())  # refused before the backup
    report = deleter.apply("pycon-nordic", roots, preview, LocalOutput(tmp_path / "b.jsonl.gz"),
                           allow_cross_tenant=True)
    assert report.deleted["conference.review"] == preview.counts()["conference.review"]
    assert not deleter.raw(lambda: Review._base_manager.using(deleter.alias).filter(pk=review_pk).exists())


def test_objects_of_another_tenant_and_shared_models_are_not_roots(deleter):
    other = deleter.raw(lambda: Submission._base_manager.using(deleter.alias)
                        .filter(event__slug="pycon-nordic").values_list("pk", flat=True).first())
    with pytest.raises(DeleteRefused, match="belongs to another tenant"):
        deleter.roots("democon", f"conference.Submission.{other}")
    with pytest.raises(DeleteRefused, match="belongs to no tenant"):
        deleter.roots("democon", "auth.User.1")
    with pytest.raises(ConsoleError, match=r"There is no conference\.Submission with primary key 999999"):
        deleter.roots("democon", "conference.Submission.999999")
    with pytest.raises(ConsoleError, match="--filter takes one model"):
        deleter.roots("democon", "conference.Submission.1", filter_text="state=accepted")


def test_protect_blocks_and_the_tenant_itself_needs_its_own_confirmation(deleter, tmp_path):
    event = deleter.events["democon"]
    roots, preview = deleter.preview("democon", f"conference.Event.{event}")
    assert preview.tenants_deleted and "democon" in preview.tenants_deleted[0]
    assert [(b.label, b.how) for b in preview.blockers] == [("conference.submission", "protect")]
    assert len(preview.blockers[0].pks) == 40 and "Submission.event" in preview.blockers[0].relation
    from tenant_console.core.delete import refusals

    reasons = refusals(preview, allow_cross_tenant=True, tenant_confirmation=None, tenant_slug="democon")
    assert any("protect what you delete" in r for r in reasons)
    assert any("--confirm-tenant democon" in r for r in reasons)
    before = counts(deleter)
    with pytest.raises(DeleteRefused):
        deleter.apply("democon", roots, preview, LocalOutput(tmp_path / "b.jsonl.gz"), allow_cross_tenant=True,
                      tenant_confirmation="democon", tenant_slug="democon")
    assert counts(deleter) == before


def test_backup_restores_every_row_field_by_field(deleter, project, tmp_path):
    pk = democon_submission(deleter, with_duplicates=True)
    roots, preview = deleter.preview("democon", f"conference.Submission.{pk}")
    touched = {m.label: list(m.pks) for m in (*preview.deletes, *preview.updates)}
    by_label = {m._meta.label_lower: m for m in (Submission, Review, Answer, ActivityLog)}
    before = {label: snapshot(deleter, by_label[label], pks) for label, pks in touched.items() if label in by_label}
    backup = tmp_path / "deleted" / "backup.jsonl.gz"
    backup.parent.mkdir(mode=0o700)
    report = deleter.apply("democon", roots, preview, LocalOutput(backup))
    assert report.backup == str(backup)
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    manifest = json.loads(Path(str(backup).replace(".jsonl.gz", ".manifest.json")).read_text())
    assert manifest["purpose"] == "delete backup"

    from tenant_console.core.importer import Decisions, apply_import, build_plan, read_export, resolve

    export = read_export(backup)
    plan = deleter.session.run(build_plan, export, deleter.alias, project.registry, None, readonly=True,
                               scoped=False)
    summary = plan.summary()
    assert summary["conference.submission"].get("new") == 1  # the deleted row comes back as new
    assert summary["conference.review"].get("new") == preview.counts()["conference.review"]
    decisions = Decisions(default={"changed": "overwrite"})  # the SET_NULL rows: back to what they were
    decisions.implied = plan.retarget.implied()
    resolution = resolve(plan, decisions)
    assert resolution.complete, resolution.undecided[:3]
    deleter.session.run(apply_import, plan, resolution, readonly=False, scoped=False)
    after = {label: snapshot(deleter, by_label[label], pks) for label, pks in touched.items() if label in by_label}
    assert after == before


def test_a_cascade_that_changed_since_the_preview_deletes_nothing(deleter, tmp_path):
    pk = democon_submission(deleter)
    roots, preview = deleter.preview("democon", f"conference.Submission.{pk}")

    def add_review() -> None:
        sub = Submission._base_manager.using(deleter.alias).get(pk=pk)
        Review._base_manager.using(deleter.alias).create(event_id=sub.event_id, submission=sub, score=1, text="late",
                                                          created=sub.created)

    deleter.raw(add_review)
    before = counts(deleter)
    with pytest.raises(CascadeChanged) as info:
        deleter.apply("democon", roots, preview, LocalOutput(tmp_path / "b.jsonl.gz"))
    assert info.value.preview.counts()["conference.review"] == preview.counts()["conference.review"] + 1
    assert counts(deleter) == before
    assert not list(tmp_path.iterdir())


def test_dry_run_deletes_in_a_transaction_that_is_rolled_back(deleter):
    pk = democon_submission(deleter)
    roots, preview = deleter.preview("democon", f"conference.Submission.{pk}")
    before = counts(deleter)
    report = deleter.apply("democon", roots, preview, None, dry_run=True)
    assert report.dry_run and report.deleted == preview.counts() and report.backup is None
    assert counts(deleter) == before


def test_a_backup_that_cannot_be_written_stops_the_delete(deleter, tmp_path):
    pk = democon_submission(deleter)
    roots, preview = deleter.preview("democon", f"conference.Submission.{pk}")
    before = counts(deleter)
    with pytest.raises(ConsoleError, match="does not exist"):
        deleter.apply("democon", roots, preview, LocalOutput(tmp_path / "missing" / "b.jsonl.gz"))
    assert counts(deleter) == before


def test_removing_links_of_another_tenants_object_is_a_cross_tenant_change(deleter):
    # A democon tag linked from a pycon-nordic submission: deleting the tag removes that link.
    def link() -> tuple[int, int]:
        tag = Tag._base_manager.using(deleter.alias).filter(event__slug="democon").order_by("pk").first()
        other = Submission._base_manager.using(deleter.alias).filter(event__slug="pycon-nordic").order_by("pk")[0]
        other.tags.add(tag)
        return tag.pk, other.pk

    tag_pk, other_pk = deleter.raw(link)
    _, preview = deleter.preview("democon", f"conference.Tag.{tag_pk}")
    assert ("conference.submission", other_pk, "update") in [(c.label, c.pk, c.action) for c in preview.cross_tenant]


def test_a_blocked_preview_still_lists_the_whole_cascade(deleter):
    """PROTECT does not cut the walk short: every row that would go once the blockers are dealt with is listed.

    Django's collector raises at the first protected relation, before the model's fast deletes and
    generic relations and before the relations not yet walked (operator trial on pretalx: a blocked
    submission's speaker roles were missing). The event's activity log is a fast delete, so it was missing here.
    """
    from conference.models import ChoiceQuestion, Question, Room, SpeakerProfile, TalkSlot, Track

    event = deleter.events["democon"]
    _roots, preview = deleter.preview("democon", f"conference.Event.{event}")
    assert [(b.label, b.how) for b in preview.blockers] == [("conference.submission", "protect")]

    def expected() -> dict[str, int]:
        def n(model: Any, **lookup: Any) -> int:
            return model._base_manager.using(deleter.alias).filter(**lookup).count()

        tags = Submission.tags.through
        found = {"conference.event": 1, "conference.answer": n(Answer, question__event=event),
                 "conference.submission_tags": n(tags, tag__event=event)}
        for model in (ActivityLog, Review, Tag, Track, Room, SpeakerProfile, Question, ChoiceQuestion, TalkSlot):
            found[model._meta.label_lower] = n(model, event=event)
        return {label: count for label, count in found.items() if count}

    want = deleter.raw(expected)
    assert want["conference.activitylog"] > 0 and want["conference.review"] > 0
    assert preview.counts() == want
    assert "conference.submission" not in preview.counts()  # they block; they are not deleted
