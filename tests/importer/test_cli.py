"""The headless ``import`` command: plan, undecided conflicts (exit 1), decisions files, apply, audit."""

from __future__ import annotations

import json

import pytest

from tests.importer.conftest import load_base, table_state

pytestmark = pytest.mark.mariadb


def cli(alias, *args):
    from tenant_console.cli.main import main

    return main(["--settings", "tests.settings", "--database", alias, "import", *map(str, args)])


def test_plan_only_lists_undecided_and_writes_nothing(importer, make_export, capsys):
    path = make_export(importer.source)
    before = table_state(importer.alias)
    rc = cli(importer.alias, path)
    out, err = capsys.readouterr()
    assert rc == 1
    assert "Import plan:" in out and "conference.submission" in out
    assert "conference.review:" in out and "missing_ref" in out and "[possible: skip]" in out
    assert "1 conflicts have no decision (missing_ref 1), so nothing was written" in err
    assert table_state(importer.alias) == before


def test_defaults_then_apply_with_report_and_audit(importer, make_export, capsys):
    path = make_export(importer.source)
    rc = cli(importer.alias, path, "--default", "missing_ref=skip", "--apply")
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert out.startswith("Imported:")
    assert "skip 1" in out
    record = importer.project.audit.outcomes()[-1]
    assert record["action"] == "import" and record["outcome"] == "ok"
    assert record["database"] == importer.alias
    assert record["decisions"]["default"] == {"missing_ref": "skip"}
    assert record["report"]["counts"]["conference.review"]["skip"] == 1


def test_save_decisions_edit_and_apply_headless(importer, make_export, tmp_path, capsys):
    """The review's decisions file drives a repeatable headless import."""
    path = make_export(importer.source)
    load_base(importer, path)
    from conference.models import Submission

    sub = importer.run(lambda: Submission._base_manager.filter(event__slug="democon").order_by("pk").first())
    importer.run(lambda: Submission._base_manager.filter(pk=sub.pk).update(title="Changed in target"))
    dfile = tmp_path / "d.json"
    rc = cli(importer.alias, path, "--save-decisions", dfile)
    capsys.readouterr()
    assert rc == 1
    doc = json.loads(dfile.read_text())
    undecided = {u["ref"]: u for u in doc["undecided"]}
    ref = f"conference.submission:{sub.pk}"
    assert undecided[ref]["class"] == "changed"
    assert undecided[ref]["possible"] == ["keep", "overwrite", "new_key", "skip"]
    assert undecided[ref]["diff"][0]["field"] == "title"
    doc["objects"][ref] = {"decision": "overwrite", "class": "changed"}
    doc["default"]["missing_ref"] = "skip"
    dfile.write_text(json.dumps(doc))

    rc = cli(importer.alias, path, "--decisions", dfile, "--dry-run")
    out = capsys.readouterr().out
    assert rc == 0 and "DRY RUN" in out and "overwrite 1" in out
    assert importer.run(lambda: Submission._base_manager.get(pk=sub.pk).title) == "Changed in target"

    rc = cli(importer.alias, path, "--decisions", dfile, "--apply", "--json")
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert data["report"]["counts"]["conference.submission"]["overwrite"] == 1
    assert data["report"]["applied"] is True
    assert importer.run(lambda: Submission._base_manager.get(pk=sub.pk).title) == sub.title


def test_new_tenant_and_into_tenant_flags(importer, make_export, capsys):
    path = make_export(importer.source)
    load_base(importer, path)
    rc = cli(importer.alias, path, "--new-tenant", "slug=democon-2", "--new-tenant", "name=DemoCon 2",
             "--default", "missing_ref=skip", "--apply", "--json")
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert data["report"]["target"] == {"mode": "new", "tenants": {"event": {"slug": "democon-2",
                                                                            "name": "DemoCon 2"}}}
    assert data["report"]["new_keys_count"] > 100

    rc = cli(importer.alias, path, "--into-tenant", "--event__slug=democon-2", "--default", "missing_ref=skip",
             "--dry-run")
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "DRY RUN" in out

    rc = cli(importer.alias, path, "--into-tenant")
    assert rc == 2
    assert "--into-tenant needs the tenant" in capsys.readouterr().err
    rc = cli(importer.alias, path, "--into-tenant", "--event__slug=nope")
    assert rc == 2
    assert "no conference.Event matches" in capsys.readouterr().err
