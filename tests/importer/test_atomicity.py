"""Killing the import process at any moment during apply leaves the target exactly as before.

The CLI runs in a subprocess (``kill_driver`` announces each write batch); it is SIGKILLed after a
random number of batches, several times, and the target is compared row for row each time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.importer.conftest import table_state

pytestmark = pytest.mark.mariadb

DRIVER = Path(__file__).resolve().parent / "kill_driver.py"
TRIALS = 3


def _run_and_kill(alias: str, path: Path, after_ticks: int) -> tuple[int, int]:
    """Start the import; SIGKILL it after ``after_ticks`` write batches. Returns (ticks seen, return code)."""
    cmd = [sys.executable, str(DRIVER), "--settings", "tests.settings", "--database", alias, "import", str(path),
           "--new-tenant", "slug=democon-killed", "--default", "missing_ref=skip", "--apply"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    seen = 0
    killed = False
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("TICK"):
            seen += 1
        if (line.startswith("LOCKED") and after_ticks == 0) or (line.startswith("TICK") and seen >= after_ticks):
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
    rc = proc.wait(timeout=60)
    err = proc.stderr.read() if proc.stderr else ""
    assert killed, f"the import finished before it could be killed (rc={rc}): {err}"
    return seen, rc


def test_sigkill_during_apply_leaves_target_unchanged(importer, loaded):
    before = table_state(importer.alias)
    rng = random.Random(os.getpid())
    # How many batches a full apply writes: count them once with a dry run in-process.
    from tenant_console.core.importer import Decisions, Retarget

    plan = importer.plan(loaded, Retarget.new_tenant({"event": {"slug": "democon-killed"}}))
    d = Decisions()
    d.set_default("skip", "missing_ref")
    ticks: list[int] = []
    importer.apply(plan, importer.resolve(plan, d), dry_run=True, progress=lambda *a: ticks.append(1))
    total = len(ticks)
    assert total >= 5
    points = sorted({0, *(rng.randint(1, total) for _ in range(TRIALS - 1))})
    for after in points:
        seen, rc = _run_and_kill(importer.alias, loaded, after)
        assert rc == -signal.SIGKILL
        assert table_state(importer.alias) == before, f"target changed after a kill at batch {seen} of {total}"
