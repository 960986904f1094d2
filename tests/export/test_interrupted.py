"""Interrupted exports leave no temporary files (issue 12).

The real CLI in a subprocess (``signal_driver.py``) is stopped while its data file is half written
and signalled; the folder must then hold nothing of it. Files an export could not remove (it was
killed outright) are removed by the next export into the same folder, but never those of an
export that is still running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.helpers import ROOT

DRIVER = Path(__file__).with_name("signal_driver.py")


def _start(out: Path, alias: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.Popen(
        [sys.executable, str(DRIVER), "--settings", "tests.settings", "--database", alias, "export",
         "--event__slug=democon", "--cross-tenant", "omit", "-o", str(out / "democon.jsonl.gz"), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_writing(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "WRITING", (line, proc.stderr.read() if proc.stderr else "")


@contextlib.contextmanager
def _signalled(proc, sig: str):
    """Run the body (it waits for the export to be writing), then send ``sig`` and check the CLI ended
    with an error and no traceback; the process never outlives the test."""
    try:
        yield
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signalled_export_removes_its_temporary_files(tmp_path, db_alias, sig):
    proc = _start(tmp_path, db_alias)
    with _signalled(proc, sig):
        _wait_writing(proc)
        partial = sorted(p.name for p in tmp_path.iterdir())
        assert len(partial) == 1 and ".jsonl.gz.tmp-" in partial[0], partial  # half written
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signalled_jobs_export_removes_its_part_files(tmp_path, sig):
    """export --jobs 2 (worker processes, PostgreSQL): the parts written so far go too, and no worker is left."""
    from tests.conftest import _alias_or_skip

    proc = _start(tmp_path, _alias_or_skip("postgres"), "--jobs", "2")
    with _signalled(proc, sig):
        _wait_writing(proc)  # the session's process holds at its first progress report; the worker goes on
        assert any(".jsonl.gz.tmp-" in p.name for p in tmp_path.iterdir())
    time.sleep(0.2)
    assert sorted(tmp_path.iterdir()) == []


def test_the_next_export_removes_stale_temporary_files_only(tmp_path, db_alias):
    # A killed export (SIGKILL cannot be handled) leaves its file behind...
    proc = _start(tmp_path, db_alias)
    try:
        _wait_writing(proc)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    (killed,) = list(tmp_path.iterdir())
    # ...beside an earlier version's (no pid) untouched for two hours, a fresh one of a live export (this
    # process's pid, and a pid-less one just written), and a file that is not an export's.
    old = tmp_path / "older.jsonl.tmp-0123abcd"
    old.write_text("{")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    live = tmp_path / f"running.jsonl.gz.tmp-{os.getpid()}-89abcdef"
    live.write_bytes(b"")
    recent = tmp_path / "recent.manifest.json.tmp-fedcba98"
    recent.write_text("{")
    other = tmp_path / "notes.txt.tmp-0123abcd"
    other.write_text("mine")
    from tests.cli.helpers import run_cli

    done = run_cli("--settings", "tests.settings", "--pythonpath", "demo_project", "--database", db_alias, "export",
                   "--event__slug=democon",
                   "--cross-tenant", "omit", "-o", str(tmp_path / "again.jsonl.gz"), cwd=ROOT,
                   env={"TC_TEST_DIR": os.environ["TC_TEST_DIR"]})
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["again.jsonl.gz", "again.manifest.json", live.name, recent.name, other.name])
    assert "Removed 2 temporary file(s) left by interrupted exports" in done.stderr
    assert killed.name in done.stderr and old.name in done.stderr
