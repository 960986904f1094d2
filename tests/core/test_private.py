"""Files with customer data are created 0600 in 0700 directories, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenant_console.cli.main import main
from tenant_console.core.audit import AuditTrail
from tenant_console.core.browse.recent import RecentTenants
from tenant_console.core.private import open_private, private_dir, write_private_text
from tenant_console.core.repl.history import History, history_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask (022) would leave new files world-readable; the helpers must not rely on it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_helpers(tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    made = private_dir(existing / "a" / "b")
    assert mode(existing / "a") == mode(made) == 0o700
    assert mode(existing) == 0o755  # a directory the console did not create is left alone
    with open_private(made / "f.txt") as fh:
        fh.write("x")
    assert mode(made / "f.txt") == 0o600
    write_private_text(made / "g.json", "{}")
    assert mode(made / "g.json") == 0o600 and (made / "g.json").read_text() == "{}"
    assert sorted(p.name for p in made.iterdir()) == ["f.txt", "g.json"]  # no temporary file left


def test_audit_log_history_and_recent_tenants(tmp_path):
    state = tmp_path / "state"
    AuditTrail(state / "logs" / "audit.jsonl", "s", "default").record("x")
    assert mode(state) == mode(state / "logs") == 0o700 and mode(state / "logs" / "audit.jsonl") == 0o600
    hist = history_path(state, "tests.settings")
    History(hist).append("User.objects.values('password')")
    assert mode(hist.parent) == 0o700 and mode(hist) == 0o600
    recent = RecentTenants(tmp_path / "other-state", "tests.settings", "default")
    recent.remember("event", 1, "DemoCon")
    assert mode(recent.path) == 0o600 and mode(recent.path.parent) == 0o700


def test_export_and_manifest(capsys, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    code = main(["--settings", "tests.settings", "export", "--event__slug=democon", "--cross-tenant", "omit",
                 "-o", str(out / "democon.jsonl.gz"), "--with-files", str(out / "files")])
    capsys.readouterr()
    assert code == 0
    assert mode(out / "democon.jsonl.gz") == 0o600
    assert mode(out / "democon.manifest.json") == 0o600
    assert mode(out / "files") == 0o700
    for path in (out / "files").rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
