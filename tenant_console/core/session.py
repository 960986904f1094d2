"""The session engine: one thread, one connection, every ORM call inside the scope.

django-scopes keeps the active scope in a ``ContextVar``; Textual's thread
workers do not copy context, Django refuses sync ORM calls on a thread with a
running event loop, and connections are per thread. So a session owns one
dedicated thread: the UI and the CLI submit callables to it and get results
back (a ``concurrent.futures.Future``, awaitable from the app), and the thread
enters the session's scope, and the read-only layer when asked, around every
call. Several sessions may exist at once (an export runs in its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models import Model

from tenant_console.core import lockdown
from tenant_console.core.backends import activate_all, disable_all
from tenant_console.core.browse.labels import LabelCache, caching, note_write
from tenant_console.core.discovery import fill_implied
from tenant_console.core.errors import Cancelled, ConsoleError, ScopeSelectionError, SessionClosed
from tenant_console.core.readonly import ServerReadOnly, only_this_database, read_only
from tenant_console.core.routing import routed_to
from tenant_console.core.scope import ScopeState, TenantRef

if TYPE_CHECKING:
    from tenant_console.core.project import Project

T = TypeVar("T")
_ids = itertools.count(1)
_STOP = object()


class Session:
    """A console session: a thread that owns a DB connection and the active scope.

    ``readonly`` is the default for :meth:`submit`; a call may override it.
    """

    def __init__(self, project: Project, *, alias: str | None = None, name: str = "console",
                 readonly: bool = True) -> None:
        self.project = project
        self.alias = alias or project.alias
        #: Writable calls connect here (the primary when ``alias`` is the read-only database).
        self.writable_alias = project.writable_alias(self.alias)
        #: What the server's privilege check found (``READONLY_DATABASE``), when it was made.
        self.server_readonly: ServerReadOnly | None = None
        self.name = f"{name}-{next(_ids)}"
        self.readonly = readonly
        self._scope = ScopeState()
        self._tenants: dict[str, Model] = {}
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._submit_lock = threading.Lock()  # a submit never slips in behind close()
        self._running = threading.Event()
        self._current: Future[Any] | None = None  # the call running now (see cancel_call)
        self._current_lock = threading.Lock()
        #: Held while deciding to raise KeyboardInterrupt in the session thread, and while
        #: that thread leaves user code, so the exception can only land inside a call.
        self._interrupt_lock = threading.Lock()
        self._in_user_code = False
        self._current_readonly = False  # whether the running call is read-only (for nested calls)
        self._connection: Any = None
        #: Writable calls run on a connection of their own (see :mod:`lockdown`), opened for
        #: the call and closed after it, or kept while its transaction stays open (writable REPL).
        self._writable_conn: Any = None
        self._writable_installed = False
        #: FK labels fetched by this session's calls (only touched on its thread; see :meth:`context`).
        self._labels = LabelCache()
        self._labels_scope: ScopeState | None = None
        lockdown.arm()  # every connection the process opens is read-only while a session is open
        self._armed = True
        self._thread = threading.Thread(target=self._loop, name=f"tenant-console-{self.name}", daemon=True)
        self._thread.start()

    # -- public API ---------------------------------------------------------
    @property
    def scope(self) -> ScopeState:
        return self._scope

    @property
    def tenants(self) -> dict[str, Model]:
        """The active tenant instances by dimension (only touch them on the session thread)."""
        return dict(self._tenants)

    def submit(self, fn: Callable[..., T], *args: Any, readonly: bool | None = None, scoped: bool = True,
               **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` on the session thread; returns a Future.

        ``scoped=False`` runs without entering the session scope (for the
        console's own bookkeeping on shared tables, which uses base managers and
        explicit tenant filters). ``readonly`` overrides the session default.
        """
        fut: Future[T] = Future()
        ro = self.readonly if readonly is None else readonly
        if threading.current_thread() is self._thread:
            return self._run_inline(fut, fn, args, kwargs, ro, scoped)
        with self._submit_lock:
            if self._closed:
                raise SessionClosed(f"The console session {self.name} has been closed; open a new one.")
            self._queue.put((fut, fn, args, kwargs, ro, scoped))
        return fut

    def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None, **kwargs: Any) -> T:
        """Blocking form of :meth:`submit`, for the CLI and tests. Never call it from the event loop."""
        return self.submit(fn, *args, **kwargs).result(timeout)

    async def call(self, fn: Callable[..., T], *args: Any, cancel_if_abandoned: bool = False, **kwargs: Any) -> T:
        """Awaitable form of :meth:`submit`, for the app.

        A call whose awaiting task is cancelled is dropped if it has not started; with
        ``cancel_if_abandoned`` (a read whose answer nobody wants any more: a search the user
        typed past) its running statement is cancelled on the database too (:meth:`cancel_call`).
        """
        fut = self.submit(fn, *args, **kwargs)
        try:
            return await asyncio.wrap_future(fut)
        except asyncio.CancelledError:
            if cancel_if_abandoned:
                self.cancel_call(fut)
            raise

    def cancel_call(self, fut: Future[Any]) -> bool:
        """Stop one submitted call: dropped while queued, its statement cancelled on the database while it
        runs. Any other call (queued or running) is left alone. True if it was dropped or cancelled."""
        if fut.cancel():
            return True
        with self._current_lock:  # the loop cannot move on to the next call meanwhile
            return self._current is fut and self.cancel()

    def activate(self, selection: Mapping[str, Any]) -> ScopeState:
        """Activate tenants given as ``{dimension: pk or instance}``; implied dimensions are filled in.

        Audited before it happens (no record, no scope: :class:`AuditUnavailable`) and after.
        """
        requested = {k: str(getattr(v, "pk", v)) for k, v in selection.items()}
        with self.project.audit.act("scope_activated", scope=self._scope.as_dict(), database=self.alias,
                                    session=self.name, requested=requested) as act:
            state = self.run(self._activate, dict(selection), scoped=False, readonly=True)
            act.scope = state.as_dict()
        return state

    def disable_scopes(self, reason: str = "") -> ScopeState:
        """Deliberately turn scoping off (all tenants visible). Audited before and after."""
        with self.project.audit.act("scopes_disabled", scope=ScopeState(disabled=True).as_dict(),
                                    database=self.alias, reason=reason, session=self.name,
                                    previous=self._scope.as_dict()):
            self._scope = ScopeState(disabled=True)
            self._tenants = {}
        return self._scope

    def clear_scope(self) -> ScopeState:
        """Back to no scope at all: scoped managers refuse to run until a tenant is chosen."""
        previous = self._scope
        if not (previous.is_active or previous.disabled):
            return self._scope
        # Narrowing is the safe direction: it happens even when the audit trail cannot be
        # written (the record's failure is raised afterwards).
        self._scope = ScopeState()
        self._tenants = {}
        self.project.audit.record("scope_cleared", scope=self._scope.as_dict(), database=self.alias,
                                  previous=previous.as_dict(), session=self.name)
        return self._scope

    def cancel(self) -> bool:
        """Cancel the statement running now, on the database side. True if one was running."""
        if not self._running.is_set() or self._connection is None:
            return False
        raw = getattr(self._connection, "connection", None)
        if raw is None:
            return False
        try:
            if self._connection.vendor == "postgresql":
                raw.cancel()
            elif self._connection.vendor == "sqlite":
                raw.interrupt()
            elif self._connection.vendor == "mysql":
                _mysql_kill_query(self._connection)
            else:
                return False
        except Exception:
            return False
        return True

    def interrupt(self) -> bool:
        """Stop the running call: cancel its query and raise ``KeyboardInterrupt`` in its Python code.

        The exception is only ever raised while the session thread runs the
        submitted callable (never in the loop or in a later call), at most once
        per call; the call's future then fails with :class:`Cancelled`.
        """
        if not self._running.is_set():
            return False
        self.cancel()
        with self._interrupt_lock:
            if not self._in_user_code:
                return True  # between calls or in our own setup: the cancel was enough
            self._in_user_code = False
            _set_async_exc(self._thread.ident, KeyboardInterrupt)
        return True

    @property
    def busy(self) -> bool:
        return self._running.is_set()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout: float = 10.0) -> None:
        """Finish queued work, close the connection and end the thread.

        Work submitted afterwards raises :class:`SessionClosed`. A call still
        running after ``timeout`` seconds is left to finish on its own (the thread
        is a daemon); :meth:`interrupt` it first to stop it.
        """
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        self._disarm()

    def _disarm(self) -> None:
        with self._submit_lock:
            if not self._armed:
                return
            self._armed = False
        lockdown.disarm()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the session thread --------------------------------------------------
    def _loop(self) -> None:
        self._connection = connections[self.alias]
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            fut, fn, args, kwargs, ro, scoped = item
            try:
                if not fut.set_running_or_notify_cancel():
                    continue
                with self._current_lock:
                    self._current = fut
                self._running.set()
                self._current_readonly = ro
                try:
                    with self.context(readonly=ro, scoped=scoped):
                        result = self._invoke(fn, args, kwargs)
                finally:
                    self._current_readonly = False
                    self._leave_user_code()
                    with self._current_lock:
                        self._current = None
                    self._running.clear()
            except KeyboardInterrupt:
                if not fut.done():
                    fut.set_exception(Cancelled("Interrupted: the call was stopped."))
            except BaseException as exc:
                if not fut.done():
                    fut.set_exception(_translate(exc))
            else:
                fut.set_result(result)
        # Close every connection this thread opened (user code may have used other aliases).
        if self._writable_conn is not None:
            with contextlib.suppress(Exception):
                self._writable_conn.close()
            self._writable_conn = None
        with contextlib.suppress(Exception):
            connections[self.alias].close()
        with contextlib.suppress(Exception):
            connections.close_all()
        # Whatever was queued behind the stop can no longer run.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP and item[0].set_running_or_notify_cancel():
                item[0].set_exception(SessionClosed(f"The console session {self.name} was closed first."))

    def _run_inline(self, fut: Future[T], fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any],
                    ro: bool, scoped: bool) -> Future[T]:
        """A call made from inside a call (code in the session calling ``session.run``).

        Queueing it would deadlock (the thread would wait for itself), so it runs
        here and now, inside the running call's transaction. A read-only call
        cannot start a writable one: that would be a way out of the read-only layer.
        """
        outer_ro = self._current_readonly
        if outer_ro and not ro:
            raise ConsoleError(
                "A read-only call cannot run a writable one inside it; submit the writable work on its own "
                "(and only in a session where writes are switched on)."
            )
        fut.set_running_or_notify_cancel()
        try:
            with self.context(readonly=ro and not outer_ro, scoped=scoped):
                fut.set_result(fn(*args, **kwargs))
        except Exception as exc:
            fut.set_exception(_translate(exc))
        return fut

    def _invoke(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        self._in_user_code = True
        try:
            return fn(*args, **kwargs)
        finally:
            self._leave_user_code()

    def _leave_user_code(self) -> None:
        with self._interrupt_lock:
            if self._in_user_code:
                self._in_user_code = False
            else:
                # An interrupt may have been scheduled just as the call returned: take it
                # here so it cannot land in the loop or in the next call.
                absorb_pending_interrupt()

    @contextlib.contextmanager
    def context(self, *, readonly: bool, scoped: bool = True) -> Iterator[None]:
        """The context every call runs in. Only valid on the session thread."""
        with contextlib.ExitStack() as stack:
            if self._labels_scope is not self._scope:  # another tenant (or none): no label carries over
                self._labels.clear()
                self._labels_scope = self._scope
            if not readonly and not self._current_readonly:  # never from inside a read-only call
                # A write (or a rollback) may rename what a cached label shows, in this session's cache or
                # another's: every cache forgets its labels (after the call: once its connection is put back).
                note_write()
                stack.callback(note_write)
                stack.enter_context(self._writable_connection())
            stack.enter_context(caching(self._labels))
            stack.enter_context(routed_to(self.alias))
            if scoped:
                if self._scope.disabled:
                    stack.enter_context(disable_all(self.project.registry.backends))
                else:
                    stack.enter_context(activate_all(self.project.registry.backends, self._tenants,
                                                     self.project.registry.owners))
            if readonly:
                stack.enter_context(only_this_database(self.alias))
                stack.enter_context(read_only(self.alias))
            yield

    @contextlib.contextmanager
    def _writable_connection(self) -> Iterator[None]:
        """Put the session's writable connection in place of the thread's read-only one.

        Opened on the first writable call and closed when a call ends without an
        open transaction on it, so it exists only while the user writes. Other
        threads, and other aliases, keep read-only connections.
        """
        if self._writable_installed:  # a writable call inside a writable call
            yield
            return
        if self._writable_conn is None:
            # Installed under the session's alias, so ORM calls routed there write to the primary.
            self._writable_conn = lockdown.writable_connection(self.writable_alias)
        readonly_conn = connections[self.alias]
        connections[self.alias] = self._writable_conn
        self._connection, self._writable_installed = self._writable_conn, True
        try:
            yield
        finally:
            connections[self.alias] = readonly_conn
            self._connection, self._writable_installed = readonly_conn, False
            if not self._writable_conn.in_atomic_block:
                with contextlib.suppress(Exception):
                    self._writable_conn.close()
                self._writable_conn = None

    def _activate(self, selection: dict[str, Any]) -> ScopeState:
        registry = self.project.registry
        tenants: dict[str, Model] = {}
        for dim, value in selection.items():
            if dim not in registry.dimensions:
                from tenant_console.core.errors import did_you_mean

                raise ScopeSelectionError(
                    f"There is no scope dimension {dim!r}.{did_you_mean(dim, list(registry.dimensions))} "
                    f"Known dimensions: {', '.join(sorted(registry.dimensions)) or 'none'}."
                )
            model = registry.dimensions[dim].model
            if isinstance(value, model):
                tenants[dim] = value
                continue
            try:
                tenants[dim] = model._base_manager.using(self.alias).get(pk=value)
            except (model.DoesNotExist, ValueError, TypeError, ValidationError):
                raise ScopeSelectionError(
                    f"There is no {registry.dimensions[dim].model_label} with primary key {value!r} "
                    f"for the dimension {dim!r}."
                )
        # Fill in dimensions implied by a chosen tenant (an event's organiser); refuse contradictions.
        tenants = fill_implied(registry, tenants, self.alias)
        self._tenants = tenants
        self._scope = ScopeState(tenants=tuple(
            TenantRef(dim, t.pk, registry.dimensions[dim].label(t)) for dim, t in sorted(tenants.items())
        ))
        return self._scope


def _set_async_exc(ident: int | None, exc_type: type[BaseException]) -> None:
    """Raise ``exc_type`` in thread ``ident`` at its next bytecode."""
    if ident is None:
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))


def _tick() -> None:
    """A Python call: the interpreter checks for a pending asynchronous exception on entry."""


def absorb_pending_interrupt() -> None:
    """Take a ``KeyboardInterrupt`` sent to this thread that has not been raised yet, if any.

    Call it on the thread itself. It replaces clearing the pending exception with
    ``PyThreadState_SetAsyncExc(ident, NULL)``, which deadlocks the thread when a
    ``sys.settrace`` tracer (coverage, pdb, debugpy) is active: the pending
    exception is instead raised here, at the next check the interpreter makes (a
    Python call or a loop's backward jump), and dropped.
    """
    try:
        for _ in range(3):
            _tick()
    except KeyboardInterrupt:
        pass


def _remember_mysql_thread_id(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: note a MariaDB/MySQL connection's server thread id, for :func:`_mysql_kill_query`.

    mysqlclient refuses to touch a connection (even ``thread_id()``) while another thread runs a
    query on it, so the id is read here, on the connecting thread, at every (re)connect.
    """
    if connection.vendor == "mysql" and connection.connection is not None:
        connection.tc_mysql_thread_id = int(connection.connection.thread_id())


connection_created.connect(_remember_mysql_thread_id, dispatch_uid="tenant_console.session.mysql_thread_id")


def _mysql_kill_query(wrapper: Any) -> None:
    """MariaDB/MySQL: ``KILL QUERY`` the session connection's running statement, from a connection of its own.

    The driver has no cancel call; the server stops the statement (error 1317) and keeps the
    connection and its transaction. The helper connection is made with the alias's own parameters
    (no Django wrapper, so no ``connection_created`` hooks run) and closed at once.
    """
    thread_id = getattr(wrapper, "tc_mysql_thread_id", None)
    if thread_id is None:
        raise RuntimeError("the connection's server thread id is unknown")
    helper = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        cur = helper.cursor()
        cur.execute(f"KILL QUERY {thread_id}")
        cur.close()
    finally:
        helper.close()


#: MariaDB/MySQL ER_QUERY_INTERRUPTED: the statement was stopped by KILL QUERY.
MYSQL_QUERY_INTERRUPTED = 1317


def _translate(exc: BaseException) -> BaseException:
    """Turn a cancelled query into :class:`Cancelled`; leave everything else as it is."""
    if isinstance(exc, ConsoleError):
        return exc
    for err in (exc, exc.__cause__):
        if err is None:
            continue
        sqlstate = getattr(err, "pgcode", None) or getattr(err, "sqlstate", None)  # psycopg2 / psycopg 3
        if sqlstate == "57014" and "user request" in str(err):  # query_canceled
            return _cancelled(exc)
        if str(err) == "interrupted":  # sqlite3_interrupt()
            return _cancelled(exc)
        args = getattr(err, "args", ())
        if args and args[0] == MYSQL_QUERY_INTERRUPTED:  # KILL QUERY (mysqlclient: (code, message))
            return _cancelled(exc)
    return exc


def _cancelled(exc: BaseException) -> Cancelled:
    err = Cancelled("The query was cancelled.")
    err.__cause__ = exc
    return err
