"""Driving the shop-like test project (``tests/projects/shoplike``) in real subprocesses.

Like saasproj, it cannot share the test process (configured for the demo), so
it is migrated and seeded by ``seed_shop`` in a child process, once per
database (SQLite file, or a PostgreSQL database created for the run), and
every check runs the real ``tenant-console`` executable against it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"
PYTHON = sys.executable
EXE = str(Path(sys.executable).with_name("tenant-console"))
SETTINGS = ["--settings", "shoplike.settings", "--pythonpath", str(PROJECTS)]


@dataclass
class Shop:
    """One seeded shoplike database and how to run the console on it."""

    backend: str  # "sqlite" or "postgres"
    base: Path
    pg_name: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, backend: str, name: str, plant: bool = False, empty: bool = False) -> Shop:
        base = Path(os.environ["TC_TEST_DIR"]) / f"shoplike-{name}"
        base.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
        env["SHOPLIKE_STATE_DIR"] = str(base / "state")
        env.pop("SHOPLIKE_PG_NAME", None)
        shop = cls(backend, base, env=env)
        if backend == "postgres":
            from tests import pg

            shop.pg_name = f"tc_shop_{uuid.uuid4().hex[:10]}"
            pg.admin(f'CREATE DATABASE "{shop.pg_name}"')
            env["SHOPLIKE_PG_NAME"] = shop.pg_name
        else:
            env["SHOPLIKE_DB"] = str(base / "shop.sqlite3")
        flags = [*(["--plant"] if plant else []), *(["--empty"] if empty else [])]
        done = shop.run([PYTHON, "-m", "django", "seed_shop", *flags, *SETTINGS])
        assert done.returncode == 0, done.stderr
        return shop

    def drop(self) -> None:
        if self.pg_name:
            from tests import pg

            pg.admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def run(self, cmd: list[str], extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra_env or {})}
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    def cli(self, *args: str, config: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
        """``tenant-console --settings shoplike.settings ARGS``; ``config`` replaces TENANT_CONSOLE keys."""
        extra = {"SHOPLIKE_TENANT_CONSOLE": json.dumps(config)} if config is not None else None
        return self.run([EXE, *SETTINGS, *args], extra)

    def cli_json(self, *args: str) -> Any:
        done = self.cli(*args, "--json") if "--json" not in args else self.cli(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def models(self, *scope: str) -> dict[str, dict[str, Any]]:
        data = self.cli_json("models", *scope)
        return {row["model"]: row for row in data["models"]}
