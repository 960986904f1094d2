"""Running the real ``tenant-console`` executable for cases that need a fresh Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo_project"
EXE = str(Path(sys.executable).with_name("tenant-console"))


def run_cli(
    *args: str, cwd: Path = DEMO, env: dict[str, str] | None = None, timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "TC_TEST_DIR"}}
    full_env.update(env or {})
    return subprocess.run(
        [EXE, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout, input=stdin
    )
