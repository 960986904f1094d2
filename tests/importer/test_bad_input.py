"""The hostile-input corpus: every file gets the same answer from ``verify`` and ``import``, in one paragraph.

The files are generated at test time by :mod:`tests.importer.corpus.make_corpus` (bombs, FIFOs, links to
``/dev/zero``, manifests that lead out of their folder, values no database should get...). Each case
runs ``verify``, ``import`` (plan) and ``import --apply`` in a subprocess with a capped address space and
a timeout (a regression fails instead of hanging or eating the machine), and checks the exit code, the
message, that no traceback was printed, and that the target's tables are unchanged (or, for the sound
files, that the apply wrote them).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.importer.conftest import table_state
from tests.importer.corpus.make_corpus import build

ROOT = Path(__file__).resolve().parent.parent.parent
#: Address space of one case's process (Python, Django and both drivers take about 400 MB of it).
MEMORY = 1 << 30
TIMEOUT = 120


#: Written once, when the tests are collected (the case names are the test ids), removed at exit.
FOLDER = Path(tempfile.mkdtemp(prefix="tc-corpus-"))
atexit.register(shutil.rmtree, FOLDER, True)
BUILT = {c.name: c for c in build(FOLDER)}
CASES = list(BUILT)


@pytest.fixture
def corpus() -> Path:
    return FOLDER


def _run(alias: str, folder: Path, case) -> dict:
    args = [sys.executable, "-m", "tests.importer.corpus.run_case", alias, str(folder / case.file)]
    if case.decisions:
        args.append(str(folder / case.decisions))
    env = {**os.environ, "TC_CORPUS_MEMORY": str(MEMORY), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'demo_project'}"}
    proc = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, env=env)
    assert proc.returncode == 0, f"the case's process failed (exit {proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", CASES)
def test_corpus(name, corpus, target_alias):
    from django.db import connections

    case = BUILT[name]
    vendor = connections[target_alias].vendor
    before = table_state(target_alias)
    connections[target_alias].close()
    result = _run(target_alias, corpus, case)
    runs = result["runs"]
    for mode in ("verify", "plan", "apply"):
        run = runs[mode]
        code, pattern = case.expect(mode, vendor)
        output = run["stdout"] + run["stderr"]
        where = f"{mode}: exit {run['exit']}\n{output[-4000:]}"
        assert "Traceback" not in run["stderr"], where
        assert run["exit"] == code, where
        assert re.search(pattern, output, re.I), f"{mode}: /{pattern}/ not in\n{output[-4000:]}"
        errors = [line for line in run["stderr"].splitlines() if line.startswith("tenant-console: error:")]
        if mode != "verify" or code == 2:
            assert len(errors) == (1 if code else 0), where  # one paragraph, on one line
        for text in case.absent:
            assert text not in output, f"{mode} printed {text!r}"
    if case.detail:
        assert re.search(case.detail, runs["plan"]["stdout"]), runs["plan"]["stdout"][-4000:]
    after = table_state(target_alias)
    if case.expect("apply", vendor)[0] == 0:
        assert after != before  # the sound files were imported
    else:
        assert after == before
    # The cap is what bounds memory; the peak is checked against it with room to spare.
    assert result["peak_rss_kb"] * 1024 < MEMORY
