"""Every attempt of docs/readonly.md, run for real: refused by the console, refused by the
database, or detected as a breach; never a silent write.

The probe is a table ``tc_probe`` and the Organiser rows, counted on a connection of the test's
own (outside Django and the lockdown) before and after. The session API runs every attack; the
headless shell (``shell -c``) and the REPL core run a sample (``SURFACE_SAMPLE``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, connections

from tenant_console.core.errors import ConsoleError, ReadOnlyBreach, ReadOnlyViolation
from tenant_console.core.repl.runner import ReplRunner
from tests import pg
from tests.core.readonly_attacks import (
    ATTACKS,
    BREACH,
    CONSOLE,
    DATABASE,
    PRELUDE,
    SURFACE_SAMPLE,
    Attack,
    markdown_table,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.mariadb  # db_alias: SQLite, PostgreSQL and MariaDB


def _direct(alias: str) -> Any:
    cfg = settings.DATABASES[alias]
    if cfg["ENGINE"].endswith("sqlite3"):
        return sqlite3.connect(cfg["NAME"], isolation_level=None)
    if cfg["ENGINE"].endswith("mysql"):
        import MySQLdb

        conn = MySQLdb.connect(host=cfg["HOST"], port=int(cfg["PORT"]), user=cfg["USER"], password=cfg["PASSWORD"],
                               database=cfg["NAME"])
        conn.autocommit(True)
        return conn
    import psycopg2

    conn = psycopg2.connect(dbname=cfg["NAME"], connect_timeout=5, **pg.params())
    conn.autocommit = True
    return conn


def _probe(alias: str, sql: str) -> Any:
    conn = _direct(alias)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def counts(alias: str) -> tuple[int, int]:
    ((probe,),) = _probe(alias, "SELECT count(*) FROM tc_probe")
    ((orgs,),) = _probe(alias, "SELECT count(*) FROM conference_organiser WHERE slug LIKE 'tc-%'")
    return probe, orgs


@pytest.fixture
def probe(db_alias):
    connections[db_alias].close()
    _probe(db_alias, "CREATE TABLE IF NOT EXISTS tc_probe (n integer)")
    _cleanup(db_alias)
    yield db_alias
    _cleanup(db_alias)


def _cleanup(alias: str) -> None:
    from tenant_console.core.lockdown import take_evidence

    take_evidence()  # what an earlier test's side connections left is not this test's news
    _probe(alias, "DELETE FROM tc_probe")
    _probe(alias, "DELETE FROM conference_organiser WHERE slug LIKE 'tc-%'")
    for extra in ("DROP TABLE IF EXISTS tc_evil",):
        _probe(alias, extra)
    if connections[alias].vendor == "postgresql":
        _probe(alias, "SELECT pg_advisory_unlock_all()")


def outcome_of(exc: BaseException | None) -> str:
    """console / database / breach for what a session call raised; 'silent' for nothing."""
    if exc is None:
        return "silent"
    if isinstance(exc, ReadOnlyBreach):
        return BREACH
    if type(exc).__name__ == "TransactionManagementError":  # Django's own rule, before any SQL
        return CONSOLE
    if isinstance(exc, ReadOnlyViolation):
        return DATABASE if exc.reason.startswith("the database refused it") else CONSOLE
    driver_error = type(exc).__module__.startswith(("psycopg", "sqlite3", "MySQLdb"))
    if isinstance(exc, (DatabaseError, sqlite3.Error)) or driver_error:
        return DATABASE
    if isinstance(exc, ConsoleError) or type(exc).__name__ == "TransactionManagementError":
        return CONSOLE
    return f"unexpected {type(exc).__name__}: {exc}"


def _select_one(alias: str) -> int:
    with connections[alias].cursor() as cur:
        cur.execute("SELECT 1")
        return cur.fetchone()[0]


def _params(surface_sample: bool = False) -> list[Any]:
    out = []
    for a in ATTACKS:
        if surface_sample and a.id not in SURFACE_SAMPLE:
            continue
        out.append(pytest.param(a, id=a.id))
    return out


def _applies(attack: Attack, alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in attack.outcomes:
        pytest.skip(f"{attack.id} does not apply to {vendor}")
    return attack.outcomes[vendor]


@pytest.mark.parametrize("attack", _params())
def test_session_api(attack, probe, project):
    alias = probe
    expected = _applies(attack, alias)
    before = counts(alias)
    session = project.session("attack", alias=alias)
    try:
        ns: dict[str, Any] = {"SESSION": session}
        session.run(exec, PRELUDE.format(alias=alias), ns)
        error: BaseException | None = None
        try:
            session.run(exec, attack.code, ns, timeout=60)
        except BaseException as exc:
            error = exc
        for later in ns.get("LATER", []):
            later()
        got = outcome_of(error)
        # the session survives every attempt and still reads
        assert session.run(_select_one, alias) == 1
    finally:
        session.close()
    assert got == expected, f"{attack.id}: expected {expected}, got {got} ({error!r})"
    if got != BREACH:
        assert counts(alias) == before, f"{attack.id}: refused, yet the database changed"


@pytest.mark.parametrize("attack", _params(surface_sample=True))
def test_repl_core(attack, probe, project, event_pks):
    alias = probe
    expected = _applies(attack, alias)
    before = counts(alias)
    runner = ReplRunner(project, project.session("repl-attack", alias=alias))
    try:
        runner.set_scope({"event": event_pks["democon"]})
        assert runner.run(PRELUDE.format(alias=alias), timeout=30).ok
        result = runner.run(attack.code, timeout=60)
        assert runner.run("1 + 1", timeout=30).ok  # the REPL goes on
    finally:
        runner.close()
    assert result.outcome == ("breach" if expected == BREACH else "refused") or (
        expected == DATABASE and result.outcome == "error"  # a driver error re-raised from another thread
    ), (attack.id, result.outcome, result.error)
    if expected != BREACH:
        assert counts(alias) == before


@pytest.mark.parametrize("attack", _params(surface_sample=True))
def test_headless_shell(attack, probe, capsys):
    from tenant_console.cli.main import main

    alias = probe
    expected = _applies(attack, alias)
    before = counts(alias)
    code = main(["--settings", "tests.settings", "--database", alias, "shell", "--event__slug=democon", "-c",
                 PRELUDE.format(alias=alias) + attack.code])
    _out, err = capsys.readouterr()
    if expected == BREACH:
        assert code == ReadOnlyBreach.exit_code == 4, err
        assert "READ-ONLY BREACH" in err
    else:
        assert code == 1, err
        assert counts(alias) == before


def test_docs_table_matches_the_attacks():
    """docs/readonly.md carries exactly the table generated from ATTACKS."""
    doc = (ROOT / "docs" / "readonly.md").read_text()
    start, end = "<!-- attacks:start -->\n", "<!-- attacks:end -->"
    assert start in doc and end in doc
    table = doc[doc.index(start) + len(start): doc.index(end)]
    assert table == markdown_table(), "regenerate with: python -m tests.core.readonly_attacks"
    assert len(ATTACKS) >= 60
