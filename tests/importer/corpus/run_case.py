"""Run ``verify``, ``import`` (plan) and ``import --apply`` on one corpus file, in a process with limits.

    python -m tests.importer.corpus.run_case ALIAS FILE [DECISIONS]

The address space is capped (``RLIMIT_AS``, ``TC_CORPUS_MEMORY`` bytes) before Django is imported, so
a file that makes a command take memory without bound fails the test instead of taking the machine;
the caller also gives the process a timeout. Prints one JSON object: per command the exit code,
stdout and stderr (a traceback that escaped ``main`` is recorded in stderr, as Python would print it).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import traceback


def main() -> None:
    limit = int(os.environ.get("TC_CORPUS_MEMORY", str(1 << 30)))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    alias, path, *rest = sys.argv[1:]
    from tenant_console.cli.main import main as cli

    extra = ["--decisions", rest[0]] if rest else []
    runs = {"verify": ["verify", path], "plan": ["import", path, *extra], "apply": ["import", path, *extra, "--apply"]}
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.__stdout__.write(json.dumps({"runs": out, "peak_rss_kb": peak}) + "\n")


if __name__ == "__main__":
    main()
