"""Cross-tenant references: an import never links two tenants unless that is decided explicitly.

The seed plants one cross-tenant reference: a Review of ``democon`` pointing at a Submission of
``pycon-nordic``. Exported with ``--cross-tenant omit`` the review stays in the file and the
manifest lists the reference as dangling; with ``include`` the other tenant's submission is in the
file too. Imported into a database that holds pycon-nordic, the review would point into
pycon-nordic from wherever it lands (a new tenant, an existing one, or democon as exported).
The target starts as pycon-nordic and democon imported as exported (the review skipped), which is
the shape of the live database in the new-user report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenant_console.core.importer import Decisions, ImportInputError, Retarget, UndecidedConflicts
from tenant_console.core.importer.crosstenant import CLASS
from tenant_console.core.importer.decisions import allowed
from tests.importer.conftest import Importer, table_state
from tests.importer.exports import real_export

NEW = Retarget.new_tenant({"event": {"slug": "democon-copy", "name": "DemoCon copy"}})


def export_with(alias: str, slug: str, path: Path, policy: str) -> Path:
    """A tenant export made with the real exporter and the given ``--cross-tenant`` policy."""
    from django.apps import apps
    from django.db import connections

    from tenant_console.core.export import ExportRequest, run_export
    from tenant_console.core.export.storage import LocalOutput
    from tenant_console.core.project import load_project

    if policy == "omit":
        made = real_export(alias, slug, path)
        assert made is not None
        return made
    project = load_project("tests.settings")
    Event = apps.get_model("conference", "Event")
    pk = Event._base_manager.using(alias).get(slug=slug).pk
    connections[alias].close()
    request = ExportRequest(tenant_pks={"event": pk}, output=LocalOutput(str(path)), cross_tenant=policy,
                            overwrite=True)
    with project.session("export", alias=alias) as s:
        s.run(run_export, project, request, alias=alias)
    return path


_files: dict[tuple[str, str, str], Path] = {}


@pytest.fixture
def files(exports_dir):
    def get(alias: str, slug: str, policy: str = "omit") -> Path:
        key = (alias, slug, policy)
        if key not in _files:
            _files[key] = export_with(alias, slug, exports_dir / f"ct-{alias}-{slug}-{policy}.jsonl.gz", policy)
        return _files[key]

    return get


def review_and_submission(source: str) -> tuple[str, str]:
    """The planted review's ref and the pycon-nordic submission it points at (in the seeded source)."""
    from conference.models import Review
    from django_scopes import scopes_disabled

    with scopes_disabled():
        review = Review._base_manager.using(source).get(event__slug="democon", submission__event__slug="pycon-nordic")
    return f"conference.review:{review.pk}", f"conference.submission:{review.submission_id}"


def findings(imp: Importer) -> list[tuple[str, Any, str, Any]]:
    """What ``audit`` reports on the target: (from model, pk, to model, pk) of every cross-tenant reference."""
    from tenant_console.core.graph.isolation_audit import run_audit

    report = imp.session.run(run_audit, imp.project.registry, imp.alias, scoped=False)
    return sorted((f.source_model, str(f.source_pk), f.target_model, str(f.target_pk)) for f in report.findings)


@pytest.fixture
def live(importer, files):
    """The target holding pycon-nordic and democon (as exported; the planted review skipped)."""
    importer.apply(*_planned(importer, files(importer.source, "pycon-nordic")))
    plan = importer.plan(files(importer.source, "democon"))
    crossing = [it for it in plan.all_items() if it.cls == CLASS]
    assert [it.ref for it in crossing] == [review_and_submission(importer.source)[0]]
    d = Decisions()
    d.set_default("skip", CLASS)
    d.set_default("skip", "dependent")
    importer.apply(plan, importer.resolve(plan, d))
    assert findings(importer) == []
    return importer


def _planned(imp: Importer, path: Path, retarget: Any = None) -> tuple[Any, Any]:
    plan = imp.plan(path, retarget)
    res = imp.resolve(plan)
    assert res.complete, [u.reason for u in res.undecided]
    return plan, res


def _democon_pk(imp: Importer) -> Any:
    from conference.models import Event

    return imp.run(lambda: Event._base_manager.get(slug="democon").pk)


@pytest.mark.parametrize("policy", ["omit", "include"])
@pytest.mark.parametrize("into", ["new", "existing"])
def test_reference_into_another_tenant_blocks_the_import(live, files, policy, into):
    """The new-user repro: no default writes the review; its reference is named in the conflict."""
    imp = live
    review, submission = review_and_submission(imp.source)
    path = files(imp.source, "democon", policy)
    if policy == "omit":
        manifest = json.loads(path.with_name(path.name.replace(".jsonl.gz", ".manifest.json")).read_text())
        assert [d["to"] for d in manifest["dangling"]] == [submission.replace(":", ".")]
    retarget = NEW if into == "new" else Retarget.into_tenant({"event": _democon_pk(imp)})
    plan = imp.plan(path, retarget)
    crossing = [it for it in plan.all_items() if it.cls == CLASS]
    assert [it.ref for it in crossing] == [review]
    item = crossing[0]
    assert [(c.field, c.to, c.dimension) for c in item.cross] == [("submission", submission, "event")]
    assert "pycon-nordic" in item.cross[0].theirs
    assert f"submission -> {submission} belongs to event" in item.detail and "not to" in item.detail
    assert item.is_conflict and allowed(item, plan.infos[item.label])[-1] == "allow_cross_tenant"
    assert "skip" in allowed(item, plan.infos[item.label])
    res = imp.resolve(plan)  # the retarget's defaults: new keys, renames... but never this
    assert [u.item.ref for u in res.undecided] == [review]
    before = table_state(imp.alias)
    with pytest.raises(UndecidedConflicts):
        imp.apply(plan, res)
    assert table_state(imp.alias) == before
    assert plan.as_dict()["totals"][CLASS] == 1


@pytest.mark.parametrize("into", ["new", "existing"])
def test_skip_imports_the_rest_and_audit_finds_nothing_new(live, files, into):
    imp = live
    review, _submission = review_and_submission(imp.source)
    retarget = NEW if into == "new" else Retarget.into_tenant({"event": _democon_pk(imp)})
    plan = imp.plan(files(imp.source, "democon"), retarget)
    d = Decisions()
    d.set_object(review, "skip")
    res = imp.resolve(plan, d)
    assert res.complete
    report = imp.apply(plan, res)
    assert report.cross_tenant == []
    assert report.counts["conference.review"]["skip"] == 1
    assert findings(imp) == []
    if into == "new":
        from conference.models import Event, Review

        copied = imp.run(lambda: Review._base_manager.filter(event__slug="democon-copy").count())
        original = imp.run(lambda: Review._base_manager.filter(event__slug="democon").count())
        assert copied == original > 0
        assert imp.run(lambda: Event._base_manager.filter(slug="democon-copy").exists())


def test_allow_cross_tenant_is_explicit_reported_and_audited(live, files):
    imp = live
    review, submission = review_and_submission(imp.source)
    plan = imp.plan(files(imp.source, "democon", "include"), NEW)
    d = Decisions()
    d.set_default("allow_cross_tenant")  # a catch-all never allows it
    assert not imp.resolve(plan, d).complete
    d = Decisions()
    d.set_object(review, "allow_cross_tenant")
    res = imp.resolve(plan, d)
    assert res.complete and [it.ref for it in res.allowed_cross_tenant(plan)] == [review]
    report = imp.apply(plan, res)
    assert [e["ref"] for e in report.cross_tenant] == [review]
    assert any("WARNING" in line and "another tenant" in line for line in report.lines())
    found = findings(imp)
    assert len(found) == 1 and found[0][0] == "conference.Review" and found[0][2:] == (
        "conference.Submission", submission.split(":")[1])
    from conference.models import Review

    assert imp.run(lambda: Review._base_manager.filter(
        event__slug="democon-copy", submission__event__slug="pycon-nordic").count()) == 1


def test_as_exported_into_the_live_database_is_checked_too(importer, files):
    """Restoring democon as exported beside pycon-nordic: the review would point across tenants."""
    importer.apply(*_planned(importer, files(importer.source, "pycon-nordic")))
    plan = importer.plan(files(importer.source, "democon"))
    review, _ = review_and_submission(importer.source)
    assert [it.ref for it in plan.all_items() if it.cls == CLASS] == [review]
    assert plan.index[("conference.review", int(review.split(":")[1]))].base == "new"


def test_a_dangling_reference_to_nothing_stays_missing(importer, files):
    """In a target without pycon-nordic the submission does not exist: missing_ref, as before."""
    plan = importer.plan(files(importer.source, "democon"), NEW)
    review, _ = review_and_submission(importer.source)
    classes = {it.ref: it.cls for it in plan.all_items() if it.is_conflict}
    assert classes == {review: "missing_ref"}


def test_checks_are_batched(importer, files):
    """One owner query per referenced model and scope path (and chunk), never one per object."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from tenant_console.core.importer import build_plan, read_export

    importer.apply(*_planned(importer, files(importer.source, "pycon-nordic")))
    export = read_export(files(importer.source, "democon"))

    def plan_counting() -> list[str]:
        with CaptureQueriesContext(connections[importer.alias]) as ctx:
            build_plan(export, importer.alias, importer.project.registry, NEW)
        return [q["sql"] for q in ctx.captured_queries if "_tc_owner" in q["sql"]]

    owner_queries = importer.session.run(plan_counting, readonly=True, scoped=False)
    assert 0 < len(owner_queries) <= 8, owner_queries


def test_decisions_files_refuse_a_catch_all_allow(live, files, tmp_path):
    plan = live.plan(files(live.source, "democon"), NEW)
    data = Decisions().to_json(plan)
    data["default"] = {"*": "allow_cross_tenant"}
    with pytest.raises(ImportInputError, match="must name the class 'cross_tenant_reference'"):
        Decisions.from_json(data, plan)
    data["default"] = {CLASS: "allow_cross_tenant"}
    loaded = Decisions.from_json(data, plan)
    res = live.resolve(plan, loaded)
    assert res.complete and len(res.allowed_cross_tenant(plan)) == 1


def cli(alias: str, *args: Any) -> int:
    from tenant_console.cli.main import main

    return main(["--settings", "tests.settings", "--database", alias, "import", *map(str, args)])


def test_cli_repro_stops_then_saved_decisions_drive_it(live, files, tmp_path, capsys):
    """``import FILE --new-tenant slug=democon-copy --apply`` exits 1 and writes nothing; the saved
    decisions file names the review with a placeholder; filled in with skip, the import goes through."""
    imp = live
    review, submission = review_and_submission(imp.source)
    path = files(imp.source, "democon")
    before = table_state(imp.alias)
    rc = cli(imp.alias, path, "--new-tenant", "slug=democon-copy", "--apply")
    out, err = capsys.readouterr()
    assert rc == 1
    assert f"{review:<40} cross_tenant_reference" in out and submission in out
    assert "cross_tenant_reference 1" in err and "allow_cross_tenant" in err
    assert table_state(imp.alias) == before
    rc = cli(imp.alias, path, "--new-tenant", "slug=democon-copy", "--default", "allow_cross_tenant", "--apply")
    assert rc == 2 or rc == 1
    assert "only allowed where they are named" in capsys.readouterr().err
    dfile = tmp_path / "D.json"
    rc = cli(imp.alias, path, "--new-tenant", "slug=democon-copy", "--save-decisions", dfile)
    _out, err = capsys.readouterr()
    assert rc == 1
    assert f"Decisions written to {dfile}" in err
    assert f'"{review}": "skip"' in err and '"decision": null' in err
    doc = json.loads(dfile.read_text())
    assert doc["objects"][review]["decision"] is None
    assert doc["objects"][review]["class"] == CLASS
    assert doc["objects"][review]["possible"] == ["skip", "allow_cross_tenant"]
    rc = cli(imp.alias, path, "--new-tenant", "slug=democon-copy", "--decisions", dfile, "--apply")
    capsys.readouterr()
    assert rc == 1  # placeholders are still undecided
    assert table_state(imp.alias) == before
    doc["objects"][review] = "skip"
    dfile.write_text(json.dumps(doc))
    rc = cli(imp.alias, path, "--new-tenant", "slug=democon-copy", "--decisions", dfile, "--apply")
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert out.startswith("Imported:") and "WARNING" not in err
    assert findings(imp) == []


def test_cli_allow_is_loud(live, files, capsys):
    imp = live
    review, _ = review_and_submission(imp.source)
    path = files(imp.source, "democon")
    rc = cli(imp.alias, path, "--new-tenant", "slug=democon-copy", "--default",
             "cross_tenant_reference=allow_cross_tenant", "--apply")
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "WARNING: 1 imported objects now reference another tenant's data" in out and review in out
    assert "WARNING: 1 objects were imported with references into another tenant" in err
    record = imp.project.audit.outcomes()[-1]
    assert record["outcome"] == "ok" and record["cross_tenant_allowed"] == 1
    assert record["report"]["cross_tenant_allowed"][0]["ref"] == review
    assert len(findings(imp)) == 1


def test_review_screen_classes_match_the_plan():
    from tenant_console.core.importer import CLASSES, CONFLICTS
    from tenant_console.ui.importer import summary  # the review's and the :move screen's summary table

    assert summary.CLASSES == CLASSES and summary.CONFLICTS == CONFLICTS


def test_export_helper_is_the_real_exporter(files, project):
    """These tests need the exporter's cross-tenant policies (the serializer fallback has none)."""
    path = files("default", "democon", "include")
    manifest = json.loads(path.with_name(path.name.replace(".jsonl.gz", ".manifest.json")).read_text())
    assert manifest["rules"]["cross_tenant"] == "include"
    assert manifest["models"]["conference.submission"].get("foreign") == 1


def test_many_to_many_and_generic_references_are_checked(live, files, tmp_path):
    """A democon submission tagged with a pycon-nordic tag (m2m) and a democon log entry about a
    pycon-nordic submission (generic FK): both objects are cross-tenant conflicts, named by field."""
    from conference.models import Submission, Tag
    from django_scopes import scopes_disabled

    from tests.importer.exports import rewrite

    imp = live
    with scopes_disabled():
        tag = Tag._base_manager.using(imp.source).filter(event__slug="pycon-nordic").order_by("pk").first().pk
        theirs = Submission._base_manager.using(imp.source).filter(event__slug="pycon-nordic").order_by("pk")[0].pk
    state: dict[str, Any] = {}

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sub = next(o for o in objs if o["model"] == "conference.submission")
        sub["fields"]["tags"] = [*sub["fields"]["tags"], tag]
        log = next(o for o in objs if o["model"] == "conference.activitylog")
        log["fields"]["object_id"] = theirs
        state.update(sub=f"conference.submission:{sub['pk']}", log=f"conference.activitylog:{log['pk']}")
        return objs

    path = rewrite(files(imp.source, "democon"), tmp_path / "edited.jsonl.gz", edit)
    plan = imp.plan(path, NEW)
    crossing = {it.ref: it for it in plan.all_items() if it.cls == CLASS}
    assert set(crossing) == {state["sub"], state["log"], review_and_submission(imp.source)[0]}
    assert [(c.field, c.to) for c in crossing[state["sub"]].cross] == [("tags", f"conference.tag:{tag}")]
    assert [(c.field, c.to) for c in crossing[state["log"]].cross] == [
        ("object_id", f"conference.submission:{theirs}")]


def test_into_the_tenant_the_reference_points_at_is_not_a_conflict(live, files):
    """Imported into pycon-nordic itself, the review points at a submission of its own tenant."""
    from conference.models import Event

    nordic = live.run(lambda: Event._base_manager.get(slug="pycon-nordic").pk)
    plan = live.plan(files(live.source, "democon"), Retarget.into_tenant({"event": nordic}))
    assert [it.ref for it in plan.all_items() if it.cls == CLASS] == []
    review, _ = review_and_submission(live.source)
    assert plan.index[("conference.review", int(review.split(":")[1]))].cls != "missing_ref"


def test_detach_drops_nullable_references_into_another_tenant(live, files, tmp_path):
    """A democon submission whose track (nullable FK) and one tag (m2m) are pycon-nordic's: ``detach``
    copies it with the track NULL and without that tag; the planted review (non-nullable FK) cannot be
    detached, only skipped or allowed. Nothing in the target references another tenant afterwards."""
    from conference.models import Submission, Tag, Track
    from django_scopes import scopes_disabled

    from tests.importer.exports import rewrite

    imp = live
    with scopes_disabled():
        tag = Tag._base_manager.using(imp.source).filter(event__slug="pycon-nordic").order_by("pk").first().pk
        track = Track._base_manager.using(imp.source).filter(event__slug="pycon-nordic").order_by("pk").first().pk
    state: dict[str, Any] = {}

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sub = next(o for o in objs if o["model"] == "conference.submission" and o["fields"]["tags"])
        state.update(ref=f"conference.submission:{sub['pk']}", own_tags=len(sub["fields"]["tags"]),
                     title=sub["fields"]["title"])
        sub["fields"]["tags"] = [*sub["fields"]["tags"], tag]
        sub["fields"]["track"] = track
        return objs

    path = rewrite(files(imp.source, "democon"), tmp_path / "detach.jsonl.gz", edit)
    plan = imp.plan(path, NEW)
    crossing = {it.ref: it for it in plan.all_items() if it.cls == CLASS}
    sub, review = crossing[state["ref"]], crossing[review_and_submission(imp.source)[0]]
    assert sorted((c.field, c.detachable) for c in sub.cross) == [("tags", True), ("track", True)]
    assert "detach" in allowed(sub, plan.infos[sub.label])
    assert "detach" not in allowed(review, plan.infos[review.label])
    d = Decisions()
    d.set_default("detach", CLASS)  # a safe default: it creates no reference between tenants
    res = imp.resolve(plan, d)
    assert [u.item.ref for u in res.undecided] == [review.ref]  # the review still needs its own decision
    d.set_object(review.ref, "skip")
    d.set_default("skip", "dependent")
    report = imp.apply(plan, imp.resolve(plan, d))
    assert [e["ref"] for e in report.detached] == [state["ref"]]
    new_pk = int(report.new_keys[state["ref"]])

    def copied() -> tuple[Any, int, str]:
        s = Submission._base_manager.get(pk=new_pk)
        return s.track_id, s.tags.count(), s.title

    assert imp.run(copied) == (None, state["own_tags"], state["title"])
    assert findings(imp) == []
