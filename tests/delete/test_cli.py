"""The headless ``delete`` command: preview, confirmation, refusals (exit 1), bad input (exit 2), backup, audit."""

from __future__ import annotations

import json
from pathlib import Path

from conference.models import Review, Submission

from tests.delete.test_delete import counts, democon_submission


def cli(capsys, alias: str, *args: str) -> tuple[int, str, str]:
    from tenant_console.cli.main import main

    code = main(["--settings", "tests.settings", "--database", alias, "delete", *args])
    out, err = capsys.readouterr()
    return code, out, err


def last_act(project, action: str = "delete") -> tuple[dict, dict]:
    records = [r for r in project.audit.read() if r["action"] == action]
    end = records[-1]
    start = next((r for r in records if r.get("act") == end.get("act") and r["outcome"] == "started"), {})
    return start, end


def test_preview_then_confirmed_delete_with_backup_and_audit(deleter, project, capsys):
    pk = democon_submission(deleter)
    before = counts(deleter)
    code, out, err = cli(capsys, deleter.alias, f"conference.Submission.{pk}", "--event__slug=democon", "--preview")
    assert code == 0, err
    assert "conference.review" in out and " rows would be deleted, " in out and " rows deleted" not in out
    assert "BLOCKED" not in out and "Nothing can be deleted" not in out
    assert counts(deleter) == before
    code, out, err = cli(capsys, deleter.alias, f"conference.Submission.{pk}", "--event__slug=democon")
    assert code == 1 and "confirm with --yes" in err and "Nothing was deleted" in err
    assert counts(deleter) == before
    code, out, err = cli(capsys, deleter.alias, f"conference.Submission.{pk}", "--event__slug=democon", "--yes")
    assert code == 0, err
    assert "Deleted " in out and "Restore with: tenant-console import" in out
    backup = Path(out.split("Backup: ", 1)[1].split()[0])
    assert backup.exists() and backup.parent.name == "deleted"
    assert counts(deleter)["conference.submission"] == before["conference.submission"] - 1
    start, end = last_act(project)
    assert start["outcome"] == "started" and start["backup"] == str(backup)
    assert end["outcome"] == "ok" and end["deleted"]["conference.submission"] == 1
    assert end["backup_sha256"] and end["scope"] == {"event": str(deleter.events["democon"])}


def test_many_rows_need_the_typed_count(deleter, capsys):
    before = counts(deleter)
    args = ("conference.Submission", "--filter", "state=submitted", "--event__slug=democon")
    code, _, err = cli(capsys, deleter.alias, *args, "--yes")
    assert code == 1 and '--confirm "delete ' in err
    phrase = err.split('--confirm "', 1)[1].split('"', 1)[0]
    assert phrase.startswith("delete ") and phrase.endswith(" rows")
    assert counts(deleter) == before
    code, _out, err = cli(capsys, deleter.alias, *args, "--confirm", "delete 1 rows")
    assert code == 1 and counts(deleter) == before
    code, _, err = cli(capsys, deleter.alias, *args, "--confirm", phrase)
    assert code == 0, err
    remaining = deleter.raw(lambda: Submission._base_manager.using(deleter.alias)
                            .filter(event__slug="democon", state="submitted").count())
    assert remaining == 0


def test_cross_tenant_refused_with_exit_1_and_audited(deleter, project, capsys):
    sub_pk = deleter.raw(lambda: Review._base_manager.using(deleter.alias)
                         .get(text__contains="planted cross-tenant").submission_id)
    before = counts(deleter)
    code, out, err = cli(capsys, deleter.alias, f"conference.Submission.{sub_pk}", "--event__slug=pycon-nordic",
                         "--yes")
    assert code == 1
    assert "OTHER TENANT: conference.review" in out
    assert "another tenant" in err and "--allow-cross-tenant" in err and "Traceback" not in err
    assert counts(deleter) == before
    _, end = last_act(project)
    assert end["outcome"] == "refused" and end["deleted"] is False
    code, out, err = cli(capsys, deleter.alias, f"conference.Submission.{sub_pk}", "--event__slug=pycon-nordic",
                         "--yes", "--allow-cross-tenant", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["report"]["deleted"]["conference.review"] >= 1
    assert "as allowed; recorded in the audit trail" in err


def test_bad_input_is_exit_2_and_one_paragraph(deleter, capsys):
    for args in (("conference.Submission", "--event__slug=democon", "--yes"),
                 ("conference.Nope.1", "--event__slug=democon"),
                 ("conference.Submission.abc", "--event__slug=democon"),
                 ("conference.Submission.999999", "--event__slug=democon")):
        code, _out, err = cli(capsys, deleter.alias, *args)
        assert code == 2, (args, err)
        assert "Traceback" not in err and err.count("\n") <= 2, err
    code, _, err = cli(capsys, deleter.alias, "conference.Submission.1")
    assert code == 2 and "Choose the tenant" in err


def test_dry_run_writes_nothing(deleter, capsys):
    pk = democon_submission(deleter)
    before = counts(deleter)
    code, out, err = cli(capsys, deleter.alias, f"conference.Submission.{pk}", "--event__slug=democon", "--dry-run")
    assert code == 0, err
    assert "Dry run:" in out and "rolled back" in out
    assert counts(deleter) == before


def test_a_blocked_preview_says_nothing_can_be_deleted(deleter, capsys):
    event = deleter.events["democon"]
    code, out, err = cli(capsys, deleter.alias, f"conference.Event.{event}", "--event__slug=democon", "--preview")
    assert code == 1 and "protect what you delete" in err  # refused: a preview that could not be applied
    assert "conference.activitylog" in out  # the whole cascade, past the protected submissions
    assert "would be deleted" in out and " rows deleted" not in out
    blocked = out.index("BLOCKED by 40 conference.submission (PROTECT: 'Submission.event')")
    assert out.index("Nothing can be deleted until the blocking rows are deleted or changed") > blocked
