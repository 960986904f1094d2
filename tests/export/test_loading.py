"""What an export needs to load, said wherever the user meets the file: export, dry run, verify, --help.

The claim behind the words is tested too: a ``--cross-tenant omit`` export really
does not load with ``loaddata`` into a database without the other tenant's rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import IntegrityError

from tenant_console.cli.main import main
from tenant_console.core.export.loading import loading_needs
from tenant_console.core.export.verify import verify_export
from tests.export.helpers import export, loaddata

pytestmark = pytest.mark.mariadb


def cli(*args: str) -> int:
    return main(["--settings", "tests.settings", *args])


def test_omit_export_says_plainly_that_loaddata_will_fail(db_alias, target_alias, out: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = out / "democon.jsonl.gz"
    manifest = out / "democon.manifest.json"
    assert cli("--database", db_alias, "export", "--event__slug=democon", "--cross-tenant", "omit",
               "-o", str(path)) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (f'1 dangling reference(s): 1 into another tenant (left out by --cross-tenant omit); listed under '
            f'"dangling" in {manifest}.') in text
    assert "keeps rows that reference rows it does not contain" in text
    assert ("`manage.py loaddata` will fail (IntegrityError on the dangling foreign keys) unless the target "
            "database already has those rows") in text
    assert f"`tenant-console import {path}` instead" in text

    # What it says is what happens: plain loaddata into an empty database stops at the dangling FK.
    with pytest.raises(IntegrityError):
        loaddata(path, target_alias)

    # verify: the file itself is sound (exit 0), but it is not a plain "OK".
    assert cli("verify", str(path)) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "OK as a file" in text and "but it has 1 dangling reference(s)" in text
    assert f'listed under "dangling" in {manifest}' in text
    assert "`tenant-console import democon.jsonl.gz`" in text
    assert cli("verify", "--json", str(path)) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["dangling"]["count"] == 1 and data["dangling"]["cross_tenant"] == 1


def test_json_export_carries_the_loading_needs(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = out / "d.jsonl"
    assert cli("export", "--event__slug=democon", "--cross-tenant", "omit", "--exclude", "conference.Track",
               "-o", str(path), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    loading = data["loading"]
    assert loading["cross_tenant"] == 1 and loading["excluded"] > 0
    assert loading["count"] == 1 + loading["excluded"]
    assert "excluded_references" in loading["summary"] and "tenant-console import" in loading["advice"]


def test_a_self_contained_export_has_no_loading_note(project, out: Path, capsys: pytest.CaptureFixture[str],
                                                     event_pks) -> None:
    path = out / "inc.jsonl"
    export(project, "default", path, tenant={"event": event_pks["democon"]}, cross_tenant="include")
    report = verify_export(path)
    assert report.ok and report.loading is None
    assert report.summary().endswith("OK (" + f"{report.objects:,}" + " objects, checksum and schema match).")
    assert report.as_dict()["dangling"] == {"count": 0}
    assert cli("export", "--event__slug=democon", "--cross-tenant", "include", "-o", str(out / "i2.jsonl")) == 0
    assert "dangling" not in capsys.readouterr().out


def test_loading_needs_from_a_manifest() -> None:
    assert loading_needs({"dangling": [], "excluded_references": []}, "m.json") is None
    # "dangling" lists at most MAX_REFERENCES; under omit the recorded count is the truth.
    manifest = {"dangling": [{"from": "a.b.1", "field": "f", "to": "a.c.2", "tenant": {"event": "2"},
                              "reason": "cross-tenant"},
                             {"from": "a.b.3", "field": "g", "to": "a.d.9", "tenant": {}, "reason": "missing"}],
                "cross_tenant": {"policy": "omit", "count": 12000, "references": []},
                "excluded_references": [{"from": "a.b", "field": "t", "to": "a.t", "count": 4}]}
    needs = loading_needs(manifest, "x.manifest.json")
    assert needs is not None
    assert (needs.cross_tenant, needs.missing, needs.excluded, needs.total) == (12000, 1, 4, 12005)
    assert needs.summary() == (
        '12,005 dangling reference(s): 12,000 into another tenant (left out by --cross-tenant omit), 1 to rows '
        'that did not exist in the source, 4 into models left out with --exclude; listed under "dangling" (and '
        'counted under "excluded_references") in x.manifest.json.')
    only_excluded = loading_needs({"dangling": [], "excluded_references": [{"count": 3}]}, "m.json")
    assert only_excluded is not None and 'counted per relation under "excluded_references"' in only_excluded.where()


def test_export_help_says_how_to_load_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["export", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert 'with "tenant_console" in INSTALLED_APPS, `manage.py loaddata FILE` works' in text
    assert "Otherwise use `tenant-console import FILE`, or call_command(\"loaddata\", FILE) inside " \
           "django_scopes.scopes_disabled()" in text
    assert "loaddata fails unless the target has those rows (use `tenant-console import`)" in text


@pytest.mark.parametrize("policy, expected", [
    ("refuse", "1 ref → PyCon Nordic (pycon-nordic)"),
    ("omit", "1 left out → PyCon Nordic (pycon-nordic)"),
    ("include", "1 row of PyCon Nordic (pycon-nordic)"),
])
def test_the_other_tenant_is_named_in_every_policy(project, db_alias, event_pks, out: Path, policy: str,
                                                   expected: str) -> None:
    outcome = export(project, db_alias, out / "p.jsonl", tenant={"event": event_pks["democon"]},
                     cross_tenant=policy, dry_run=True)
    plan = outcome.plan
    assert plan.tenant_labels == {"event": {str(event_pks["pycon-nordic"]): "PyCon Nordic (pycon-nordic)"}}
    others = plan.other_tenants()
    assert others["conference.submission"] == expected
    assert "PyCon Nordic (pycon-nordic)" in plan.describe(plan.cross_tenant[0])
    if policy == "include":  # the included foreign rows' own needs are counted, with or without a label
        assert all(label in others for label, n in
                   ((s.label, s.foreign) for s in plan.selections) if n)
    else:
        assert set(others) == {"conference.submission"}


def test_a_dangling_generic_fk_loads_with_loaddata_as_the_advice_says(target_alias, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A generic FK to an object that no longer exists is not a constraint: loaddata loads the row, and the
    advice says so instead of predicting an IntegrityError; verify counts it apart and passes."""
    from conference.models import ActivityLog
    from django.db import connections

    from tests.importer.corpus.make_corpus import Corpus, objects

    log = {"model": "conference.activitylog", "pk": 9601, "fields": {
        "event": 9001, "content_type": ["conference", "submission"], "object_id": 987654, "user": None,
        "action_type": "submission.deleted", "timestamp": "2026-05-01T10:00:00Z", "data": None}}
    dangling = [{"from": "conference.activitylog.9601", "field": "content_object", "to": "conference.submission.987654",
                 "tenant": {}, "reason": "missing"}]
    name = Corpus(tmp_path).write("gfk", [*objects(), log], manifest_edit=lambda m: m.update(dangling=dangling))
    needs = loading_needs(json.loads((tmp_path / "gfk.manifest.json").read_text()), "gfk.manifest.json")
    assert needs is not None and (needs.generic, needs.total) == (1, 0)
    assert "`manage.py loaddata` loads this file" in needs.advice() and "IntegrityError" not in needs.advice()
    report = verify_export(tmp_path / name)
    assert report.ok, report.problems
    assert "1 generic foreign key(s) to objects that no longer exist" in report.summary()
    loaddata(tmp_path / name, target_alias)  # the claim: it loads
    assert ActivityLog._base_manager.using(target_alias).get(pk=9601).object_id == 987654
    connections[target_alias].close()
