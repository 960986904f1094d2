"""The hostile-input corpus: every file gets the same answer from ``verify`` and ``import``, in one paragraph.

The files are generated at test time by :mod:`tests.importer.corpus.make_corpus` (bombs, FIFOs, links to
``/dev/zero``, manifests that lead out of their folder, values no database should get...). Each case
runs ``verify``, ``import`` (plan) and ``import --apply`` in a subprocess (one per database, for every
case in turn: ``run_case``) with a capped address space and a timeout per case (a regression fails
instead of hanging or eating the machine), and checks the exit code, the
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


#: The target of each database (``target_alias``'s, but the cases run in one process per database).
TARGETS = {"sqlite": "target", "postgres": "postgres_target"}
#: Results per target alias, from one process that ran every case on it (see ``run_case``).
RESULTS: dict[str, dict[str, dict]] = {}


def _results(alias: str, folder: Path) -> dict[str, dict]:
    if alias not in RESULTS:
        from django.db import connections

        from tests.conftest import flush

        flush(alias)
        connections[alias].close()
        spec = json.dumps([[c.name, c.file, c.decisions] for c in BUILT.values()])
        args = [sys.executable, "-m", "tests.importer.corpus.run_case", alias, str(folder)]
        env = {**os.environ, "TC_CORPUS_MEMORY": str(MEMORY), "TC_CORPUS_TIMEOUT": str(TIMEOUT),
               "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'demo_project'}"}
        proc = subprocess.run(args, input=spec, capture_output=True, text=True, timeout=TIMEOUT * len(BUILT),
                              cwd=ROOT, env=env)
        results = {}
        for line in proc.stdout.splitlines():
            if line.startswith('{"case"'):
                result = json.loads(line)
                results[result["case"]] = result
        if proc.returncode:  # the cases it did not get to fail with what it printed
            results["<process>"] = {"error": f"exit {proc.returncode}: {proc.stderr[-3000:]}"}
        RESULTS[alias] = results
        flush(alias)
    results = RESULTS[alias]
    return results


@pytest.mark.parametrize("db", list(TARGETS))
@pytest.mark.parametrize("name", CASES)
def test_corpus(name, db, corpus):
    from django.db import connections

    from tests.conftest import _alias_or_skip

    alias = _alias_or_skip(TARGETS[db])
    case = BUILT[name]
    vendor = connections[alias].vendor
    results = _results(alias, corpus)
    result = results.get(name) or results.get("<process>") or {"error": "the case's process never ran it"}
    assert "error" not in result, result["error"]
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
    # The sound files are imported; every other one leaves the target's tables as they were.
    assert result["changed"] == (case.expect("apply", vendor)[0] == 0)
    # The cap is what bounds memory; the peak is checked against it with room to spare.
    assert result["peak_rss_kb"] * 1024 < MEMORY
