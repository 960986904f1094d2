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
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from tenant_console.core.errors import ConsoleError, ReadOnlyBreach, ReadOnlyViolation
from tenant_console.core.sqlguard import (
    DIALECTS,
    INTROSPECTION_PRAGMAS,
    POSTGRESQL,
    POSTGRESQL_NONSTANDARD,
    VALUE_PRAGMAS,
    Lexing,
    classify_with,
    is_denied_function,
    normalize_sql,
)

#: Savepoint set right after the read-only transaction begins; its presence at
#: the end proves the transaction was not ended (and a new one begun) meanwhile.
MARKER = "tenant_console_readonly"


#: The old name of :class:`tenant_console.core.errors.ReadOnlyBreach`.
ReadOnlyBreached = ReadOnlyBreach


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

    def __call__(self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any) -> Any:
        try:
            text = normalize_sql(sql, context)
        except ValueError as exc:
            raise ReadOnlyViolation("STATEMENT", str(exc), repr(sql)[:200])
        self.check(text, many)
        if params is not None and not many and self.vendor != "sqlite":
            # psycopg2 (and mysqlclient) interpolate parameters on the client: check the
            # statement as it will reach the server. SQLite binds them for real.
            sent = _mogrify(context, text, params)
            if sent is not None and sent != text:
                self.check(sent, many)
        try:
            with _passing(context):  # checked here: the lockdown's driver guard need not check it again
                return execute(text, params, many, context)  # exactly the text that was checked
        except Exception as exc:
            refusal = database_refusal(exc)
            if refusal is None:
                raise
            self.refused.append(_first_word(text))
            raise ReadOnlyViolation(_first_word(text), f"the database refused it: {refusal}", text) from exc


def _passing(context: Any) -> Any:
    from tenant_console.core.lockdown import trusted

    wrapper = (context or {}).get("connection")
    return trusted(getattr(wrapper, "connection", None))


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
        return 1 if is_denied_function(arg2 or "") else 0  # the guard's one deny-list
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
    #: The database's counters at entry, compared at the end (the proof).
    baseline: dict[str, Any] = field(default_factory=dict)
    #: The driver connection the block began on; the proof is about this one.
    raw: Any = None


def _raw_cursor(alias: str) -> Any:
    """A cursor of the driver, below Django's execute wrappers (for our own statements; use it
    inside :func:`_trusted`, so that the lockdown's driver guard lets them through)."""
    conn = connections[alias]
    conn.ensure_connection()
    return conn.connection.cursor()


def _trusted(alias: str) -> Any:
    from tenant_console.core.lockdown import trusted

    conn = connections[alias]
    conn.ensure_connection()
    return trusted(conn.connection)


def _raw_execute(alias: str, sql: str) -> None:
    with _trusted(alias):
        cur = _raw_cursor(alias)
        try:
            cur.execute(sql)
        finally:
            cur.close()


def _last_result(cur: Any) -> None:
    """psycopg 3 keeps one result per statement of a multi-statement ``execute`` (it is
    positioned on the first); move to the last, where psycopg2 already is."""
    if hasattr(cur, "pgresult"):  # psycopg 3 (psycopg2 has no such attribute)
        while cur.nextset():
            pass


def _fetch_row(alias: str, sql: str) -> Any:
    """The first row of the last statement in ``sql`` (no parameters: one round trip on
    both psycopg2 and psycopg 3, which allow several statements only without them)."""
    with _trusted(alias):
        cur = _raw_cursor(alias)
        try:
            cur.execute(sql)
            _last_result(cur)
            return cur.fetchone()
        finally:
            cur.close()


def _fetch_one(alias: str, sql: str) -> Any:
    row = _fetch_row(alias, sql)
    return row[0] if row else None


#: PostgreSQL's own counters of the block's transaction, schema-qualified so that no
#: function the user creates can stand in for them: the transaction id (NULL unless the
#: transaction wrote), its start time (changes when a transaction ends and another
#: begins on the connection), the backend (changes on a reconnect), and read-only.
_PG_PROOF = ("pg_catalog.pg_current_xact_id_if_assigned()::text, pg_catalog.transaction_timestamp(), "
             "pg_catalog.pg_backend_pid(), pg_catalog.current_setting('transaction_read_only'), "
             # session-level advisory locks survive the rollback: a side effect past the block
             "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory' "
             "AND l.pid = pg_catalog.pg_backend_pid())")


#: What ``pg_export_snapshot()`` returns (``%08X-%08X-%d``); nothing else is put into ``SET TRANSACTION SNAPSHOT``.
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{8}-[0-9]{1,10}$")


def export_snapshot(alias: str) -> str:
    """PostgreSQL: the identifier of the snapshot of the read-only block open on ``alias`` (``pg_export_snapshot()``).

    Other connections that begin their read-only block with ``read_only(alias, snapshot=...)``
    see exactly what this one sees, for as long as this block stays open (``pg_dump -j``
    shares its snapshot the same way). Exporting a snapshot writes nothing and takes no
    transaction id: the block's end-of-block proof still holds.
    """
    conn = connections[alias]
    if conn.vendor != "postgresql":
        raise ConsoleError(f"Only PostgreSQL can share a snapshot between connections, not {conn.vendor}.")
    if not conn.in_atomic_block or conn.savepoint_ids:
        raise ConsoleError("A snapshot can only be shared from the top of a read-only block (not inside a "
                           "savepoint); nothing was run.")
    # PostgreSQL exports no snapshot from a subtransaction: step out of the block's marker savepoint for this one
    # statement and set it again (nothing happened inside it that could be lost; the end-of-block proof needs it).
    _raw_execute(alias, f"RELEASE SAVEPOINT {MARKER}")
    try:
        snapshot = str(_fetch_one(alias, "SELECT pg_catalog.pg_export_snapshot()"))
    finally:
        _raw_execute(alias, f"SAVEPOINT {MARKER}")
    if not _SNAPSHOT_ID.match(snapshot):
        raise ConsoleError(f"PostgreSQL returned an unexpected snapshot identifier {snapshot!r}; nothing was run.")
    return snapshot


def _begin_database_layer(alias: str, vendor: str, state: ReadOnlyState,
                          snapshot: str | None = None) -> tuple[Lexing, ...] | None:
    """Make the open transaction read-only at the database; return the lexings for the guard."""
    state.raw = connections[alias].connection
    if snapshot is not None and (vendor != "postgresql" or not _SNAPSHOT_ID.match(snapshot)):
        raise ConsoleError(f"Cannot take the shared snapshot {snapshot!r} on {vendor}; nothing was run.")
    if vendor == "postgresql":
        # One round trip after the driver's BEGIN: the read-only setting as the first statement
        # of the transaction (and the shared snapshot, if one was given, before any query); the
        # session default too (reverted by the final rollback), so
        # that a transaction begun after a COMMIT sneaked in below Django is read-only as
        # well; the marker savepoint; and a first query that verifies the settings, takes
        # the snapshot here at entry, and reads the counters the end of the block compares.
        shared = f"SET TRANSACTION SNAPSHOT '{snapshot}'; " if snapshot is not None else ""
        row = _fetch_row(
            alias,
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
            f"{shared}"
            "SET default_transaction_read_only = on; "
            f"SAVEPOINT {MARKER}; "
            "SELECT pg_catalog.current_setting('transaction_isolation'), "
            f"pg_catalog.current_setting('standard_conforming_strings'), {_PG_PROOF}",
        )
        isolation, scs, xid, started, pid, read_only_on, advisory = row
        if read_only_on != "on":
            raise ConsoleError("PostgreSQL did not accept a read-only transaction; nothing was run.")
        if isolation != "repeatable read":
            raise ConsoleError("PostgreSQL did not accept REPEATABLE READ; nothing was run.")
        if xid is not None:
            raise ConsoleError("PostgreSQL reports a transaction id at the start of a read-only block; nothing "
                               "was run.")
        state.baseline = {"started": started, "pid": pid, "advisory": advisory}
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
        state.raw.set_authorizer(sqlite_authorizer)
        state.baseline = {"total_changes": state.raw.total_changes}
        state.layers += ["sqlite query_only", "sqlite authorizer"]
        return DIALECTS["sqlite"]
    if vendor == "mysql":
        _raw_execute(alias, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        state.baseline = _mysql_counters(alias)
        state.layers.append("mysql read-only transaction")
        return DIALECTS["mysql"]
    return None


#: Statement counters of a MariaDB/MySQL session that only read (or that the block itself sends).
_MYSQL_READ_COUNTERS = ("Com_select", "Com_show_", "Com_set_option", "Com_stmt_", "Com_empty_query", "Com_help",
                        "Com_rollback", "Com_savepoint", "Com_release_savepoint", "Com_change_db",
                        "Com_get_diagnostics", "Com_signal", "Com_resignal", "Com_check", "Com_checksum",
                        "Com_ha_", "Com_explain", "Com_multi", "Com_commit", "Com_begin", "Com_xa_",
                        "Com_execute_sql", "Com_execute_immediate", "Com_prepare_sql", "Com_dealloc_sql")
#: Rows the session changed in real tables (InnoDB, MyISAM...; MariaDB counts internal temporary
#: tables apart, in ``Handler_tmp_*``). A statement the server refused moves none of them.
_MYSQL_ROW_COUNTERS = ("Handler_write", "Handler_update", "Handler_delete")
#: Statements after which a transaction can be read-write although the session was read-only:
#: ``SET`` (``SET SESSION TRANSACTION READ WRITE``, ``SET tx_read_only = 0``), ``START TRANSACTION
#: READ WRITE``, ``XA START``, a prepared or dynamic statement, a procedure (whose body may do either).
_MYSQL_READ_WRITE_ENTRY = ("Com_set_option", "Com_begin", "Com_xa_start", "Com_stmt_execute", "Com_execute_sql",
                           "Com_execute_immediate", "Com_call_procedure")
_MYSQL_STATUS = ("SHOW SESSION STATUS WHERE Variable_name LIKE 'Com\\_%' OR Variable_name IN "
                 "('Handler_write', 'Handler_update', 'Handler_delete', 'Handler_tmp_write')")


def mysql_counters(cur: Any) -> dict[str, int]:
    """A MariaDB/MySQL session's own counters, read on its driver cursor ``cur``: its statement counters
    (``Com_*``), its row changes (``Handler_write/update/delete``) and whether the session itself is
    read-only (``session_read_only``)."""
    cur.execute(_MYSQL_STATUS)
    counters = {str(name): int(value) for name, value in cur.fetchall()}
    cur.execute("SHOW SESSION VARIABLES WHERE Variable_name IN ('tx_read_only', 'transaction_read_only')")
    rows = cur.fetchall()
    counters["session_read_only"] = int(bool(rows) and all(str(v).upper() in ("ON", "1") for _n, v in rows))
    return counters


def mysql_writes(before: dict[str, int], after: dict[str, int]) -> str | None:
    """Why the session may have written between two :func:`mysql_counters` readings, or None.

    Rows changed in real tables are writes. A writing or DDL statement (``Com_insert``,
    ``Com_create_table``...) counts although the server refused it, so it counts only where it could
    have run: on a session that was not read-only itself, or after a statement that can make a
    transaction read-write (``SET``, ``START TRANSACTION``, ``XA START``, prepared statements, ``CALL``).
    A statement that the read-only transaction or session refused is no breach.
    """
    moved = {k: v - before.get(k, 0) for k, v in after.items() if k != "session_read_only" and v != before.get(k, 0)}
    rows = {k: v for k, v in moved.items() if k in _MYSQL_ROW_COUNTERS}
    # A window function (ROW_NUMBER() OVER ...) writes its rows to a work table (Handler_tmp_write) and then
    # updates each with the function's value, which MariaDB counts in Handler_update, not Handler_tmp_update:
    # so many updates are a read's, not a write's.
    work_rows = moved.get("Handler_tmp_write", 0)
    if "Handler_update" in rows and work_rows:
        rows["Handler_update"] -= min(rows["Handler_update"], work_rows)
        rows = {k: v for k, v in rows.items() if v}
    if rows:
        counted = ", ".join(f"{k} +{v}" for k, v in sorted(rows.items()))
        return f"the session changed rows ({counted})"
    writes = {k: v for k, v in moved.items() if k.startswith("Com_") and not k.startswith(_MYSQL_READ_COUNTERS)}
    entry = {k: v for k, v in moved.items() if k in _MYSQL_READ_WRITE_ENTRY}
    if writes and (entry or not before.get("session_read_only", 0)):
        counted = ", ".join(f"{k} +{v}" for k, v in sorted({**writes, **entry}.items()))
        why = "after a statement that can make it read-write" if entry else "on a session that is not read-only"
        return f"writing statements ran {why} ({counted})"
    return None


def _mysql_counters(alias: str) -> dict[str, Any]:
    """The session connection's counters (:func:`mysql_counters`) and its connection id."""
    with _trusted(alias):
        cur = _raw_cursor(alias)
        try:
            counters: dict[str, Any] = mysql_counters(cur)
            cur.execute("SELECT CONNECTION_ID()")
            counters["thread"] = cur.fetchone()[0]
        finally:
            cur.close()
    return counters


def _mysql_drain(raw: Any) -> None:
    """Read and drop results a statement interrupted in the driver left behind (mysqlclient)."""
    with contextlib.suppress(Exception):
        for _ in range(100):
            raw.store_result()
            if raw.next_result() != 0:
                break


def _marker_fetch(alias: str, sql: str) -> Any:
    """Run the end-of-block statement; once more if a late cancel or interrupt hit it.

    A user's cancel can arrive just as the body finishes and land on this
    statement; that must not read as a broken transaction. A missing savepoint
    fails the same way twice.
    """
    try:
        return _fetch_row(alias, sql)
    except Exception as exc:
        if not (_sqlstate(exc) == "57014" or str(exc) == "interrupted"):
            raise
    return _fetch_row(alias, sql)


_ENDED = "the transaction was ended inside the read-only block (a COMMIT or ROLLBACK issued below Django)"
_REPLACED = ("the transaction was ended and a new one begun (or the block's marker savepoint was released) "
             "inside the read-only block")


def _breach(alias: str, vendor: str, state: ReadOnlyState) -> str | None:
    """Why the block cannot prove that nothing was written, or None when it can.

    The proof uses the database's own counters of the connection the block began
    on, read after the body: PostgreSQL, the transaction has no transaction id (a
    transaction that wrote, in any savepoint, has one) and is the same transaction
    (same start time, same backend), still read-only; SQLite, the connection's
    ``total_changes`` did not move; MariaDB, the session's handler and command
    counters for writes and commits did not move.
    """
    conn = connections[alias]
    raw = conn.connection
    if raw is None:
        return "the connection was closed inside the read-only block, so nothing can be proven about it"
    if raw is not state.raw:
        return "the connection was replaced inside the read-only block, so nothing can be proven about it"
    if vendor == "postgresql":
        if raw.info.transaction_status == 0:  # IDLE (psycopg2 and psycopg 3): no transaction at all
            return _ENDED
        try:
            # Also clears an aborted state (a statement the database refused) so we can look.
            xid, started, pid, read_only_on, advisory = _marker_fetch(
                alias, f"ROLLBACK TO SAVEPOINT {MARKER}; SELECT {_PG_PROOF}"
            )
        except Exception:
            return _REPLACED
        if pid != state.baseline.get("pid"):
            return "the connection to the server was replaced inside the read-only block"
        if started != state.baseline.get("started"):
            return _REPLACED.replace(" (or the block's marker savepoint was released)", "")
        if xid is not None:
            return f"the transaction wrote (PostgreSQL assigned it transaction id {xid})"
        if read_only_on != "on":
            return "the transaction is no longer read-only"
        if advisory > state.baseline.get("advisory", 0):
            return (f"{advisory} advisory lock(s) taken in the block would outlive it (released by closing "
                    "the connection)")
        return None
    if vendor == "sqlite":
        changes = raw.total_changes - state.baseline.get("total_changes", 0)
        counted = f"; SQLite counted {changes} changed row(s) on the connection (total_changes)" if changes else ""
        if not raw.in_transaction:
            return _ENDED + counted
        try:
            _marker_fetch(alias, f"ROLLBACK TO {MARKER}")
        except Exception:
            return _REPLACED + counted
        if str(_fetch_one(alias, "PRAGMA query_only")) != "1":
            return "PRAGMA query_only was switched off inside the read-only block" + counted
        if changes:
            return counted[2:]
        return None
    if vendor == "mysql":
        try:
            now = _mysql_counters(alias)
        except Exception as exc:
            if "2014" not in str(exc):  # Commands out of sync: an interrupted read left its result unread
                raise
            _mysql_drain(raw)
            now = _mysql_counters(alias)
        if now.pop("thread") != state.baseline.get("thread"):
            return "the connection to the server was replaced inside the read-only block"
        # Our own SHOW / SELECT statements move none of these; a write does.
        return mysql_writes({k: v for k, v in state.baseline.items() if k != "thread"}, now)
    return None


def _driver_guard_removed(record: Any, raw: Any) -> str | None:
    """Whether the lockdown's driver guard, or the driver's read-only default, was changed on ``raw``."""
    if record.vendor == "postgresql":
        if getattr(raw, "cursor_factory", None) is not record.factory:
            return "its driver cursor class was replaced (below the console's driver guard)"
        if getattr(raw, "readonly", None) is False or getattr(raw, "read_only", None) is False:
            return "the driver was told to begin READ WRITE transactions on it"
    elif raw.__dict__.get("query") is not record.query:
        return "the console's driver guard was removed from it"
    return None


def _raw_closed(raw: Any) -> bool:
    closed = getattr(raw, "closed", None)  # psycopg2: int, psycopg 3: bool
    if closed is not None:
        return bool(closed)
    return not getattr(raw, "open", True)  # mysqlclient


def side_connection_problem(record: Any, current: Any, *, idle: bool) -> str | None:
    """What cannot be proven about one tracked connection (:class:`tenant_console.core.lockdown.Tracked`)
    of the process, or None; ``current`` is its wrapper's driver connection now.

    Only when ``idle`` (its thread is done with it: it is closing, or the thread ended) is it asked
    itself: PostgreSQL, whether its session still begins read-only transactions (it has no counter of
    what it committed); MariaDB/MySQL, its session's counters against those at connect
    (:func:`mysql_writes`), which also see writes made and committed after it was turned read-write
    and back. A connection closed below Django on MariaDB cannot be asked any more: reported.
    """
    raw = record.raw
    who = record.describe()
    if current is not raw or _raw_closed(raw):
        if record.vendor == "mysql" and not record.checked:
            return f"{who} was closed below Django, so its session's counters could not be read"
        return None
    removed = _driver_guard_removed(record, raw)
    if removed:
        return f"on {who} {removed}"
    if not idle:
        return None
    from tenant_console.core.lockdown import trusted

    try:
        with trusted(raw):
            cur = raw.cursor()
            try:
                if record.vendor == "postgresql":
                    cur.execute("SELECT pg_catalog.current_setting('default_transaction_read_only')")
                    (default_ro,) = cur.fetchone()
                    if default_ro != "on":
                        return (f"{who} was turned back to READ WRITE (default_transaction_read_only = "
                                f"{default_ro}); what it committed cannot be proven")
                    return None
                _mysql_drain(raw)
                now = mysql_counters(cur)
            finally:
                cur.close()
    except Exception as exc:
        if record.vendor == "postgresql":
            return None  # it had nothing more to prove than its setting (see docs/readonly.md)
        return f"{who} could not be checked ({type(exc).__name__}: {exc})"
    record.checked = True
    problem = mysql_writes(record.baseline, now)
    if problem is None and not now.get("session_read_only"):
        problem = "the session was turned back to READ WRITE"
    return f"on {who} {problem}" if problem else None


def side_breach(alias: str) -> str | None:
    """The proof for the process's other connections (see docs/readonly.md): problems found as tracked
    connections closed since the last block; for those still open, their driver guard, and what the
    server shows of them from this block's connection (PostgreSQL: an open transaction that wrote has
    a ``backend_xid``; MariaDB: ``INNODB_TRX.trx_rows_modified``); those whose thread is done with them
    are asked themselves (:func:`side_connection_problem`)."""
    from tenant_console.core.lockdown import take_evidence, tracked

    conn = connections[alias]
    problems = take_evidence()
    live: list[Any] = []
    me = threading.current_thread()
    for wrapper, record in tracked():
        if wrapper is conn:
            continue
        idle = record.thread is me or not record.thread.is_alive()
        problem = side_connection_problem(record, wrapper.connection, idle=idle)
        if problem:
            problems.append(problem)
        elif not idle and record.vendor == conn.vendor and record.server == (
                conn.settings_dict.get("HOST"), str(conn.settings_dict.get("PORT")), conn.settings_dict.get("NAME")):
            live.append(record)
    if live:
        ids = ", ".join(str(int(r.backend)) for r in live)
        if conn.vendor == "postgresql":
            row = _fetch_row(alias, "SELECT pg_catalog.pg_stat_clear_snapshot(); SELECT pg_catalog.string_agg("
                                    f"pid::text, ', ') FROM pg_catalog.pg_stat_activity WHERE pid IN ({ids}) "
                                    "AND backend_xid IS NOT NULL")
            if row and row[0]:
                problems.append(f"connection(s) {row[0]} of this process hold a transaction that wrote")
        else:
            try:
                row = _fetch_row(alias, "SELECT GROUP_CONCAT(trx_mysql_thread_id) FROM information_schema.INNODB_TRX "
                                        f"WHERE trx_mysql_thread_id IN ({ids}) AND trx_rows_modified > 0")
            except Exception as exc:
                row = (f"{ids} (INNODB_TRX could not be read: {exc})",)
            if row and row[0]:
                problems.append(f"connection(s) {row[0]} of this process hold a transaction that wrote")
    if not problems:
        return None
    return "another connection of this process: " + "; ".join(problems)


@contextlib.contextmanager
def read_only(alias: str = "default", *, guard: bool = True, snapshot: str | None = None) -> Iterator[ReadOnlyState]:
    """Run the body in a read-only, always-rolled-back transaction on ``alias``.

    Must be the outermost transaction of the connection: a nested atomic block
    is only a savepoint, whose read-only setting would revert. ``guard=False``
    leaves out the statement guard (tests use it to prove the database layer
    holds on its own). ``snapshot`` (PostgreSQL, from :func:`export_snapshot` on
    another connection whose block is still open) makes this block see that
    block's snapshot. Ends with the proof (see :func:`_breach`); a block that
    cannot prove it wrote nothing raises :class:`ReadOnlyBreach`, also when the
    body raised (the breach is the more important news; the body's error is its
    ``__context__``).
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
    problem: str | None = None
    try:
        with transaction.atomic(using=alias, durable=True):
            lexings = _begin_database_layer(alias, vendor, state, snapshot)
            try:
                with contextlib.ExitStack() as stack:
                    stack.enter_context(_deferred_lockdown_guard(conn, strict=guard))
                    if guard:
                        state.guard = StatementGuard(vendor, lexings)
                        stack.enter_context(conn.execute_wrapper(state.guard))
                        state.layers.append("statement guard")
                    state.layers.append("rollback at end")
                    yield state
            finally:
                if vendor == "sqlite" and conn.connection is not None:
                    with contextlib.suppress(Exception):
                        conn.connection.set_authorizer(None)  # our own checks and the rollback follow
                try:
                    problem = _breach(alias, vendor, state)
                    if problem is None and vendor != "sqlite":
                        problem = side_breach(alias)
                except Exception as exc:
                    problem = f"the end-of-block check failed ({type(exc).__name__}: {exc})"
                breached = problem is not None
                # Code in the block may have closed or reconnected the connection, which leaves
                # Django's atomic block behind; the rollback flag is then moot.
                with contextlib.suppress(Exception):
                    transaction.set_rollback(True, using=alias)
                if problem:
                    raise _breach_error(alias, problem)
    except ReadOnlyBreach:
        raise
    except BaseException as exc:
        if problem:  # leaving the atomic block failed after a breach: the breach is the news
            raise _breach_error(alias, problem) from exc
        raise
    finally:
        _restore_session(alias, vendor, breached)


def _breach_error(alias: str, problem: str) -> ReadOnlyBreach:
    return ReadOnlyBreach(
        f"READ-ONLY BREACH: the read-only block on database {alias!r} was broken: {problem}. "
        "The console cannot prove that nothing was written in it; statements run after that "
        "point may have been committed. Check the database.",
        alias=alias, reason=problem,
    )


@contextlib.contextmanager
def _deferred_lockdown_guard(conn: Any, strict: bool = True) -> Iterator[None]:
    """While the block's stricter guard checks every statement, the connection's lockdown
    guard need not check them twice (one classification per statement). With
    ``guard=False`` (tests of the database layer alone) it is off too."""
    from tenant_console.core.lockdown import LockdownGuard, driver_guard_suspended

    outer = [w for w in conn.execute_wrappers if isinstance(w, LockdownGuard)]
    for w in outer:
        w.deferred += 1
    try:
        if strict:
            yield
        else:
            with driver_guard_suspended(conn):
                yield
    finally:
        for w in outer:
            w.deferred -= 1


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
    """Undo connection-level settings: SQLite's pragma and authorizer. A breached
    connection is closed: code in the block may have changed any of its session
    settings, so the next statement gets a fresh (read-only) one."""
    conn = connections[alias]
    if conn.connection is None:
        return
    if breached:
        from tenant_console.core.lockdown import forget

        forget(conn)  # the breach is reported; its close need not report it again
        with contextlib.suppress(Exception):
            conn.close()
        return
    if vendor == "sqlite":
        with contextlib.suppress(Exception):
            conn.connection.set_authorizer(None)
            _raw_execute(alias, "PRAGMA query_only = OFF")


@dataclass(frozen=True)
class ServerReadOnly:
    """Whether the database server itself refuses every write on a connection (a read-only role
    or a standby), and why not when it does not."""

    enforced: bool
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        return "read-only (enforced by the server)" if self.enforced else "read-only (enforced by the console)"


_PG_PRIVILEGES = """
SELECT r.rolsuper, pg_catalog.pg_is_in_recovery(), current_user,
  (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%%'
      AND pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')),
  (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c
    WHERE CASE WHEN c.relkind = 'S' THEN pg_catalog.has_sequence_privilege(c.oid, 'UPDATE, USAGE') END),
  (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
      AND pg_catalog.has_schema_privilege(n.oid, 'CREATE')),
  pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),
  pg_catalog.pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')
FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
"""


def server_read_only(alias: str) -> ServerReadOnly:
    """Check the role's privileges on ``alias`` (run it on a session thread).

    PostgreSQL: enforced on a standby, or for a role that is no superuser, may not run server
    programs and has no INSERT/UPDATE/DELETE/TRUNCATE on any table, no write use of any sequence,
    and may create nothing (schemas, objects in them). Other vendors: not checked (False).
    """
    conn = connections[alias]
    if conn.vendor != "postgresql":
        return ServerReadOnly(False, (f"the privileges are only checked on PostgreSQL, not {conn.vendor}",))
    row = _fetch_row(alias, _PG_PRIVILEGES.replace("%%", "%"))
    superuser, standby, role, tables, sequences, schemas, create_db, programs = row
    if standby:
        return ServerReadOnly(True)
    reasons = []
    if superuser:
        reasons.append(f"role {role} is a superuser")
    if programs:
        reasons.append(f"role {role} may run server programs (COPY ... PROGRAM)")
    if tables:
        reasons.append(f"role {role} may write {tables} table(s)")
    if sequences:
        reasons.append(f"role {role} may advance {sequences} sequence(s)")
    if schemas:
        reasons.append(f"role {role} may create objects in {schemas} schema(s)")
    if create_db:
        reasons.append(f"role {role} may create schemas in the database")
    return ServerReadOnly(not reasons, tuple(reasons))
