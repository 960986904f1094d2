"""Test harness: real databases, seeded once per run.

SQLite always; PostgreSQL and MariaDB when they are reachable. Under ``CI=true`` a
missing PostgreSQL or MariaDB is an error, never a skip. Tests that take ``db_alias``
(or ``target_alias``) run once on SQLite and once on PostgreSQL, and also on MariaDB
when they are marked ``@pytest.mark.mariadb`` (module-wide with ``pytestmark``); the
server variants skip with the reason on a machine without the server.
"""

from __future__ import annotations

import os
import shutil
import signal
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

from tests import mariadb, pg  # noqa: E402

#: ``TC_PSYCOPG2=1`` runs the suite on psycopg2 although psycopg (3) is installed: Django picks
#: psycopg 3 whenever it can import it, so the psycopg2 run hides it (``make test`` runs the
#: PostgreSQL read-only and transaction tests once more this way; see tests/core/test_drivers.py).
if os.environ.get("TC_PSYCOPG2") == "1":
    import importlib.abc

    class _HidePsycopg3(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "psycopg" or name.startswith("psycopg."):
                raise ImportError(f"{name} is hidden for the psycopg2 run (TC_PSYCOPG2=1)")
            return None

    sys.meta_path.insert(0, _HidePsycopg3())
    sys.modules.pop("psycopg", None)

PG_REASON: str | None = None
# tests/real (pretalx, pretix in their own venvs) runs apart: `make test-real` (scripts/real.py).
collect_ignore = ["real"]
MARIADB_REASON: str | None = None
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    global PG_REASON, MARIADB_REASON
    if os.environ.get("TC_TEST_DIR"):  # already configured (xdist worker or nested run)
        return
    # A run started in the background by a script (``make test &``, a CI runner) ignores SIGINT, and so would
    # every CLI the tests start; the ctrl+c tests need it taken as in a terminal (children get SIG_DFL).
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
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
    MARIADB_REASON = mariadb.unavailable_reason()
    if MARIADB_REASON and IN_CI:
        pytest.exit(f"CI=true but the MariaDB tests cannot run: {MARIADB_REASON}", returncode=3)
    if MARIADB_REASON is None:
        name = f"tc_test_{uuid.uuid4().hex[:10]}"
        for db in (name, f"{name}_target"):
            mariadb.admin(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        os.environ["TC_TEST_MARIADB_NAME"] = name
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
    my_name = os.environ.get("TC_TEST_MARIADB_NAME")
    if my_name:
        for db in (my_name, f"{my_name}_target"):
            try:
                mariadb.admin(f"DROP DATABASE IF EXISTS `{db}`")
            except Exception:
                pass
    if tmp and tmp.startswith(tempfile.gettempdir()):
        shutil.rmtree(tmp, ignore_errors=True)


def _alias_or_skip(alias: str) -> str:
    if alias.startswith("postgres") and PG_REASON:
        pytest.skip(f"PostgreSQL tests skipped: {PG_REASON}")
    if alias.startswith("mariadb") and MARIADB_REASON:
        pytest.skip(f"MariaDB tests skipped: {MARIADB_REASON}")
    return alias


#: The seeded databases and their empty migrated twins, by test id.
SOURCE_ALIASES = {"sqlite": "default", "postgres": "postgres", "mariadb": "mariadb"}
TARGET_ALIASES = {"sqlite": "target", "postgres": "postgres_target", "mariadb": "mariadb_target"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``db_alias``/``target_alias``: SQLite and PostgreSQL always, MariaDB for tests marked ``mariadb``.

    A test that takes both runs every SQLite/PostgreSQL pair, and with MariaDB three more (not all
    five): MariaDB to MariaDB, MariaDB's data into PostgreSQL, and SQLite's into MariaDB. A test that
    parametrizes a fixture itself (``@pytest.mark.parametrize("db_alias", [...])``) keeps its own list.
    """
    ids = ["sqlite", "postgres"]
    mariadb = metafunc.definition.get_closest_marker("mariadb") is not None
    if mariadb:
        ids.append("mariadb")
    own = {name for m in metafunc.definition.iter_markers("parametrize")
           for name in ([m.args[0]] if isinstance(m.args[0], str) else m.args[0])}
    wanted = [f for f in ("db_alias", "target_alias")
              if f in metafunc.fixturenames and not any(f in str(n) for n in own)]
    if wanted == ["db_alias", "target_alias"]:
        pairs = [(a, b) for a in ("sqlite", "postgres") for b in ("sqlite", "postgres")]
        if mariadb:
            pairs += [("mariadb", "mariadb"), ("mariadb", "postgres"), ("sqlite", "mariadb")]
        metafunc.parametrize(wanted, [(SOURCE_ALIASES[a], TARGET_ALIASES[b]) for a, b in pairs],
                             ids=[f"{a}-{b}" for a, b in pairs], indirect=True)
        return
    for fixture in wanted:
        aliases = SOURCE_ALIASES if fixture == "db_alias" else TARGET_ALIASES
        metafunc.parametrize(fixture, [aliases[i] for i in ids], ids=ids, indirect=True)


@pytest.fixture(autouse=True)
def _lockdown_released():
    """A test that leaves a session open would keep the whole process read-only (every new
    connection locked) for the tests after it; release what the test armed."""
    from tenant_console.core import lockdown

    before = lockdown.depth()
    yield
    while lockdown.depth() > before:
        lockdown.disarm()


@pytest.fixture
def db_alias(request: pytest.FixtureRequest) -> str:
    """A seeded database: SQLite, PostgreSQL and (for tests marked ``mariadb``) MariaDB."""
    return _alias_or_skip(request.param)


@pytest.fixture
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
def marked_tags_removed(request: pytest.FixtureRequest, project):
    """After the test: delete the demo tags whose name starts with the test module's ``MARK`` (what a
    writable REPL or shell test created), on the test's ``db_alias`` (``default`` without one)."""
    from conference.models import Tag

    mark = request.module.MARK
    alias = request.getfixturevalue("db_alias") if "db_alias" in request.fixturenames else project.alias
    yield
    s = project.session("cleanup", alias=alias, readonly=False)
    s.run(lambda: Tag._base_manager.filter(tag__startswith=mark).delete(), scoped=False)
    s.close()


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
