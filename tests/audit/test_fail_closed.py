"""An audited act does not happen when its record cannot be written; the error names the path.

The tests run as root, for whom permissions are no obstacle, so the unwritable audit paths are
ones that fail for anybody: a path below a regular file, and a path that is a directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conference.models import Tag

from tenant_console.cli.main import main
from tenant_console.core.audit import AuditUnavailable
from tenant_console.core.repl.runner import ReplRunner
from tests.core.test_audit import unwritable_audit_path
from tests.importer.conftest import table_state

MARK = "tc-audit-closed"


@pytest.fixture(params=["parent_is_a_file", "path_is_a_directory"])
def break_log(request, tmp_path, monkeypatch) -> Callable[[], Path]:
    """Call it to point the CLI's TENANT_CONSOLE["AUDIT_LOG"] at an unwritable path for the rest of the test."""
    from django.conf import settings

    def use() -> Path:
        path = unwritable_audit_path(tmp_path, request.param)
        monkeypatch.setattr(settings, "TENANT_CONSOLE", {**settings.TENANT_CONSOLE, "AUDIT_LOG": str(path)})
        return path

    return use


@contextlib.contextmanager
def audit_to(project, path: Path) -> Iterator[None]:
    saved = project.audit.path
    project.audit.path = path
    try:
        yield
    finally:
        project.audit.path = saved


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--settings", "tests.settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, err: str, path: Path) -> None:
    assert code == 2
    assert f"The audit trail cannot be written to {path}" in err and "was not done" in err
    assert "Traceback" not in err and err.count("\n") == 1  # one paragraph


def tags(alias: str = "default") -> int:
    return Tag._base_manager.using(alias).filter(tag__startswith=MARK).count()


def test_shell_input_with_write_does_nothing(capsys, break_log):
    bad_log = break_log()
    code, out, err = cli(capsys, "shell", "--event__slug=democon", "--write", "-c",
                         f"print('RAN'); Tag.objects.create(event=event, tag='{MARK}')")
    assert_refused(code, err, bad_log)
    assert "RAN" not in out and tags() == 0


def test_shell_disabled_does_not_disable_or_run(capsys, break_log):
    bad_log = break_log()
    code, out, err = cli(capsys, "shell", "--disabled", "-c", "print('RAN')")
    assert_refused(code, err, bad_log)
    assert "disabling scopes was not done" in err and "RAN" not in out


def test_export_writes_no_file(capsys, break_log, tmp_path):
    bad_log = break_log()
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    code, _, err = cli(capsys, "export", "--event__slug=democon", "--cross-tenant", "omit",
                       "-o", str(out_dir / "x.jsonl.gz"))
    assert_refused(code, err, bad_log)
    assert list(out_dir.iterdir()) == []


def test_import_writes_nothing(capsys, break_log, importer, make_export):
    path = make_export(importer.source)
    before = table_state(importer.alias)
    bad_log = break_log()
    code, _, err = cli(capsys, "--database", importer.alias, "import", str(path), "--new-tenant",
                       "slug=democon-closed", "--default", "missing_ref=skip", "--apply")
    assert_refused(code, err, bad_log)
    assert "the import was not done" in err
    assert table_state(importer.alias) == before


def test_verify_does_not_run(capsys, break_log, make_export):
    path = make_export("default")
    bad_log = break_log()
    code, out, err = cli(capsys, "verify", str(path))
    assert_refused(code, err, bad_log)
    assert out == ""


def test_scope_activation_and_disabling_do_not_happen(project, session, event_pks, tmp_path):
    bad = unwritable_audit_path(tmp_path, "parent_is_a_file")
    with audit_to(project, bad):
        with pytest.raises(AuditUnavailable, match=str(bad)):
            session.activate({"event": event_pks["democon"]})
        assert not session.scope.is_active
        with pytest.raises(AuditUnavailable, match="disabling scopes was not done"):
            session.disable_scopes("test")
        assert not session.scope.disabled
    session.activate({"event": event_pks["democon"]})
    # Clearing a scope narrows what the session sees: it is done, and the missing record is said.
    with audit_to(project, bad), pytest.raises(AuditUnavailable, match="a record of clearing the scope"):
        session.clear_scope()
    assert not session.scope.is_active and not session.scope.disabled


def test_repl_input_writable_mode_and_commit_do_not_happen(repl: ReplRunner, project, other_session, tmp_path):
    bad = unwritable_audit_path(tmp_path, "path_is_a_directory")
    with audit_to(project, bad):
        res = repl.run("print('RAN')")
        assert not res.ok and str(bad) in (res.error or "") and "the input was not done" in (res.error or "")
        assert res.output == []
        with pytest.raises(AuditUnavailable, match="switching to writable mode was not done"):
            repl.enable_writes().result(10)
        assert not repl.writable
    repl.enable_writes().result(10)
    with audit_to(project, bad):
        res = repl.run(f"Tag.objects.create(event=event, tag='{MARK}')")
        assert not res.ok and not repl.dirty  # the input did not run
    assert repl.run(f"Tag.objects.create(event=event, tag='{MARK}')").ok
    with audit_to(project, bad):
        with pytest.raises(AuditUnavailable, match="the commit was not done"):
            repl.commit().result(10)
        assert repl.writable and repl.dirty
    assert other_session.run(lambda: Tag._base_manager.filter(tag__startswith=MARK).count(), scoped=False) == 0
    # Throwing the changes away is the safe direction: it is done, and the missing record is said.
    with audit_to(project, bad), pytest.raises(AuditUnavailable, match="a record of the rollback"):
        repl.rollback().result(10)
    assert not repl.writable and not repl.dirty
    assert other_session.run(lambda: Tag._base_manager.filter(tag__startswith=MARK).count(), scoped=False) == 0


def test_delete_deletes_nothing(capsys, break_log, deleter):
    from tests.delete.test_delete import counts, democon_submission

    pk = democon_submission(deleter)
    before = counts(deleter)
    bad_log = break_log()
    code, _, err = cli(capsys, "--database", deleter.alias, "delete", f"conference.Submission.{pk}",
                       "--event__slug=democon", "--yes")
    assert_refused(code, err, bad_log)  # the first audited act (the scope, then the delete) stops it
    assert counts(deleter) == before
