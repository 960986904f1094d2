"""Test harness: real databases, seeded once per run.

SQLite always; PostgreSQL when it is reachable. Under ``CI=true`` a missing
PostgreSQL is an error, never a skip. Tests that take ``db_alias`` run once per
database; the ``postgres`` variants skip with the reason on a machine without it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo_project"
for path in (str(ROOT), str(DEMO)):
    if path not in sys.path:
        sys.path.insert(0, path)

from tests import pg  # noqa: E402

PG_REASON: str | None = None
# tests/real (pretalx, pretix in their own venvs) runs apart: `make test-real` (scripts/real.py).
collect_ignore = ["real"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    global PG_REASON
    if os.environ.get("TC_TEST_DIR"):  # already configured (xdist worker or nested run)
        return
    tmp = Path(tempfile.mkdtemp(prefix="tc-test-"))
    os.environ["TC_TEST_DIR"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    PG_REASON = pg.unavailable_reason()
    if PG_REASON and IN_CI:
        pytest.exit(f"CI=true but the PostgreSQL tests cannot run: {PG_REASON}", returncode=3)
    if PG_REASON is None:
        name = f"tc_test_{uuid.uuid4().hex[:10]}"
        pg.admin(f'CREATE DATABASE "{name}"')
        pg.admin(f'CREATE DATABASE "{name}_target"')
        os.environ["TC_TEST_PG_NAME"] = name
    from tenant_console.core.project import configure_django

    configure_django("tests.settings")
    _prepare_databases()


def _prepare_databases() -> None:
    from conference.seeding import seed
    from django.conf import settings
    from django.core.management import call_command

    for alias in settings.DATABASES:
        call_command("migrate", database=alias, verbosity=0)
        if not alias.endswith("target"):
            seed(alias)
    from django.db import connections

    connections.close_all()


def pytest_unconfigure(config: pytest.Config) -> None:
    tmp = os.environ.get("TC_TEST_DIR")
    name = os.environ.get("TC_TEST_PG_NAME")
    try:
        from django.db import connections

        connections.close_all()
    except Exception:
        pass
    if name:
        for db in (name, f"{name}_target"):
            try:
                pg.admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            except Exception:
                pass
    if tmp and tmp.startswith(tempfile.gettempdir()):
        shutil.rmtree(tmp, ignore_errors=True)


def _alias_or_skip(alias: str) -> str:
    if alias.startswith("postgres") and PG_REASON:
        pytest.skip(f"PostgreSQL tests skipped: {PG_REASON}")
    return alias


@pytest.fixture(params=["default", "postgres"], ids=["sqlite", "postgres"])
def db_alias(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL (seeded demo data on both)."""
    return _alias_or_skip(request.param)


@pytest.fixture(params=["target", "postgres_target"], ids=["sqlite", "postgres"])
def target_alias(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty, migrated database (flushed before and after the test)."""
    alias = _alias_or_skip(request.param)
    flush(alias)
    yield alias
    flush(alias)


def flush(alias: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("flush", database=alias, interactive=False, verbosity=0)
    connections[alias].close()


@pytest.fixture(scope="session")
def project():
    """The loaded demo project (settings ``tests.settings``, alias ``default``)."""
    from tenant_console.core.project import load_project

    return load_project("tests.settings")


@pytest.fixture
def session(project, db_alias):
    """A read-only session on ``db_alias``; closed after the test."""
    s = project.session("test", alias=db_alias)
    yield s
    s.close()


@pytest.fixture
def event_pks(db_alias) -> dict[str, int]:
    """``{slug: pk}`` of the seeded events on ``db_alias``."""
    from conference.models import Event
    from django.db import connections

    pks = dict(Event._base_manager.using(db_alias).values_list("slug", "pk"))
    connections[db_alias].close()
    return pks
