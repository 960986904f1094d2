"""Run the test suites of ``make test`` side by side: ``python scripts/suites.py NAME=COMMAND ...``.

Each suite is one pytest process with its own databases (tests/conftest.py names them per run), so
they can share the machine: the Django 5.2 and Django 6.x series run at the same time, and what is
left (the psycopg2 run) starts as soon as a slot is free. ``TC_SUITE_JOBS`` (default 2; ``make test``
uses 3) is the number of suites at a time; 1 runs them one after the other. Each suite writes to its
own log; a line says when one starts and ends, and at the end every log is printed whole (a suite's
failures read as they would alone), then one line per suite with its exit code and time. The exit
code is the first failing suite's, or 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    suites = [arg.split("=", 1) for arg in argv]
    if not suites or any(len(s) != 2 for s in suites):
        print(__doc__, file=sys.stderr)
        return 2
    jobs = max(1, int(os.environ.get("TC_SUITE_JOBS", "2")))
    logs = Path(tempfile.mkdtemp(prefix="tc-suites-"))
    waiting = list(suites)
    running: dict[str, tuple[subprocess.Popen[bytes], float, Path]] = {}
    done: list[tuple[str, int, float, Path]] = []
    start = time.monotonic()
    while waiting or running:
        while waiting and len(running) < jobs:
            name, command = waiting.pop(0)
            log = logs / f"{name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(command, shell=True, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
            running[name] = (proc, time.monotonic(), log)
            print(f"[{time.monotonic() - start:6.0f} s] {name}: started ({command})", flush=True)
        time.sleep(1)
        for name, (proc, began, log) in list(running.items()):
            if proc.poll() is not None:
                del running[name]
                took = time.monotonic() - began
                done.append((name, proc.returncode, took, log))
                print(f"[{time.monotonic() - start:6.0f} s] {name}: exit {proc.returncode} after {took:.0f} s",
                      flush=True)
    for name, _code, _took, log in done:
        print(f"\n===== {name} =====", flush=True)
        sys.stdout.buffer.write(log.read_bytes())
        sys.stdout.flush()
    print()
    for name, code, took, _log in done:
        print(f"{name}: {'passed' if code == 0 else f'FAILED (exit {code})'} in {took:.0f} s")
    print(f"all suites: {time.monotonic() - start:.0f} s (logs in {logs})")
    failed = [code for _name, code, _took, _log in done if code]
    return failed[0] if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
