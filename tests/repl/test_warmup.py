"""Jedi's warm-up (core/repl/warmup.py): once per process, on its own thread, taking turns with completions.

Timings are the benchmark's business (benchmarks.repl --completion-only); these check the behaviour. The
first test runs in a new process, where jedi is cold for sure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from tenant_console.core.repl import warmup
from tenant_console.core.repl.completion import jedi_completions

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from tenant_console.core.project import load_project
project = load_project("tests.settings")
from tenant_console.core.repl import warmup
models = [d.model for d in project.registry.dimensions.values()]
before = sorted(m for m in sys.modules if m == "jedi" or m.startswith("jedi."))
cold = warmup.is_warm()
thread = warmup.start(models)
again = warmup.start(models)
thread.join(120)
print(json.dumps({"jedi_before": len(before), "cold": cold, "warm": warmup.is_warm(), "thread": thread is not None,
                  "second_start": again is None, "second_warm_up": warmup.warm_up(models),
                  "thread_name": thread.name}))
"""


def test_warm_up_runs_once_on_its_own_thread_in_a_new_process():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "demo_project")])}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300,
                          cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"jedi_before": 0, "cold": False, "warm": True, "thread": True, "second_start": True,
                   "second_warm_up": 0.0, "thread_name": "tenant-console-jedi-warm-up"}


def test_a_completion_during_the_warm_up_waits_for_it_and_is_right(project):
    """The completion and the warm-up take turns (jedi's caches are shared): a tab pressed meanwhile gets
    the same names as afterwards."""
    from conference.models import Submission

    names: list[str] = []
    with warmup.JEDI_LOCK:  # as if the warm-up were running
        worker = threading.Thread(target=lambda: names.extend(
            c.text for c in jedi_completions("Submission.ti", 1, 13, {"Submission": Submission})))
        worker.start()
        worker.join(0.2)
        assert worker.is_alive(), "the completion waits while jedi is busy"
    worker.join(60)
    assert "title" in names
    assert [c.text for c in jedi_completions("Submission.ti", 1, 13, {"Submission": Submission})] == names


def test_a_failing_warm_up_leaves_completion_working(project):
    """Models jedi cannot look at do not break anything: the warm-up never raises."""
    class Odd:
        def __getattr__(self, name):
            raise RuntimeError("no")

    warmup.warm_up([Odd])  # 0 if another test warmed jedi already; never an exception
    assert warmup.is_warm()
    assert "upper" in [c.text for c in jedi_completions("''.up", 1, 5, {})]
