"""Driving the second test project (``tests/projects/saasproj``) in real subprocesses.

The test process is configured for the demo project (``tests.settings``) and
Django cannot be reconfigured in-process, so everything about saasproj runs in
child processes: ``seed_saas`` once per run (cached), the discovery probe
(``python -m saasproj.probe``), and the real ``tenant-console`` executable.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"
PYTHON = sys.executable
EXE = str(Path(sys.executable).with_name("tenant-console"))
SETTINGS = ["--settings", "saasproj.settings", "--pythonpath", str(PROJECTS)]


def _base_dir() -> Path:
    base = os.environ.get("TC_TEST_DIR")
    assert base, "tests/conftest.py sets TC_TEST_DIR"
    return Path(base) / "saasproj"


def environment() -> dict[str, str]:
    """The child environment: the saasproj database and state dir, nothing of the demo's settings."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env["SAASPROJ_DB"] = str(_base_dir() / "saasproj.sqlite3")
    env["SAASPROJ_STATE_DIR"] = str(_base_dir() / "state")
    return env


def _run(cmd: list[str], timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=env or environment(), capture_output=True, text=True, timeout=timeout)


@functools.cache
def build() -> Path:
    """Migrate and seed the saasproj database once per test run; return its path."""
    _base_dir().mkdir(parents=True, exist_ok=True)
    done = _run([PYTHON, "-m", "django", "seed_saas", *SETTINGS])
    assert done.returncode == 0, done.stderr
    return Path(environment()["SAASPROJ_DB"])


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``tenant-console --settings saasproj.settings --pythonpath tests/projects ARGS``."""
    build()
    return _run([EXE, *SETTINGS, *args], env=env)


def cli_json(*args: str) -> Any:
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@functools.cache
def probe() -> dict[str, Any]:
    """What tenant-console discovers and sees in saasproj (see ``saasproj/probe.py``)."""
    build()
    env = environment()
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECTS), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = _run([PYTHON, "-m", "saasproj.probe"], env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def audit_records() -> list[dict[str, Any]]:
    path = Path(environment()["SAASPROJ_STATE_DIR"]) / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
