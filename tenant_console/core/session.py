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
from django.db import close_old_connections, connections
from django.db.models import Model

from tenant_console.core.backends import activate_all, disable_all
from tenant_console.core.discovery import fill_implied
from tenant_console.core.errors import Cancelled, ConsoleError, ScopeSelectionError, SessionClosed
from tenant_console.core.readonly import read_only
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
        self.name = f"{name}-{next(_ids)}"
        self.readonly = readonly
        self._scope = ScopeState()
        self._tenants: dict[str, Model] = {}
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = False
        self._busy = threading.Lock()
        self._running = threading.Event()
        self._connection: Any = None
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
        if self._closed:
            raise SessionClosed("This console session has been closed.")
        fut: Future[T] = Future()
        ro = self.readonly if readonly is None else readonly
        self._queue.put((fut, fn, args, kwargs, ro, scoped))
        return fut

    def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None, **kwargs: Any) -> T:
        """Blocking form of :meth:`submit`, for the CLI and tests. Never call it from the event loop."""
        return self.submit(fn, *args, **kwargs).result(timeout)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Awaitable form of :meth:`submit`, for the app."""
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def activate(self, selection: Mapping[str, Any]) -> ScopeState:
        """Activate tenants given as ``{dimension: pk or instance}``; implied dimensions are filled in."""
        return self.run(self._activate, dict(selection), scoped=False, readonly=False)

    def disable_scopes(self, reason: str = "") -> ScopeState:
        """Deliberately turn scoping off (all tenants visible). Audited."""
        self._scope = ScopeState(disabled=True)
        self._tenants = {}
        self.project.audit.record("scopes_disabled", scope=self._scope.as_dict(), database=self.alias,
                                  reason=reason, session=self.name)
        return self._scope

    def clear_scope(self) -> ScopeState:
        self._scope = ScopeState()
        self._tenants = {}
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
            else:
                return False
        except Exception:
            return False
        return True

    def interrupt(self) -> bool:
        """Stop the running call: cancel its query and raise ``KeyboardInterrupt`` in its Python code."""
        if not self._running.is_set():
            return False
        self.cancel()
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread.ident or 0),
                                                   ctypes.py_object(KeyboardInterrupt))
        return True

    @property
    def busy(self) -> bool:
        return self._running.is_set()

    def close(self, timeout: float = 10.0) -> None:
        """Finish queued work, close the connection and end the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

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
                self._running.set()
                try:
                    with self.context(readonly=ro, scoped=scoped):
                        result = fn(*args, **kwargs)
                finally:
                    self._running.clear()
            except KeyboardInterrupt:
                if not fut.done():
                    fut.set_exception(Cancelled("Interrupted."))
            except BaseException as exc:
                if not fut.done():
                    fut.set_exception(_translate(exc))
            else:
                fut.set_result(result)
        with contextlib.suppress(Exception):
            connections[self.alias].close()
        close_old_connections()

    @contextlib.contextmanager
    def context(self, *, readonly: bool, scoped: bool = True) -> Iterator[None]:
        """The context every call runs in. Only valid on the session thread."""
        with contextlib.ExitStack() as stack:
            stack.enter_context(routed_to(self.alias))
            if scoped:
                if self._scope.disabled:
                    stack.enter_context(disable_all(self.project.registry.backends))
                else:
                    stack.enter_context(activate_all(self.project.registry.backends, self._tenants,
                                                     self.project.registry.owners))
            if readonly:
                stack.enter_context(read_only(self.alias))
            yield

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
        self.project.audit.record("scope_activated", scope=self._scope.as_dict(), database=self.alias,
                                  session=self.name)
        return self._scope


def _translate(exc: BaseException) -> BaseException:
    """Turn a cancelled query into :class:`Cancelled`; leave everything else as it is."""
    text = str(exc)
    if isinstance(exc, ConsoleError):
        return exc
    if "canceling statement due to user request" in text or text == "interrupted":
        return Cancelled("The query was cancelled.")
    return exc
