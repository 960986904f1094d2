"""The isolation audit finds every kind of cross-tenant reference with one query per check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tenant_console.core.errors import ConsoleError
from tenant_console.core.graph.isolation_audit import plan, run_audit

pytestmark = pytest.mark.mariadb


def test_finds_the_planted_review(project, db_alias, planted, event_pks) -> None:
    report = run_audit(project.registry, db_alias)
    assert not report.clean
    assert [(f.relation, f.source_pk, f.target_pk) for f in report.findings] == [
        ("conference.Review.submission", planted.pk, planted.submission_id)]
    finding = report.findings[0]
    assert (finding.source_tenant, finding.target_tenant) == (event_pks["democon"], event_pks["pycon-nordic"])
    data = report.as_dict()
    assert data["findings"][0]["source_tenant"]["label"] == "DemoCon 2026 (democon)"
    assert data["findings"][0]["target_tenant"]["label"] == "PyCon Nordic (pycon-nordic)"


def test_plan_skips_scope_paths_and_covers_every_kind(project) -> None:
    checks, _ = plan(project.registry)
    labels = {c.label for c in checks}
    assert "conference.Review.submission" in labels  # FK with its own event
    assert "conference.Submission.tags" in labels  # auto m2m table
    assert "conference.Answer.submission" in labels  # scoped through question__event
    assert "conference.ActivityLog.content_object->conference.Submission" in labels  # generic FK
    assert "conference.Review.event" not in labels  # the scope path itself cannot differ
    assert "conference.SpeakerRole.submission" not in labels  # scoped by submission__event
    assert "conference.Submission.speakers" not in labels  # explicit through: its FKs are the checks
    with pytest.raises(ConsoleError, match="Did you mean 'event'"):
        plan(project.registry, "evnt")


def test_every_relation_kind_on_planted_rows(project, target_alias) -> None:
    from conference import models as m
    from conference.seeding import seed

    seed(target_alias, events=2, submissions=4)
    db = target_alias
    # Remove the seeded plant so that only the references below are there.
    m.Review._base_manager.using(db).filter(text__startswith="Reviewed from the wrong event").delete()
    assert run_audit(project.registry, db).clean
    a, b = m.Event._base_manager.using(db).order_by("pk")[:2]
    sub_a = m.Submission._base_manager.using(db).filter(event=a).order_by("pk").first()
    sub_b = m.Submission._base_manager.using(db).filter(event=b).order_by("pk").first()
    tag_b = m.Tag._base_manager.using(db).filter(event=b).first()
    room_b = m.Room._base_manager.using(db).filter(event=b).first()
    question_a = m.Question._base_manager.using(db).filter(event=a).first()
    sub_a.tags.add(tag_b)  # m2m
    m.Submission._base_manager.using(db).filter(pk=sub_a.pk).update(duplicate_of=sub_b)  # self FK
    answer = m.Answer._base_manager.using(db).create(question=question_a, submission=sub_b, answer="x")  # path
    slot = m.TalkSlot._base_manager.using(db).create(event=a, room=room_b)  # FK
    ct = ContentType.objects.db_manager(db).get_for_model(m.Submission)
    log = m.ActivityLog._base_manager.using(db).create(event=a, content_type=ct, object_id=sub_b.pk,
                                                      action_type="x", timestamp=dt.datetime.now(dt.timezone.utc))
    with CaptureQueriesContext(connections[db]) as captured:
        report = run_audit(project.registry, db)
    found = {(f.relation, f.source_pk, f.target_pk) for f in report.findings}
    assert found == {
        ("conference.Submission.tags", sub_a.pk, tag_b.pk),
        ("conference.Submission.duplicate_of", sub_a.pk, sub_b.pk),
        ("conference.Answer.submission", answer.pk, sub_b.pk),
        ("conference.TalkSlot.room", slot.pk, room_b.pk),
        ("conference.ActivityLog.content_object->conference.Submission", log.pk, sub_b.pk),
    }
    assert all((f.source_tenant, f.target_tenant) == (a.pk, b.pk) for f in report.findings)
    # Set-based: at most one statement per check, plus the DISTINCT content types and the tenant labels.
    assert report.queries == len(captured.captured_queries)
    assert report.queries <= len(report.checks) + 2
    only = run_audit(project.registry, db, limit=1)
    assert only.total == len(found)


def test_limit_counts_the_rest(project, target_alias) -> None:
    from conference import models as m
    from conference.seeding import seed

    seed(target_alias, events=2, submissions=3)
    a, b = m.Event._base_manager.using(target_alias).order_by("pk")[:2]
    sub_b = m.Submission._base_manager.using(target_alias).filter(event=b).first()
    m.Review._base_manager.using(target_alias).bulk_create([
        m.Review(event=a, submission=sub_b, created=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        for _ in range(4)])
    report = run_audit(project.registry, target_alias, limit=2)
    assert len(report.findings) == 2
    assert report.truncated == {"conference.Review.submission": 5}  # 4 + the seeded plant
    assert report.total == 5
