"""The read-only layer: a block of ORM work in which nothing can be written.

Three independent layers, so that a hole in one is caught by another:

1. **The database's own read-only transaction**, as the first statement of an
   outermost (durable) atomic block. PostgreSQL: ``REPEATABLE READ, READ ONLY``,
   which also gives one consistent snapshot of every table. SQLite:
   ``PRAGMA query_only``. Both are verified after they are set.
2. **A statement guard** (Django ``execute_wrapper``) that lets only reads through
   and refuses everything else, including ``SET``, ``PRAGMA``, ``COMMIT``,
   savepoints, ``EXPLAIN ANALYZE``, ``FOR UPDATE`` and ``nextval`` (see
   :mod:`tenant_console.core.sqlguard`).
3. **Rollback, always**, at the end of the block, whatever happened in it.

On the way out the block also checks that it is still inside the transaction it
opened; if code inside it ended that transaction behind Django's back, the block
raises instead of pretending all was well.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from tenant_console.core.errors import ConsoleError, ReadOnlyViolation
from tenant_console.core.sqlguard import classify


class StatementGuard:
    """``execute_wrapper`` that refuses any statement :func:`classify` does not call a read."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        verdict = classify(str(sql), many=many)
        if not verdict.allowed:
            self.refused.append(verdict.kind)
            raise ReadOnlyViolation(verdict.kind, verdict.reason, str(sql))
        return execute(sql, params, many, context)


@dataclass
class ReadOnlyState:
    """What the block established; useful to show to the user and in tests."""

    alias: str
    vendor: str
    layers: list[str] = field(default_factory=list)
    guard: StatementGuard | None = None


def _raw_cursor(alias: str) -> Any:
    """A cursor of the driver, below Django's execute wrappers (for our own statements)."""
    conn = connections[alias]
    conn.ensure_connection()
    return conn.connection.cursor()


def _fetch_one(alias: str, sql: str) -> Any:
    cur = _raw_cursor(alias)
    try:
        cur.execute(sql)
        row = cur.fetchone()
        return row[0] if row else None
    finally:
        cur.close()


def _begin_database_layer(alias: str, vendor: str, state: ReadOnlyState) -> Any:
    """Make the open transaction read-only at the database; return a token to re-check at the end."""
    if vendor == "postgresql":
        cur = connections[alias].cursor()  # through Django, so psycopg2 opens the transaction
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if _fetch_one(alias, "SHOW transaction_read_only") != "on":
            raise ConsoleError("PostgreSQL did not accept a read-only transaction; nothing was run.")
        if _fetch_one(alias, "SHOW transaction_isolation") != "repeatable read":
            raise ConsoleError("PostgreSQL did not accept REPEATABLE READ; nothing was run.")
        state.layers += ["postgresql read-only transaction", "repeatable-read snapshot"]
        return _fetch_one(alias, "SELECT now()::text || ':' || pg_backend_pid()::text")
    if vendor == "sqlite":
        # A deferred BEGIN takes its read snapshot at the first read; read now so the
        # snapshot (and the transaction) start here.
        connections[alias].cursor().execute("SELECT 1 FROM sqlite_master LIMIT 1")
        cur = _raw_cursor(alias)
        cur.execute("PRAGMA query_only = ON")
        cur.close()
        if str(_fetch_one(alias, "PRAGMA query_only")) != "1":
            raise ConsoleError("SQLite did not accept PRAGMA query_only; nothing was run.")
        state.layers.append("sqlite query_only")
        return True
    if vendor == "mysql":
        connections[alias].cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        state.layers.append("mysql read-only transaction")
        return None
    return None


def _check_still_inside(alias: str, vendor: str, token: Any) -> None:
    conn = connections[alias]
    if vendor == "postgresql":
        now = _fetch_one(alias, "SELECT now()::text || ':' || pg_backend_pid()::text")
        if now != token or _fetch_one(alias, "SHOW transaction_read_only") != "on":
            raise ConsoleError(
                "The read-only transaction was ended from inside the read-only block (a COMMIT or "
                "ROLLBACK issued below Django). Statements after that point may have been written."
            )
    elif vendor == "sqlite":
        raw = conn.connection
        if not raw.in_transaction or str(_fetch_one(alias, "PRAGMA query_only")) != "1":
            raise ConsoleError(
                "The read-only transaction was ended or query_only was switched off from inside the "
                "read-only block. Statements after that point may have been written."
            )


@contextlib.contextmanager
def read_only(alias: str = "default", *, guard: bool = True) -> Iterator[ReadOnlyState]:
    """Run the body in a read-only, always-rolled-back transaction on ``alias``.

    Must be the outermost transaction of the connection: a nested atomic block
    is only a savepoint, whose read-only setting would revert. ``guard=False``
    leaves out the statement guard (tests use it to prove the database layer
    holds on its own).
    """
    conn = connections[alias]
    if conn.in_atomic_block:
        raise ConsoleError(
            "The read-only layer must be the outermost transaction, but a transaction is already open "
            f"on database {alias!r}; a nested block would only be a savepoint."
        )
    conn.ensure_connection()
    vendor = conn.vendor
    state = ReadOnlyState(alias=alias, vendor=vendor)
    try:
        with transaction.atomic(using=alias, durable=True):
            token = _begin_database_layer(alias, vendor, state)
            failed = False
            try:
                with contextlib.ExitStack() as stack:
                    if guard:
                        state.guard = StatementGuard()
                        stack.enter_context(conn.execute_wrapper(state.guard))
                        state.layers.append("statement guard")
                    state.layers.append("rollback at end")
                    yield state
            except BaseException:
                failed = True
                raise
            finally:
                transaction.set_rollback(True, using=alias)
                if not failed:
                    _check_still_inside(alias, vendor, token)
    finally:
        if vendor == "sqlite" and conn.connection is not None:
            with contextlib.suppress(Exception):
                cur = conn.connection.cursor()
                cur.execute("PRAGMA query_only = OFF")
                cur.close()
