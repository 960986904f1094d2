"""Run ``verify``, ``import`` (plan) and ``import --apply`` on corpus files, in a process with limits.

    echo '[["valid", "valid.jsonl", null], ...]' | python -m tests.importer.corpus.run_case ALIAS FOLDER

One process runs every case it is given on stdin (name, file, decisions file), one after the
other (Django starts once, not once per file: the corpus is ~90 files on two databases).
The address space is capped (``RLIMIT_AS``,
``TC_CORPUS_MEMORY`` bytes) before Django is imported, so a file that makes a command take memory
without bound fails instead of taking the machine, and each case has ``TC_CORPUS_TIMEOUT`` seconds
(an alarm): a case that hangs fails, and the next one still runs. Per case, one JSON line on stdout
(flushed as soon as the case is done, so the cases run before a crash keep their result): per
command the exit code, stdout and stderr (a traceback that escaped ``main`` is recorded in stderr, as
Python would print it), whether the target's tables changed, and the process's peak RSS so far. The
target is flushed first, and again after every case that wrote to it, so each case starts empty.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import traceback
from pathlib import Path
from typing import Any


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout("the case did not finish in time")


def _flush(alias: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("flush", database=alias, interactive=False, verbosity=0)
    connections[alias].close()


def run_one(alias: str, folder: Path, name: str, file: str, decisions: str | None) -> dict[str, Any]:
    from django.db import connections

    from tenant_console.cli.main import main as cli
    from tests.importer.conftest import table_state

    path = str(folder / file)
    extra = ["--decisions", str(folder / decisions)] if decisions else []
    runs = {"verify": ["verify", path], "plan": ["import", path, *extra], "apply": ["import", path, *extra, "--apply"]}
    before = table_state(alias)
    connections[alias].close()
    out: dict[str, dict[str, object]] = {}
    for mode, args in runs.items():
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                rc = cli(["--settings", "tests.settings", "--database", alias, *args])
            except BaseException:  # what a user would see: a traceback
                traceback.print_exc()
                rc = 99
        out[mode] = {"exit": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}
    changed = table_state(alias) != before
    if changed:
        _flush(alias)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"case": name, "runs": out, "changed": changed, "peak_rss_kb": peak}


def main() -> None:
    limit = int(os.environ.get("TC_CORPUS_MEMORY", str(1 << 30)))
    timeout = int(os.environ.get("TC_CORPUS_TIMEOUT", "120"))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    alias, folder = sys.argv[1:]
    cases = json.loads(sys.stdin.read())
    from tenant_console.core.project import configure_django

    configure_django("tests.settings")
    _flush(alias)
    signal.signal(signal.SIGALRM, _alarm)
    for name, file, decisions in cases:
        signal.alarm(timeout)
        try:
            result = run_one(alias, Path(folder), name, file, decisions)
        except BaseException as exc:  # the case's own failure (a timeout, memory): recorded, the next one runs
            result = {"case": name, "error": "".join(traceback.format_exception(exc))[-3000:]}
            with contextlib.suppress(Exception):
                _flush(alias)
        finally:
            signal.alarm(0)
        sys.__stdout__.write(json.dumps(result) + "\n")
        sys.__stdout__.flush()


if __name__ == "__main__":
    main()
