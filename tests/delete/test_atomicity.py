"""A delete killed at any point deletes nothing: SIGKILL in the middle of the delete, several times."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from tests.delete.test_delete import counts

DRIVER = Path(__file__).resolve().parent / "kill_driver.py"
TRIALS = 3


def test_sigkill_during_the_delete_leaves_every_row(deleter):
    _, preview = deleter.preview("democon", "conference.Submission", filter_text="state=submitted")
    total = preview.total
    assert total > 20
    before = counts(deleter)
    rng = random.Random(os.getpid())
    cmd = [sys.executable, str(DRIVER), "--settings", "tests.settings", "--database", deleter.alias, "delete",
           "conference.Submission", "--filter", "state=submitted", "--event__slug=democon",
           "--confirm", f"delete {total:,} rows"]
    for _ in range(TRIALS):
        after = rng.randint(1, max(1, preview.counts()["conference.submission"] - 1))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=os.environ.copy())
        seen = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("DELETED"):
                seen += 1
                if seen >= after:
                    proc.send_signal(signal.SIGKILL)
                    break
        rc = proc.wait(timeout=60)
        assert rc == -signal.SIGKILL, (rc, proc.stderr.read() if proc.stderr else "")
        assert counts(deleter) == before, f"killed after {seen} deleted rows"
