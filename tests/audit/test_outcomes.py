"""Every audited act is recorded before it happens and with its real outcome after.

Each act (scope activation, disabling scopes, writable mode, a REPL or shell input, a commit,
export, import, verify) is a ``started`` record and an outcome record with the same act id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conference.models import Tag

from tenant_console.cli.main import main
from tenant_console.core.errors import ScopeSelectionError
from tenant_console.core.repl.runner import ReplRunner

MARK = "tc-audit-outcome"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--settings", "tests.settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def acts(project, action: str, since: int = 0, **match: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(started, outcome) pairs of ``action`` recorded after record number ``since``."""
    records = project.audit.read()[since:]
    started = {r["act"]: r for r in records if r["action"] == action and r["outcome"] == "started"}
    pairs = [(started[r["act"]], r) for r in records
             if r["action"] == action and r["outcome"] != "started" and r.get("act") in started]
    return [(s, e) for s, e in pairs if all(e.get(k) == v for k, v in match.items())]


def mark(project) -> int:
    return len(project.audit.read())



# -- the headless shell ---------------------------------------------------------------------------


@pytest.mark.parametrize("code, outcome, exit_code", [
    ("print(Submission.objects.count())", "ok", 0),
    (f"Tag.objects.create(event=event, tag='{MARK}')", "refused", 1),
    ("1/0", "error", 1),
    ("def broken(:", "error", 1),
])
def test_shell_c_records_the_outcome_after_running(capsys, project, db_alias, code, outcome, exit_code):
    before = mark(project)
    rc, _, _ = cli(capsys, "--database", db_alias, "shell", "--event__slug=democon", "-c", code)
    assert rc == exit_code
    ((started, ended),) = acts(project, "shell_input", before)
    assert started["code"] == ended["code"] == code
    assert started["time"] <= ended["time"]
    assert ended["outcome"] == outcome
    assert ended["database"] == db_alias and ended["db"]["vendor"] in {"sqlite", "postgresql"}
    assert "password" not in json.dumps(ended["db"]).lower()
    assert ended["scope"]["tenants"][0]["dimension"] == "event"
    if outcome != "ok":
        assert ended["error"]


def test_shell_write_records_the_statement_count_after_the_commit(capsys, project, db_alias, marked_tags_removed):
    before = mark(project)
    rc, _, err = cli(capsys, "--database", db_alias, "shell", "--event__slug=democon", "--write", "-c",
                     f"Tag.objects.create(event=event, tag='{MARK}-1')\n"
                     f"Tag.objects.create(event=event, tag='{MARK}-2')")
    assert rc == 0 and "committed: 2 statement(s)" in err
    ((_, ended),) = acts(project, "shell_input", before)
    assert (ended["outcome"], ended["writes"], ended["committed"], ended["writable"]) == ("ok", 2, True, True)


def test_scopes_disabled_typed_into_an_input_is_recorded(capsys, project, db_alias):
    before = mark(project)
    rc, out, _ = cli(capsys, "--database", db_alias, "shell", "--event__slug=democon", "-c",
                     "from django_scopes import scopes_disabled, scope\n"
                     "with scopes_disabled():\n    n = Submission.objects.count()\n"
                     "with scope(event=event.pk + 1000):\n    pass\n"
                     "print(n)")
    assert rc == 0 and out.strip() == "200"
    ((_, ended),) = acts(project, "shell_input", before)
    assert ended["scope_changes"] == 2
    (change,) = [r for r in project.audit.read()[before:] if r["action"] == "scope_changed_in_code"]
    assert change["input_act"] == ended["act"] and change["scopes_disabled"] is True
    assert change["changes"][0] == {"disabled": True}
    assert list(change["changes"][1]["scope"]) == ["event"]


def test_scope_activation_and_disabling_from_the_cli(capsys, project):
    before = mark(project)
    rc, _, _ = cli(capsys, "shell", "--event__slug=democon", "-c", "pass")
    assert rc == 0
    ((started, ended),) = acts(project, "scope_activated", before)
    assert started["requested"] and ended["outcome"] == "ok"
    assert ended["scope"]["tenants"][0]["label"].startswith("DemoCon")
    before = mark(project)
    rc, _, _ = cli(capsys, "shell", "--disabled", "-c", "pass")
    assert rc == 0
    ((_, ended),) = acts(project, "scopes_disabled", before)
    assert ended["outcome"] == "ok" and ended["scope"]["disabled"] is True and ended["reason"] == "shell --disabled"


def test_refused_scope_activation(project, session):
    before = mark(project)
    with pytest.raises(ScopeSelectionError):
        session.activate({"event": 987654321})
    ((_, ended),) = acts(project, "scope_activated", before)
    assert ended["outcome"] == "refused" and "987654321" in ended["error"]
    assert not session.scope.is_active


# -- the REPL ---------------------------------------------------------------------------------------


def test_repl_inputs_ok_refused_error_and_scope_changes(repl: ReplRunner, project):
    before = mark(project)
    repl.run("Submission.objects.count()")
    repl.run(f"Tag.objects.create(event=event, tag='{MARK}')")
    repl.run("1/0")
    repl.run("from django_scopes import scopes_disabled\nwith scopes_disabled():\n    Submission.objects.count()")
    outcomes = [e["outcome"] for _, e in acts(project, "repl_input", before)]
    assert outcomes == ["ok", "refused", "error", "ok"]
    changes = [r for r in project.audit.read()[before:] if r["action"] == "scope_changed_in_code"]
    assert len(changes) == 1 and changes[0]["scopes_disabled"] is True


def test_repl_writable_mode_and_commit_with_statement_count(repl: ReplRunner, project, other_session,
                                                            marked_tags_removed):
    before = mark(project)
    repl.enable_writes().result(10)
    res = repl.run(f"Tag.objects.create(event=event, tag='{MARK}-a')\nTag.objects.create(event=event, tag='{MARK}-b')")
    assert res.ok, res.error
    repl.commit().result(10)
    ((_, writable),) = acts(project, "repl_writable", before)
    assert writable["outcome"] == "ok"
    ((_, inp),) = acts(project, "repl_input", before)
    assert (inp["outcome"], inp["writes"], inp["committed"]) == ("ok", 2, False)
    ((started, commit),) = acts(project, "repl_commit", before)
    assert started["writes"] == 2  # what is about to be committed, recorded before the commit
    assert (commit["outcome"], commit["writes"], commit["committed"]) == ("ok", 2, True)
    assert other_session.run(lambda: Tag._base_manager.filter(tag__startswith=MARK).count(), scoped=False) == 2


# -- export, verify, import -------------------------------------------------------------------------


def test_export_and_verify_outcomes(capsys, project, tmp_path):
    out = tmp_path / "democon.jsonl.gz"
    before = mark(project)
    rc, _, _ = cli(capsys, "export", "--event__slug=democon", "--cross-tenant", "omit", "-o", str(out))
    assert rc == 0
    ((started, ended),) = acts(project, "export", before)
    assert started["output"] == ended["output"] == str(out)
    assert ended["outcome"] == "ok" and ended["sha256"] and ended["objects"] > 0
    rc, _, _ = cli(capsys, "export", "--event__slug=democon", "-o", str(tmp_path / "refused.jsonl.gz"))
    assert rc == 1
    assert acts(project, "export", before)[-1][1]["outcome"] == "refused"
    before = mark(project)
    rc, _, _ = cli(capsys, "verify", str(out))
    assert rc == 0
    ((_, ended),) = acts(project, "verify", before)
    assert ended["outcome"] == "ok" and ended["passed"] is True
    out.write_bytes(b"damaged")
    rc, _, _ = cli(capsys, "verify", str(out))
    assert rc == 1
    assert acts(project, "verify", before)[-1][1]["passed"] is False


def test_import_ok_and_refused(capsys, importer, make_export):
    project = importer.project
    path = make_export(importer.source)
    before = mark(project)
    rc, _, _ = cli(capsys, "--database", importer.alias, "import", str(path), "--new-tenant", "slug=democon-undecided",
                   "--apply")
    assert rc == 1  # undecided conflicts (references to rows the empty target lacks): refused, nothing written
    (rec,) = [r for r in project.audit.read()[before:] if r["action"] == "import"]
    assert rec["outcome"] == "refused" and rec["written"] is False and rec["undecided"] > 0
    rc, _, err = cli(capsys, "--database", importer.alias, "import", str(path), "--new-tenant", "slug=democon-audited",
                     "--default", "missing_ref=skip", "--apply")
    assert rc == 0, err
    ((started, ended),) = acts(project, "import", before)
    assert started["decisions"] and started["dry_run"] is False
    assert ended["outcome"] == "ok" and ended["written"] is True and sum(ended["report"]["written"].values()) > 0


def test_isolation_audit_is_an_act_with_its_findings(capsys, project):
    before = mark(project)
    rc, _, _ = cli(capsys, "audit")
    assert rc == 1  # the demo data has a planted cross-tenant review
    ((_, ended),) = acts(project, "isolation_audit", before)
    assert (ended["outcome"], ended["clean"]) == ("ok", False) and ended["findings"] >= 1


# -- breach -------------------------------------------------------------------------------------------
#: Switches SQLite's read-only pragma off below Django (the raw driver connection), which the
#: read-only layer's proof at the end of the block detects (``ReadOnlyBreached``).
BREAK_SQLITE = ("from django.db import connection\nraw = connection.connection\nraw.set_authorizer(None)\n"
                "raw.execute('PRAGMA query_only=0')")


def test_a_broken_read_only_block_is_audited_breach_in_the_shell(capsys, project):
    before = mark(project)
    rc, _, err = cli(capsys, "shell", "--event__slug=democon", "-c", BREAK_SQLITE)
    assert rc != 0 and "broken" in err
    ((_, ended),) = acts(project, "shell_input", before)
    assert ended["outcome"] == "breach"


def test_a_broken_read_only_block_is_audited_breach_in_the_repl(project, event_pks):
    session = project.session("repl-breach", alias="default")
    runner = ReplRunner(project, session)
    try:
        runner.set_scope({"event": event_pks["democon"]})
        before = mark(project)
        result = runner.run(BREAK_SQLITE)
        assert not result.ok and result.outcome == "breach"
        ((_, ended),) = acts(project, "repl_input", before)
        assert ended["outcome"] == "breach"
    finally:
        runner.close()


# -- the interactive shell ------------------------------------------------------------------------------


def test_interactive_shell_inputs_are_audited_one_by_one(project):
    driver = Path(__file__).resolve().parent / "sigint_driver.py"
    before = mark(project)
    proc = subprocess.run([sys.executable, str(driver), "--settings", "tests.settings", "shell", "--plain",
                           "--event__slug=democon"], input=f"print(event.slug)\nTag.objects.create(event=event, "
                          f"tag='{MARK}')\n1/0\n", capture_output=True, text=True, timeout=120,
                          env=os.environ.copy())
    assert proc.returncode == 1, proc.stderr  # the shell went on after the refused and the failed input
    assert "democon" in proc.stdout and "INSERT refused" in proc.stderr and "ZeroDivisionError" in proc.stderr
    outcomes = [(e["code"], e["outcome"]) for _, e in acts(project, "shell_input", before)]
    assert outcomes == [("print(event.slug)", "ok"), (f"Tag.objects.create(event=event, tag='{MARK}')", "refused"),
                        ("1/0", "error")]
