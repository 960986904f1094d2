"""The read-only layer: a block of ORM work in which nothing can be written.

Three independent layers, so that a hole in one is caught by another:

1. **The database's own read-only transaction**, as the first statement of an
   outermost (durable) atomic block. PostgreSQL: ``REPEATABLE READ, READ ONLY``,
   which also gives one consistent snapshot of every table (taken at entry), plus
   ``default_transaction_read_only`` for the session so that a transaction begun
   after a sneaked-in ``COMMIT`` is read-only too. SQLite: ``PRAGMA query_only``
   on a transaction whose read snapshot is taken at entry, plus an authorizer
   (:func:`sqlite_authorizer`) that SQLite consults for every statement it
   compiles, so that neither a pragma nor ``executescript`` nor the driver's own
   cursor gets past it. Both are verified after they are set.
2. **A statement guard** (Django ``execute_wrapper``) that lets only reads through
   and refuses everything else, including ``SET``, ``PRAGMA``, ``COMMIT``,
   savepoints, ``EXPLAIN ANALYZE``, ``FOR UPDATE`` and ``nextval`` (see
   :mod:`tenant_console.core.sqlguard`). On PostgreSQL it classifies the
   statement exactly as the driver will send it (parameters interpolated), so a
   placeholder inside a string literal cannot smuggle a second statement in. A
   refusal by the database itself is reported the same way.
3. **Rollback, always**, at the end of the block, whatever happened in it.

On the way out the block checks that it is still inside the transaction it
opened (a marker savepoint set at entry must still exist, and the transaction
must still be read-only); if code inside it ended that transaction behind
Django's back (a ``COMMIT`` on the driver's connection), the block raises
:class:`ReadOnlyBreached` instead of pretending all was well.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from tenant_console.core.errors import ConsoleError, ReadOnlyViolation
from tenant_console.core.sqlguard import (
    DIALECTS,
    INTROSPECTION_PRAGMAS,
    POSTGRESQL,
    POSTGRESQL_NONSTANDARD,
    VALUE_PRAGMAS,
    Lexing,
    classify_with,
)

#: Savepoint set right after the read-only transaction begins; its presence at
#: the end proves the transaction was not ended (and a new one begun) meanwhile.
MARKER = "tenant_console_readonly"


class ReadOnlyBreached(ConsoleError):
    """The read-only transaction was ended from inside the block, below Django."""

    audit_outcome = "breach"


class StatementGuard:
    """``execute_wrapper`` that refuses any statement the classifier does not call a read."""

    def __init__(self, vendor: str, lexings: tuple[Lexing, ...] | None = None) -> None:
        self.vendor = vendor
        self.lexings = lexings
        self.refused: list[str] = []

    def check(self, sql: str, many: bool = False) -> None:
        verdict = classify_with(sql, many=many, vendor=self.vendor, lexings=self.lexings)
        if not verdict.allowed:
            self.refused.append(verdict.kind)
            raise ReadOnlyViolation(verdict.kind, verdict.reason, sql)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        text = str(sql)
        self.check(text, many)
        if params is not None and not many and self.vendor != "sqlite":
            # psycopg2 (and mysqlclient) interpolate parameters on the client: check the
            # statement as it will reach the server. SQLite binds them for real.
            sent = _mogrify(context, text, params)
            if sent is not None and sent != text:
                self.check(sent, many)
        try:
            return execute(sql, params, many, context)
        except Exception as exc:
            refusal = database_refusal(exc)
            if refusal is None:
                raise
            self.refused.append(_first_word(text))
            raise ReadOnlyViolation(_first_word(text), f"the database refused it: {refusal}", text) from exc


def _mogrify(context: Any, sql: str, params: Any) -> str | None:
    cursor = (context or {}).get("cursor")
    mogrify = getattr(cursor, "mogrify", None)
    if mogrify is None:
        return None
    try:
        sent = mogrify(sql, params)
    except Exception:
        return None  # the driver will refuse to run it as well
    return sent.decode("utf-8", "replace") if isinstance(sent, bytes) else str(sent)


def _first_word(sql: str) -> str:
    words = sql.split()
    return words[0].upper() if words else "STATEMENT"


def database_refusal(exc: BaseException) -> str | None:
    """The database's own message if ``exc`` is its read-only refusal, else None."""
    for err in (exc, exc.__cause__):
        if err is None:
            continue
        if _sqlstate(err) == "25006":  # read_only_sql_transaction
            return " ".join(str(err).split())
        if "attempt to write a readonly database" in str(err) or str(err) == "not authorized":
            return str(err)
    return None


# SQLite action codes (sqlite3 module constants) that only read.
_SQLITE_READS = {21, 20, 33}  # SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE
_SQLITE_FUNCTION, _SQLITE_PRAGMA = 31, 19
_SQLITE_DENIED_FUNCTIONS = {"load_extension", "writefile", "fts3_tokenizer", "edit"}


def sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, dbname: str | None,
                      source: str | None) -> int:
    """SQLite's own statement authorizer for the read-only block: reads only, fail closed.

    It is asked when a statement is compiled, on every path into the library
    (Django cursors, the driver's cursor, ``executescript``, cached statements,
    which SQLite re-prepares once an authorizer is set), so it holds where the
    execute-wrapper guard cannot see and where ``query_only`` alone could be
    switched off with a pragma. Denied: every write, DDL, ``ATTACH``,
    transaction control and savepoints, pragmas that set a value, and the
    functions that touch files or load code.
    """
    if action in _SQLITE_READS:
        return 0  # SQLITE_OK
    if action == _SQLITE_FUNCTION:
        return 1 if (arg2 or "").lower() in _SQLITE_DENIED_FUNCTIONS else 0
    if action == _SQLITE_PRAGMA:
        name = (arg1 or "").upper()
        if name in INTROSPECTION_PRAGMAS or (name in VALUE_PRAGMAS and arg2 is None):
            return 0
    return 1  # SQLITE_DENY


def _sqlstate(err: BaseException) -> str | None:
    """The SQLSTATE of a driver error (psycopg2: ``pgcode``, psycopg 3: ``sqlstate``)."""
    return getattr(err, "pgcode", None) or getattr(err, "sqlstate", None)


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


def _raw_execute(alias: str, sql: str) -> None:
    cur = _raw_cursor(alias)
    try:
        cur.execute(sql)
    finally:
        cur.close()


def _fetch_one(alias: str, sql: str) -> Any:
    cur = _raw_cursor(alias)
    try:
        cur.execute(sql)
        row = cur.fetchone()
        return row[0] if row else None
    finally:
        cur.close()


def _begin_database_layer(alias: str, vendor: str, state: ReadOnlyState) -> tuple[Lexing, ...] | None:
    """Make the open transaction read-only at the database; return the lexings for the guard."""
    if vendor == "postgresql":
        # One round trip after psycopg2's BEGIN: the read-only setting as the first statement
        # of the transaction; the session default too (reverted by the final rollback), so
        # that a transaction begun after a COMMIT sneaked in below Django is read-only as
        # well; the marker savepoint; and a first query that verifies the settings and
        # takes the snapshot, here at entry.
        cur = _raw_cursor(alias)
        try:
            cur.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                "SET default_transaction_read_only = on; "
                f"SAVEPOINT {MARKER}; "
                "SELECT current_setting('transaction_read_only'), current_setting('transaction_isolation'), "
                "current_setting('standard_conforming_strings')"
            )
            read_only_on, isolation, scs = cur.fetchone()
        finally:
            cur.close()
        if read_only_on != "on":
            raise ConsoleError("PostgreSQL did not accept a read-only transaction; nothing was run.")
        if isolation != "repeatable read":
            raise ConsoleError("PostgreSQL did not accept REPEATABLE READ; nothing was run.")
        state.layers += ["postgresql read-only transaction", "repeatable-read snapshot"]
        return (POSTGRESQL,) if scs == "on" else (POSTGRESQL_NONSTANDARD,)
    if vendor == "sqlite":
        # A deferred BEGIN takes its read snapshot at the first read; read now so the
        # snapshot (and the transaction) start here.
        cur = _raw_cursor(alias)
        try:
            cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
            cur.execute("PRAGMA query_only = ON")
            query_only = cur.execute("PRAGMA query_only").fetchone()[0]
            cur.execute(f"SAVEPOINT {MARKER}")
        finally:
            cur.close()
        if str(query_only) != "1":
            raise ConsoleError("SQLite did not accept PRAGMA query_only; nothing was run.")
        connections[alias].connection.set_authorizer(sqlite_authorizer)
        state.layers += ["sqlite query_only", "sqlite authorizer"]
        return DIALECTS["sqlite"]
    if vendor == "mysql":
        connections[alias].cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        state.layers.append("mysql read-only transaction")
        return DIALECTS["mysql"]
    return None


def _marker_fetch(alias: str, sql: str) -> Any:
    """Run the end-of-block statement; once more if a late cancel or interrupt hit it.

    A user's cancel can arrive just as the body finishes and land on this
    statement; that must not read as a broken transaction. A missing savepoint
    fails the same way twice.
    """
    try:
        return _fetch_one(alias, sql)
    except Exception as exc:
        if not (_sqlstate(exc) == "57014" or str(exc) == "interrupted"):
            raise
    return _fetch_one(alias, sql)


def _breach(alias: str, vendor: str) -> str | None:
    """Why the block's transaction is no longer the read-only one it opened, or None."""
    conn = connections[alias]
    raw = conn.connection
    if raw is None:
        return "the connection was closed inside the read-only block"
    if vendor == "postgresql":
        if raw.info.transaction_status == 0:  # TRANSACTION_STATUS_IDLE: no transaction at all
            return "the transaction was ended inside the read-only block (a COMMIT or ROLLBACK issued below Django)"
        try:
            # Also clears an aborted state (a statement the database refused) so we can look.
            still_read_only = _marker_fetch(
                alias, f"ROLLBACK TO SAVEPOINT {MARKER}; SELECT current_setting('transaction_read_only')"
            )
        except Exception:
            return ("the transaction was ended and a new one begun (or the block's marker savepoint was released) "
                    "inside the read-only block")
        if still_read_only != "on":
            return "the transaction is no longer read-only"
        return None
    if vendor == "sqlite":
        if not raw.in_transaction:
            return "the transaction was ended inside the read-only block (a COMMIT or ROLLBACK issued below Django)"
        try:
            _marker_fetch(alias, f"ROLLBACK TO {MARKER}")
        except Exception:
            return ("the transaction was ended and a new one begun (or the block's marker savepoint was released) "
                    "inside the read-only block")
        if str(_fetch_one(alias, "PRAGMA query_only")) != "1":
            return "PRAGMA query_only was switched off inside the read-only block"
        return None
    return None


@contextlib.contextmanager
def read_only(alias: str = "default", *, guard: bool = True) -> Iterator[ReadOnlyState]:
    """Run the body in a read-only, always-rolled-back transaction on ``alias``.

    Must be the outermost transaction of the connection: a nested atomic block
    is only a savepoint, whose read-only setting would revert. ``guard=False``
    leaves out the statement guard (tests use it to prove the database layer
    holds on its own).
    """
    conn = connections[alias]
    if conn.in_atomic_block or not conn.get_autocommit():
        raise ConsoleError(
            "The read-only layer must be the outermost transaction, but a transaction is already open "
            f"on database {alias!r}; a nested block would only be a savepoint. Nothing was run."
        )
    conn.ensure_connection()
    vendor = conn.vendor
    state = ReadOnlyState(alias=alias, vendor=vendor)
    breached = True  # until the end-of-block check says otherwise
    try:
        with transaction.atomic(using=alias, durable=True):
            lexings = _begin_database_layer(alias, vendor, state)
            failed = False
            try:
                with contextlib.ExitStack() as stack:
                    if guard:
                        state.guard = StatementGuard(vendor, lexings)
                        stack.enter_context(conn.execute_wrapper(state.guard))
                        state.layers.append("statement guard")
                    state.layers.append("rollback at end")
                    yield state
            except BaseException:
                failed = True
                raise
            finally:
                transaction.set_rollback(True, using=alias)
                if vendor == "sqlite" and conn.connection is not None:
                    conn.connection.set_authorizer(None)  # our own checks and the rollback follow
                try:
                    problem = _breach(alias, vendor)
                except Exception:
                    if not failed:
                        raise
                    problem = None  # keep the body's own exception
                breached = problem is not None
                if problem:
                    raise ReadOnlyBreached(
                        f"The read-only block on database {alias!r} was broken: {problem}. Statements run "
                        "after that point may have been written; check the database."
                    )
    finally:
        _restore_session(alias, vendor, breached)


class OtherDatabaseGuard:
    """``execute_wrapper`` for every database but the session's: nothing runs there.

    The read-only layer covers one connection. Code in a read-only session that
    reaches another alias (``.using("default")``, or ``django.db.connection``,
    which is always the default alias) would otherwise run outside every layer,
    in autocommit, and could write to a primary while the user believes they
    are looking at a replica.
    """

    def __init__(self, alias: str, session_alias: str) -> None:
        self.alias = alias
        self.session_alias = session_alias

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        hint = " (django.db.connection is always the 'default' alias)" if self.alias == "default" else ""
        raise ReadOnlyViolation(
            _first_word(str(sql)),
            f"this read-only session works on database {self.session_alias!r}; database {self.alias!r} is outside "
            f"its read-only layer{hint}; use connections[{self.session_alias!r}] or no .using() at all",
            str(sql),
        )


@contextlib.contextmanager
def only_this_database(alias: str) -> Iterator[None]:
    """Refuse every statement on this thread's connections to any database but ``alias``."""
    with contextlib.ExitStack() as stack:
        for other in connections:  # every alias the handler knows, none opened here
            if other != alias:
                stack.enter_context(connections[other].execute_wrapper(OtherDatabaseGuard(other, alias)))
        yield


def _restore_session(alias: str, vendor: str, breached: bool) -> None:
    """Undo connection-level settings: SQLite's pragma always; PostgreSQL's session default only
    if the transaction was ended early (otherwise the final rollback has reverted it)."""
    conn = connections[alias]
    if conn.connection is None:
        return
    with contextlib.suppress(Exception):
        if vendor == "sqlite":
            conn.connection.set_authorizer(None)
            _raw_execute(alias, "PRAGMA query_only = OFF")
        elif vendor == "postgresql" and breached and conn.get_autocommit():
            _raw_execute(alias, "RESET default_transaction_read_only")
