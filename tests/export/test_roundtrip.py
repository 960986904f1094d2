"""Round trips: export from one database, ``loaddata`` into an empty one, compare every row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.export.helpers import assert_round_trip, export, loaddata, read_lines

pytestmark = pytest.mark.mariadb


def test_tenant_export_loads_into_an_empty_database(project, db_alias, target_alias, event_pks, out: Path) -> None:
    path = out / "democon.jsonl.gz"
    outcome = export(project, db_alias, path, tenant={"event": event_pks["democon"]}, cross_tenant="include")
    assert path.exists() and path.with_name("democon.manifest.json").exists()
    loaddata(path, target_alias)
    assert_round_trip(outcome, db_alias, target_alias)
    labels = {s.label for s in outcome.plan.selections}
    # Everything the fixture needs: shared rows, the m2m through model, inheritance, UUID pks, GFK.
    assert {"auth.user", "conference.organiser", "contenttypes.contenttype", "conference.speakerrole",
            "conference.choicequestion", "conference.resource", "conference.activitylog"} <= labels


def test_uncompressed_export_loads_too(project, out: Path) -> None:
    from conference.models import Event

    from tests.conftest import flush

    path = out / "democon.jsonl"
    democon = Event._base_manager.using("default").get(slug="democon").pk
    outcome = export(project, "default", path, tenant={"event": democon}, cross_tenant="include")
    assert read_lines(path)[0]["model"] == "auth.user"  # plain text, parents first
    flush("target")
    try:
        loaddata(path, "target")
        assert_round_trip(outcome, "default", "target")
    finally:
        flush("target")


def test_tenant_export_holds_nothing_of_other_tenants(project, db_alias, event_pks, out: Path) -> None:
    from conference import models as m

    path = out / "democon.jsonl"
    outcome = export(project, db_alias, path, tenant={"event": event_pks["democon"]}, cross_tenant="omit")
    democon = event_pks["democon"]
    by_model: dict[str, list] = {}
    for obj in read_lines(path):
        by_model.setdefault(obj["model"], []).append(obj)
    assert [o["pk"] for o in by_model["conference.event"]] == [democon]
    scope_path = {m.Submission: "event", m.Review: "event", m.SpeakerRole: "submission__event",
                  m.Resource: "submission__event", m.Answer: "question__event", m.Tag: "event",
                  m.ActivityLog: "event", m.TalkSlot: "event", m.Question: "event"}
    for model, path_ in scope_path.items():
        pks = [o["pk"] for o in by_model[model._meta.label_lower]]
        events = set(model._base_manager.using(db_alias).filter(pk__in=pks).values_list(path_, flat=True))
        assert events == {democon}, model
        # ... and every row of the tenant is there.
        assert len(pks) == model._base_manager.using(db_alias).filter(**{path_: democon}).count()
    # The planted review is exported; its target (another tenant's submission) is not, and is recorded.
    manifest = outcome.manifest
    assert manifest is not None
    assert [d["reason"] for d in manifest["dangling"]] == ["cross-tenant"]
    dangling = manifest["dangling"][0]
    assert dangling["from"].startswith("conference.review.") and dangling["field"] == "submission"
    assert dangling["tenant"] == {"event": str(event_pks["pycon-nordic"])}
    foreign_pk = int(dangling["to"].rsplit(".", 1)[1])
    assert foreign_pk not in [o["pk"] for o in by_model["conference.submission"]]


def test_include_exports_the_other_tenants_rows_with_what_they_need(project, db_alias, event_pks,
                                                                    out: Path) -> None:
    path = out / "democon.jsonl"
    outcome = export(project, db_alias, path, tenant={"event": event_pks["democon"]}, cross_tenant="include")
    events = sorted(o["pk"] for o in read_lines(path) if o["model"] == "conference.event")
    assert events == sorted([event_pks["democon"], event_pks["pycon-nordic"]])
    sub = next(s for s in outcome.plan.selections if s.label == "conference.submission")
    assert sub.foreign == 1
    assert outcome.manifest is not None and outcome.manifest["dangling"] == []
    assert outcome.manifest["cross_tenant"]["count"] == 1


def test_object_export_round_trip(project, db_alias, target_alias, event_pks, out: Path) -> None:
    from conference.models import Resource, Submission

    # A democon submission with a resource (UUID pk), tags (m2m), speakers (through) and a GFK log entry.
    sub = Submission._base_manager.using(db_alias).filter(
        event_id=event_pks["democon"], pk__in=Resource._base_manager.using(db_alias).values("submission")
    ).order_by("pk").first()
    path = out / "one.jsonl.gz"
    outcome = export(project, db_alias, path, objects=[f"conference.Submission.{sub.pk}"])
    counts = outcome.plan.counts()
    assert counts["conference.submission"] >= 1 and counts["conference.resource"] >= 1
    assert counts["conference.event"] == 1 and counts["conference.activitylog"] >= 1
    assert outcome.plan.kind == "objects" and outcome.plan.roots == [f"conference.Submission.{sub.pk}"]
    loaddata(path, target_alias)
    assert_round_trip(outcome, db_alias, target_alias)


def test_object_export_refuses_the_planted_cross_tenant_review(project, db_alias, event_pks, out: Path) -> None:
    from conference.models import Review

    from tenant_console.core.export.runner import CrossTenantRefused

    review = Review._base_manager.using(db_alias).get(text__startswith="Reviewed from the wrong event")
    with pytest.raises(CrossTenantRefused) as err:
        export(project, db_alias, out / "r.jsonl", objects=[f"conference.Review.{review.pk}"])
    assert f"conference.review.{review.pk}.submission -> conference.submission.{review.submission_id}" in str(
        err.value)
    assert list(out.iterdir()) == []


def test_excluded_models_are_left_out_and_their_references_counted(project, db_alias, event_pks, out: Path) -> None:
    path = out / "no-tags.jsonl"
    outcome = export(project, db_alias, path, tenant={"event": event_pks["democon"]}, cross_tenant="omit",
                     exclude=["conference.Tag", "conference.Track"])
    labels = {s.label for s in outcome.plan.selections}
    assert "conference.tag" not in labels and "conference.track" not in labels
    refs = {(r["from"], r["field"]): r["count"] for r in outcome.manifest["excluded_references"]}
    assert refs[("conference.submission", "tags")] == 80  # two tags per submission, counted as links
    assert 0 < refs[("conference.submission", "track")] <= 40  # null tracks are not references
    assert any("excluded; they will dangle" in w for w in outcome.plan.warnings)
