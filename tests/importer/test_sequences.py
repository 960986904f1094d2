"""A dry run or a failed import leaves the target's sequences as they were (issue 12).

PostgreSQL's ``nextval`` (many-to-many rows get their ids from it) and ``setval`` (the reset after
writing) are not undone by a rollback, nor is MariaDB's ``AUTO_INCREMENT`` (InnoDB moves it past
every inserted key, rolled back or not); the apply step reads them first and puts them back. SQLite
has no separate sequences: there, nothing at all changes either.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenant_console.core.importer import Decisions
from tests.importer.conftest import table_state

pytestmark = pytest.mark.mariadb


def sequences(alias: str) -> dict[str, Any]:
    from django.db import connections

    conn = connections[alias]
    if conn.vendor == "mysql":
        with conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                        "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL")
            out = dict(cur.fetchall())
        conn.close()
        return out
    if conn.vendor != "postgresql":
        return {}
    with conn.cursor() as cur:
        cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()")
        out = dict(cur.fetchall())
    conn.close()
    return out


def _plan(importer, make_export):
    plan = importer.plan(make_export(importer.source))
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "dependent")
    return plan, importer.resolve(plan, d)


def test_dry_run_leaves_sequences_as_they_were(importer, make_export):
    before_seq, before_rows = sequences(importer.alias), table_state(importer.alias)
    plan, res = _plan(importer, make_export)
    report = importer.apply(plan, res, dry_run=True)
    assert report.dry_run and sum(report.written.values()) > 100
    assert sequences(importer.alias) == before_seq
    assert table_state(importer.alias) == before_rows
    # The control: a real import does move them (so the check above can see a move).
    importer.apply(plan, res)
    if importer.alias.startswith(("postgres", "mariadb")):
        assert sequences(importer.alias) != before_seq


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("after_ticks", [3, 10_000])
def test_failed_import_leaves_sequences_as_they_were(importer, make_export, after_ticks):
    """Interrupted after a few batches, or at the very end (after the many-to-many rows and the reset)."""
    before_seq, before_rows = sequences(importer.alias), table_state(importer.alias)
    plan, res = _plan(importer, make_export)
    ticks = {"n": 0, "max": 0}

    def count() -> None:
        ticks["max"] += 1

    importer.apply(plan, res, dry_run=True, pause=count)  # how many batches there are
    stop_at = min(after_ticks, ticks["max"])

    def pause() -> None:
        ticks["n"] += 1
        if ticks["n"] >= stop_at:
            raise Interrupted(f"stopped after {ticks['n']} batches")

    with pytest.raises(Interrupted):
        importer.apply(plan, res, pause=pause)
    assert sequences(importer.alias) == before_seq
    assert table_state(importer.alias) == before_rows
