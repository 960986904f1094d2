"""Run tenant-console against the real projects (pretalx, pretix): ``make test-real``.

    python scripts/real.py                 # build or reuse the venvs and databases, then run the checks
    python scripts/real.py build           # only build (or reuse) them and print where they are
    python scripts/real.py -- -k audit     # pass options to pytest

Environment: TC_REAL_CACHE (default .real-cache/ in the repo), TC_REAL_PROJECTS (pretalx,pretix),
TC_REAL_PYTHON (the Python for the project venvs; default: a 3.12), TC_REAL_KEEP=1 (keep the
per-run copies of the databases and print where). See tests/real/harness.py for the cache layout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "real"))

import harness  # noqa: E402


def main(argv: list[str]) -> int:
    projects = [p for p in os.environ.get("TC_REAL_PROJECTS", "pretalx,pretix").split(",") if p]
    start = time.monotonic()
    if argv[:1] == ["build"]:
        for name, (venv, data, empty) in harness.build(projects).items():
            print(f"{name}: venv {venv}\n  data  {data}\n  empty {empty}")
        print(harness.TIMING.report())
        print(f"build: {time.monotonic() - start:.1f} s")
        return 0
    extra = argv[argv.index("--") + 1:] if "--" in argv else argv
    # Build first (outside pytest) so the build time is reported apart from the checks.
    harness.build(projects)
    print(harness.TIMING.report())
    print(f"build/reuse: {time.monotonic() - start:.1f} s", flush=True)
    here = REPO / "tests" / "real"
    cmd = [sys.executable, "-m", "pytest", "-c", str(here / "pytest.ini"), "--rootdir", str(here),
           "--confcutdir", str(here), str(here), *extra]
    env = dict(os.environ, TC_REAL="1")
    code = subprocess.run(cmd, cwd=REPO, env=env).returncode
    print(f"test-real: {time.monotonic() - start:.1f} s in all (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
