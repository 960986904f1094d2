"""Driving the edge-case test project (``tests/projects/edgeproj``) in real subprocesses.

As with saasproj, the test process is configured for the demo, so edgeproj runs in child
processes: the real ``tenant-console`` executable and ``python -m edgeproj.probe``. Its
database is built once per run and kind (SQLite file, PostgreSQL database) as a template;
:func:`fresh` hands each test its own copy, so tests that write never see each other.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests import pg

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"
PYTHON = sys.executable
EXE = str(Path(sys.executable).with_name("tenant-console"))
SETTINGS = ["--settings", "edgeproj.settings", "--pythonpath", str(PROJECTS)]
KINDS = ["sqlite", "postgres"]


def _base_dir() -> Path:
    base = os.environ.get("TC_TEST_DIR")
    assert base, "tests/conftest.py sets TC_TEST_DIR"
    path = Path(base) / "edgeproj"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _env(db: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "EDGEPROJ_PG", "EDGEPROJ_DB"}}
    env["EDGEPROJ_STATE_DIR"] = str(_base_dir() / "state")
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECTS), str(ROOT)])
    env.update(db)
    return env


def run(cmd: list[str], db: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=_env(db), capture_output=True, text=True, timeout=timeout)


@functools.cache
def _template(kind: str) -> dict[str, str]:
    """Migrate and seed one database of ``kind`` per run: the template every test copies."""
    if kind == "postgres":
        name = f"{os.environ['TC_TEST_PG_NAME']}_edges"
        pg.admin(f'CREATE DATABASE "{name}"')
        db = {"EDGEPROJ_PG": name}
    else:
        db = {"EDGEPROJ_DB": str(_base_dir() / "template.sqlite3")}
    done = run([PYTHON, "-m", "django", "seed_edges", *SETTINGS], db)
    assert done.returncode == 0, done.stderr
    return db


def fresh(kind: str) -> dict[str, str]:
    """A seeded database of ``kind`` of the test's own: ``{"EDGEPROJ_...": name}``."""
    if kind == "postgres":
        from tests.conftest import PG_REASON

        if PG_REASON:
            pytest.skip(f"PostgreSQL tests skipped: {PG_REASON}")
    template = _template(kind)
    token = uuid.uuid4().hex[:8]
    if kind == "postgres":
        name = f"{template['EDGEPROJ_PG']}_{token}"
        pg.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template["EDGEPROJ_PG"]}"')
        _created.append(name)
        return {"EDGEPROJ_PG": name}
    path = _base_dir() / f"db-{token}.sqlite3"
    shutil.copyfile(template["EDGEPROJ_DB"], path)
    return {"EDGEPROJ_DB": str(path)}


_created: list[str] = []


def empty(kind: str) -> dict[str, str]:
    """A migrated edgeproj database of ``kind`` without any rows (a fresh target)."""
    if kind == "postgres":
        from tests.conftest import PG_REASON

        if PG_REASON:
            pytest.skip(f"PostgreSQL tests skipped: {PG_REASON}")
        name = f"{os.environ['TC_TEST_PG_NAME']}_edges_empty_{uuid.uuid4().hex[:8]}"
        pg.admin(f'CREATE DATABASE "{name}"')
        _created.append(name)
        db = {"EDGEPROJ_PG": name}
    else:
        db = {"EDGEPROJ_DB": str(_base_dir() / f"empty-{uuid.uuid4().hex[:8]}.sqlite3")}
    done = run([PYTHON, "-m", "django", "migrate", "--verbosity", "0", *SETTINGS], db)
    assert done.returncode == 0, done.stderr
    return db


def drop_databases() -> None:
    """Drop the PostgreSQL databases this run created (called from the fixture's finaliser)."""
    names = list(_created)
    if _template.cache_info().currsize and os.environ.get("TC_TEST_PG_NAME"):
        names.append(f"{os.environ['TC_TEST_PG_NAME']}_edges")
    for name in names:
        try:
            pg.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:
            pass
    _created.clear()


def cli(db: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``tenant-console --settings edgeproj.settings --pythonpath tests/projects ARGS`` on ``db``."""
    return run([EXE, *SETTINGS, *args], db, timeout=timeout)


def cli_json(db: dict[str, str], *args: str) -> Any:
    done = cli(db, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def probe(db: dict[str, str], sql: str | None = None) -> dict[str, Any]:
    """What is in the database (see ``edgeproj/probe.py``); ``sql``: a statement to run first."""
    done = run([PYTHON, "-m", "edgeproj.probe", *(("--sql", sql) if sql else ())], db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def is_postgres(db: dict[str, str]) -> bool:
    return "EDGEPROJ_PG" in db
