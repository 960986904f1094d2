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
  execute wrapper of the Django connection;
- on PostgreSQL and MariaDB/MySQL also a guard at the driver (:func:`_install_driver_guard`):
  the driver connection's cursors (psycopg2 and psycopg 3 ``cursor_factory``) and mysqlclient's
  ``query`` check every statement sent on them that did not come through Django's (already
  checked) execute path, so that ``raw.cursor().execute("SET SESSION ... READ WRITE")`` on any
  thread is refused like the same statement through Django.

Every locked PostgreSQL and MariaDB/MySQL connection is also *tracked* (:class:`Tracked`: its server
backend id, its thread, on MariaDB its session's row-change counters at connect). A side thread can
still get below the driver guard (a cursor of the driver's own class, mysqlclient's C ``query``);
what the servers let one prove about such a connection is checked when it closes and at the end of
every read-only block (:func:`side_breach`); see docs/readonly.md for what remains.

Writable mode never relaxes this: it uses a connection of its own
(:func:`writable_connection`), created when the user switches and closed
afterwards; only connections made through it are exempt.
"""

from __future__ import annotations

import contextlib
import os
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
#: Every locked PostgreSQL/MariaDB connection, by its Django wrapper (see :class:`Tracked`).
_tracked: weakref.WeakKeyDictionary[BaseDatabaseWrapper, Tracked] = weakref.WeakKeyDictionary()
#: Problems found on tracked connections as they closed, reported by the next block's proof.
_evidence: list[str] = []
_local = threading.local()

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
        text = check_statement(sql, many, self.vendor, context)
        with trusted(self.raw):  # checked here: the driver guard need not check it again
            return execute(text, params, many, context)


def check_statement(sql: Any, many: bool, vendor: str, context: Any = None) -> str:
    """The lockdown's rule for a statement on a read-only connection: reads, and Django's own
    transaction statements (the database's read-only setting holds for them). Returns the text
    exactly as it is to be sent; raises :class:`ReadOnlyViolation` otherwise."""
    try:
        text = normalize_sql(sql, context)
    except ValueError as exc:
        raise ReadOnlyViolation("STATEMENT", str(exc), repr(sql)[:200])
    upper = text.lstrip().upper()
    if not many and upper.startswith(_TRANSACTION_CONTROL) and ";" not in text:
        return text
    verdict = classify_with(text, many=many, vendor=vendor, lexings=DIALECTS.get(vendor))
    if not verdict.allowed:
        raise ReadOnlyViolation(verdict.kind, f"{verdict.reason}; every connection is read-only in this "
                                              "session", text)
    return text


@contextlib.contextmanager
def trusted(raw: Any) -> Iterator[None]:
    """Statements this thread sends on the driver connection ``raw`` inside the block pass the driver
    guard unchecked: the console's own statements, and Django's, which its execute wrappers checked."""
    previous = getattr(_local, "raw", None)
    _local.raw = raw
    try:
        yield
    finally:
        _local.raw = previous


def _driver_checked(raw: Any, vendor: str, sql: Any, params: Any, many: bool, cursor: Any) -> Any:
    """What the driver guard lets through for ``sql`` sent on ``raw`` (the checked text), or raises."""
    if getattr(_local, "raw", None) is raw:
        return sql
    record = _by_raw.get(id(raw))
    if record is not None and record.suspended:
        return sql
    text = check_statement(sql, many, vendor, {"cursor": cursor})
    if params is not None and not many:
        mogrify = getattr(cursor, "mogrify", None)
        if mogrify is not None:
            try:
                sent = mogrify(text, params)
            except Exception:
                sent = None  # the driver will refuse to run it as well
            if sent is not None:
                check_statement(sent, False, vendor)
    return text


_guarded_classes: dict[type, type] = {}


def _guarded_cursor_class(base: Any, vendor: str) -> type:
    """A subclass of the driver cursor class ``base`` whose statements pass :func:`_driver_checked`."""
    cls = _guarded_classes.get(base)
    if cls is not None:
        return cls

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        params = args[0] if args else kwargs.get("vars", kwargs.get("params"))
        query = _driver_checked(self.connection, vendor, query, params, False, self)
        return base.execute(self, query, *args, **kwargs)

    def executemany(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = _driver_checked(self.connection, vendor, query, None, True, self)
        return base.executemany(self, query, *args, **kwargs)

    def refused(name: str) -> Callable[..., Any]:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_local, "raw", None) is not self.connection:
                raise ReadOnlyViolation(name.upper(), f"{name}() on the driver's cursor; every connection is "
                                                      "read-only in this session")
            return getattr(base, name)(self, *args, **kwargs)
        return method

    namespace: dict[str, Any] = {"execute": execute, "executemany": executemany, "__module__": __name__}
    for name in ("callproc", "copy_expert", "copy_from", "copy_to", "copy", "stream"):
        if hasattr(base, name):
            namespace[name] = refused(name)
    cls = type(f"Guarded{base.__name__}", (base,), namespace)
    _guarded_classes[base] = cls
    return cls


class Tracked:
    """What the lockdown knows about one locked PostgreSQL or MariaDB/MySQL connection.

    ``backend`` is the server's id for it (``pg_backend_pid()``, ``CONNECTION_ID()``), ``thread``
    the thread that opened it, ``baseline`` (MariaDB/MySQL) its session's counters at connect,
    ``factory``/``query`` the driver guard installed on it (to see that it is still there).
    """

    def __init__(self, raw: Any, vendor: str, settings: dict[str, Any]) -> None:
        self.raw = raw
        self.vendor = vendor
        self.server = (settings.get("HOST"), str(settings.get("PORT")), settings.get("NAME"))
        self.thread = threading.current_thread()
        self.backend: Any = None
        self.baseline: dict[str, int] = {}
        self.factory: Any = None
        self.query: Any = None
        self.suspended = 0
        self.checked = False  # the close check ran
        #: The process that opened it: a forked worker inherits the record but must never use the connection.
        self.pid = os.getpid()

    def describe(self) -> str:
        return f"connection {self.backend} (thread {self.thread.name})"


_by_raw: dict[int, Tracked] = {}


def _install_driver_guard(conn: BaseDatabaseWrapper, record: Tracked) -> None:
    raw = conn.connection
    if record.vendor == "postgresql":
        record.factory = _guarded_cursor_class(raw.cursor_factory or type(raw.cursor()), "postgresql")
        raw.cursor_factory = record.factory
    elif record.vendor == "mysql":
        plain = type(raw).query
        raw_ref = weakref.ref(raw)  # no cycle through the connection's own __dict__

        def query(q: Any) -> Any:
            this = raw_ref()
            checked = _driver_checked(this, "mysql", q, None, False, None)
            if isinstance(q, (bytes, bytearray)) and isinstance(checked, str):
                checked = checked.encode("utf-8")
            return plain(this, checked)

        record.query = query
        raw.query = query


def _track(conn: BaseDatabaseWrapper) -> None:
    """Track the just-locked server connection ``conn`` and put the driver guard on it."""
    if conn.vendor not in ("postgresql", "mysql"):
        return
    raw = conn.connection
    record = Tracked(raw, conn.vendor, conn.settings_dict)
    if conn.vendor == "postgresql":
        record.backend = raw.info.backend_pid  # psycopg2 and psycopg 3, no round trip
    else:
        from tenant_console.core.readonly import mysql_counters

        record.backend = int(raw.thread_id())
        cur = raw.cursor()
        try:
            record.baseline = mysql_counters(cur)
        finally:
            cur.close()
        if not conn.autocommit:
            raw.commit()
    _install_driver_guard(conn, record)
    old = _tracked.get(conn)
    if old is not None:
        _by_raw.pop(id(old.raw), None)
    _tracked[conn] = record
    _by_raw[id(raw)] = record
    # A thread that ends without closing its connection leaves the wrapper to the garbage collector:
    # ask the connection then (below) or at the next block's end, whichever comes first.
    weakref.finalize(conn, _check_when_collected, record)
    if "_close" not in conn.__dict__:
        ref = weakref.ref(conn)

        def _close() -> Any:
            wrapper = ref()
            if wrapper is None:
                return None
            _check_on_close(wrapper)
            return type(wrapper)._close(wrapper)  # type: ignore[attr-defined]

        conn._close = _close  # type: ignore[attr-defined]


def _check_on_close(conn: BaseDatabaseWrapper) -> None:
    """Before a tracked connection closes (its server session, and its counters, end with it): what
    can be proven about it now; a problem is kept for the next read-only block to report."""
    record = _tracked.pop(conn, None)
    if record is None or record.pid != os.getpid():
        return
    _by_raw.pop(id(record.raw), None)
    from tenant_console.core.readonly import side_connection_problem

    problem = side_connection_problem(record, conn.connection, idle=True)
    if problem:
        with _lock:
            _evidence.append(problem)


def _check_when_collected(record: Tracked) -> None:
    if _by_raw.get(id(record.raw)) is not record or record.pid != os.getpid():
        return  # closed through Django (checked then), replaced, or the parent's (in a forked worker: see after_fork)
    _by_raw.pop(id(record.raw), None)
    from tenant_console.core.readonly import side_connection_problem

    try:
        problem = side_connection_problem(record, record.raw, idle=True)
    except Exception as exc:  # never raise from the garbage collector
        problem = f"{record.describe()} could not be checked ({type(exc).__name__})"
    if problem:
        with _lock:
            _evidence.append(problem)
    with contextlib.suppress(Exception):
        record.raw.close()


def forget(conn: BaseDatabaseWrapper) -> None:
    """Stop tracking ``conn`` (its read-only block just reported a breach on it: no second report when
    it closes)."""
    record = _tracked.pop(conn, None)
    if record is not None:
        _by_raw.pop(id(record.raw), None)


def take_evidence() -> list[str]:
    """The problems found on tracked connections as they closed since the last call."""
    with _lock:
        found = list(_evidence)
        _evidence.clear()
    return found


def tracked() -> list[tuple[BaseDatabaseWrapper, Tracked]]:
    """The tracked connections still open (or at least not closed through Django)."""
    return list(_tracked.items())


@contextlib.contextmanager
def driver_guard_suspended(conn: BaseDatabaseWrapper) -> Iterator[None]:
    """Tests of the database layer alone (``read_only(guard=False)``): the driver guard of ``conn`` is off."""
    record = _tracked.get(conn)
    if record is not None:
        record.suspended += 1
    try:
        yield
    finally:
        if record is not None:
            record.suspended -= 1


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


#: In a forked worker: the parent's connection wrappers, kept referenced and never used (see :func:`after_fork`).
_inherited: list[BaseDatabaseWrapper] = []
_inherited_pools: list[dict[str, Any]] = []


def after_fork() -> None:
    """In a process just forked from an armed one (``export --jobs`` workers): new connections only.

    The parent's driver connections share their sockets with the parent: a statement on one would
    interleave with the parent's, and closing one (or letting the garbage collector do it) would end
    the parent's server session, and with it the snapshot that the workers share. So they are
    forgotten here (untracked, no end-of-block check asks them anything) and kept referenced until the
    worker leaves through ``os._exit`` (no finalizer runs). Every alias gets a fresh wrapper: the
    armed state is inherited, so each connection the worker opens is locked on ``connection_created``
    like any other; on PostgreSQL its server session is also started read-only
    (``-c default_transaction_read_only=on``), so it is read-only from its very first statement,
    Django's own set-up included.
    """
    global _lock
    _lock = threading.Lock()  # another thread of the parent may have held it at the fork
    for conn in connections.all(initialized_only=True):
        _inherited.append(conn)
    _tracked.clear()
    _by_raw.clear()
    _evidence.clear()
    _locked.clear()
    for conn in _inherited:
        settings = {**conn.settings_dict, "OPTIONS": dict(conn.settings_dict.get("OPTIONS") or {})}
        if conn.vendor == "postgresql":
            options = str(settings["OPTIONS"].get("options") or "")
            settings["OPTIONS"]["options"] = f"{options} -c default_transaction_read_only=on".strip()
            # Django's pool (OPTIONS["pool"]) is a class attribute: the inherited one holds the parent's idle
            # connections (its sockets) and no thread of its own. The worker connects directly; the parent's
            # pools are kept referenced, never used, like its connections.
            settings["OPTIONS"].pop("pool", None)
            pools = getattr(type(conn), "_connection_pools", None)
            if isinstance(pools, dict) and pools:
                _inherited_pools.append(dict(pools))
                pools.clear()
        connections[conn.alias] = type(conn)(settings, conn.alias)


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
        old = _tracked.pop(connection, None)
        if old is not None:
            _by_raw.pop(id(old.raw), None)
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
    _track(conn)
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
