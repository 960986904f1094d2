"""Process-wide read-only state: every database connection is read-only from its first statement.

The read-only block (:mod:`tenant_console.core.readonly`) covers the session
thread's connection. Code in a read-only input can reach others: a
``threading.Thread`` or ``ThreadPoolExecutor``, ``asyncio.run(Model.objects.acreate())``
and ``sync_to_async(thread_sensitive=False)`` (each a new thread, so a new
connection), ``connection.close()`` then a new query, ``connections.create_connection()``.
While the process is *armed* (a console session is open), Django's
``connection_created`` signal makes each such connection read-only before any
user code can use it:

- **PostgreSQL**: ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`` (every
  transaction of the connection, including a ``BEGIN`` sent on the driver's own
  cursor, is read-only; verified);
- **MariaDB/MySQL**: ``SET SESSION TRANSACTION READ ONLY`` (verified);
- **SQLite**: the connection is reopened through a ``file:...?mode=ro`` URI, so the
  library itself cannot write to the file, whatever pragma or authorizer code
  changes later (``:memory:`` databases, which cannot be reopened, get
  ``PRAGMA query_only`` and the read-only authorizer instead);
- and on every vendor the statement guard (:class:`LockdownGuard`) as the outermost
  execute wrapper of the Django connection.

Writable mode never relaxes this: it uses a connection of its own
(:func:`writable_connection`), created when the user switches and closed
afterwards; only connections made through it are exempt.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from tenant_console.core.errors import ConsoleError, ReadOnlyViolation
from tenant_console.core.sqlguard import DIALECTS, classify_with, normalize_sql

_lock = threading.Lock()
_armed = 0
_writable: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()
_locked: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()
_DISPATCH_UID = "tenant_console.lockdown"

#: What Django itself sends inside a transaction on a locked connection (the database's
#: read-only setting already holds for them); everything else must be a read.
_TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class LockdownGuard:
    """The outermost ``execute_wrapper`` of every read-only connection: reads only.

    Unlike the block's guard it lets Django's own transaction statements through
    (``BEGIN``, savepoints), so that ``transaction.atomic()`` still works for
    reads on another thread; the database's session setting refuses the writes.
    """

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.lexings = DIALECTS.get(vendor)
        #: > 0 while a read-only block's own, stricter guard is installed inside this one.
        self.deferred = 0
        #: The driver connection this guard's wrapper was locked on. A wrapper that reconnects runs
        #: Django's own set-up statements (MySQL: SET sql_mode ...) before connection_created locks
        #: the new connection; those pass.
        self.raw: Any = None

    def __call__(self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any) -> Any:
        if self.deferred or getattr(context.get("connection"), "connection", None) is not self.raw:
            return execute(sql, params, many, context)
        try:
            text = normalize_sql(sql, context)
        except ValueError as exc:
            raise ReadOnlyViolation("STATEMENT", str(exc), repr(sql)[:200])
        upper = text.lstrip().upper()
        if not many and upper.startswith(_TRANSACTION_CONTROL) and ";" not in text:
            return execute(text, params, many, context)
        verdict = classify_with(text, many=many, vendor=self.vendor, lexings=self.lexings)
        if not verdict.allowed:
            raise ReadOnlyViolation(verdict.kind, f"{verdict.reason}; every connection is read-only in this "
                                                  "session", text)
        return execute(text, params, many, context)


def is_armed() -> bool:
    return _armed > 0


def depth() -> int:
    """How many :func:`arm` calls are not yet undone (open sessions, mostly)."""
    return _armed


def arm() -> None:
    """Make every connection opened from now on read-only (counted; see :func:`disarm`).

    The calling thread's idle connections, opened before, are closed, so that
    they reconnect read-only.
    """
    global _armed
    with _lock:
        connection_created.connect(_on_connection_created, dispatch_uid=_DISPATCH_UID)
        _armed += 1
        first = _armed == 1
    if first:
        _close_idle(lambda conn: conn not in _locked and conn not in _writable)


def disarm() -> None:
    """Undo one :func:`arm`; at zero, new connections are writable again, and the calling
    thread's read-only connections are closed (they would stay read-only otherwise)."""
    global _armed
    with _lock:
        _armed = max(0, _armed - 1)
        last = _armed == 0
    if last:
        _close_idle(lambda conn: conn in _locked)


@contextlib.contextmanager
def armed() -> Iterator[None]:
    arm()
    try:
        yield
    finally:
        disarm()


def _close_idle(which: Callable[[BaseDatabaseWrapper], bool]) -> None:
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and which(conn) and not conn.in_atomic_block:
            with contextlib.suppress(Exception):
                conn.close()


def is_locked(conn: BaseDatabaseWrapper) -> bool:
    """Whether ``conn`` was made read-only by the lockdown."""
    return conn in _locked


def writable_connection(alias: str) -> BaseDatabaseWrapper:
    """A new, not yet connected wrapper for ``alias`` that the lockdown leaves writable.

    The caller owns it: install it on its thread (``connections[alias] = conn``)
    for the writable work, and close it afterwards.
    """
    conn = connections.create_connection(alias)
    _writable.add(conn)
    return conn


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if _armed <= 0 or connection in _writable:
        # A wrapper locked while armed that reconnects now: it is an ordinary connection again.
        connection.execute_wrappers[:] = [w for w in connection.execute_wrappers if not isinstance(w, LockdownGuard)]
        _locked.discard(connection)
        return
    try:
        lock(connection)
    except BaseException:
        with contextlib.suppress(Exception):
            connection.close()
        raise


def lock(conn: BaseDatabaseWrapper) -> None:
    """Make the open connection ``conn`` read-only at the database and install the guard."""
    vendor = conn.vendor
    if vendor == "postgresql":
        _server_session_read_only(conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                                  "SHOW default_transaction_read_only", "on")
    elif vendor == "mysql":
        # MariaDB calls the variable tx_read_only, MySQL 8 transaction_read_only.
        _server_session_read_only(conn, "SET SESSION TRANSACTION READ ONLY",
                                  "SHOW SESSION VARIABLES WHERE Variable_name IN ('tx_read_only', "
                                  "'transaction_read_only')", "on")
    elif vendor == "sqlite":
        _sqlite_read_only(conn)
    else:
        raise ConsoleError(
            f"tenant-console cannot make a {vendor} connection read-only; read-only sessions support "
            "PostgreSQL, MariaDB/MySQL and SQLite."
        )
    guards = [w for w in conn.execute_wrappers if isinstance(w, LockdownGuard)]
    if not guards:
        guards = [LockdownGuard(vendor)]
        conn.execute_wrappers.insert(0, guards[0])
    for guard in guards:
        guard.raw = conn.connection
    _locked.add(conn)


def _server_session_read_only(conn: BaseDatabaseWrapper, set_sql: str, show_sql: str, expected: str) -> None:
    raw = conn.connection
    cur = raw.cursor()
    try:
        cur.execute(set_sql)
        cur.execute(show_sql)
        row = cur.fetchone()
    finally:
        cur.close()
    if not conn.autocommit:
        raw.commit()
    if row is None or str(row[-1]).lower() != expected:
        raise ConsoleError(f"The database did not accept a read-only session ({set_sql}); nothing was run.")


def _sqlite_read_only(conn: BaseDatabaseWrapper) -> None:
    from tenant_console.core.readonly import sqlite_authorizer

    params = conn.get_connection_params()
    uri = _readonly_uri(str(params["database"]))
    if uri is None:  # an in-memory database: only this connection has it, it cannot be reopened
        raw = conn.connection
        raw.execute("PRAGMA query_only = ON")
        raw.set_authorizer(sqlite_authorizer)
        return
    params = {**params, "database": uri, "uri": True}
    new = conn.get_new_connection(params)
    old, conn.connection = conn.connection, new
    with contextlib.suppress(Exception):
        old.close()
    conn._set_autocommit(conn.autocommit)  # type: ignore[attr-defined]


def _readonly_uri(database: str) -> str | None:
    """The ``mode=ro`` URI for a SQLite database name, or None for an in-memory one.

    Django opens SQLite with ``uri=True``: a name is a URI only when it starts with ``file:``.
    """
    from tenant_console.core.checks import sqlite_file

    if sqlite_file(database) is None:
        return None
    if not database.startswith("file:"):
        return "file:" + urllib.parse.quote(database) + "?mode=ro"
    parsed = urllib.parse.urlsplit(database)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parsed.query) if k != "mode"]
    query.append(("mode", "ro"))
    return urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(query)))
