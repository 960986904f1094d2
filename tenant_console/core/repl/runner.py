"""The REPL engine: each input runs on the session thread, inside the scope.

Read-only by default: an input is a session call with the read-only layer on,
so a write is refused and nothing reaches the database. Writable mode (entered
deliberately, see :mod:`.transaction`) runs inputs inside one open transaction,
each in a savepoint. Every input is audited before it runs (an input whose
record cannot be written does not run) and after, with its outcome, the scope
it ran in and any scope its code entered (``with scopes_disabled(): ...``).

ctrl+c (:meth:`ReplRunner.interrupt`) cancels a query on the database when one
is running, and otherwise raises ``KeyboardInterrupt`` in the user's Python
code. The asynchronous exception is only sent while the thread is inside user
code, and any still pending is cleared when the input ends, so it never lands
in the session's own machinery and the session survives.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from django.db import connections

from tenant_console.core import scopewatch
from tenant_console.core.audit import Act, AuditUnavailable, outcome_of
from tenant_console.core.errors import ConsoleError, ReadOnlyBreach, ReadOnlyViolation
from tenant_console.core.repl.capture import OutputBuffer, captured
from tenant_console.core.repl.crosswrite import ForeignWrite, WriteWatch, audit_details, unchecked_text, warning_text
from tenant_console.core.repl.execute import filename_for, format_exception, run_code
from tenant_console.core.repl.namespace import NamespaceInfo, bind_tenants, build_namespace
from tenant_console.core.repl.render import Rendered, render
from tenant_console.core.repl.sqlecho import QueryRecord, QueryRecorder
from tenant_console.core.repl.tenancy import TableCheck, check_table, foreign_tenant_warning
from tenant_console.core.repl.transaction import WriteInput, WriteTransaction
from tenant_console.core.session import absorb_pending_interrupt

if TYPE_CHECKING:
    from django.db.models import Model

    from tenant_console.core.project import Project
    from tenant_console.core.scope import ScopeState
    from tenant_console.core.session import Session

#: Seconds a ``KeyboardInterrupt`` may take to arrive before the database statement is cancelled too.
INTERRUPT_GRACE = 0.5

ErrorKind = Literal["exception", "syntax", "refused", "interrupted", "breach"]

#: Database messages that mean "the database itself refused a write" (layer 1 of read-only).
_DB_REFUSALS = ("read-only transaction", "readonly database", "query_only", "not authorized")
#: What a refusal suggests; the UI replaces it with its key (``Press f3 to …``).
WRITABLE_HINT = "Switch to writable mode (it asks first) to change data."
#: Database messages that mean "the query was cancelled" (after ctrl+c).
_DB_CANCELLED = ("canceling statement due to user request", "interrupted")


@dataclass
class RunResult:
    """Everything the UI (or the headless shell) shows for one input."""

    number: int
    source: str
    output: list[tuple[str, str]] = field(default_factory=list)
    value: Rendered | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    queries: list[QueryRecord] = field(default_factory=list)
    seconds: float = 0.0
    writable: bool = False
    writes: int = 0
    scope: str = ""
    truncated_output: int = 0
    #: Scopes the input's code entered (``scope(...)``, ``scopes_disabled()``), as audited.
    scope_changes: list[dict[str, Any]] = field(default_factory=list)
    #: The audit outcome when it is not the error kind's (``breach``).
    audit_outcome: str | None = None
    #: Rows written (writable mode) that belong to a tenant other than the active one.
    foreign_writes: list[ForeignWrite] = field(default_factory=list)
    #: The warning about them, for people (``⚠ 1 row written belongs to another tenant: ...``).
    write_warning: str = ""
    #: Why the cross-tenant check of the input's writes failed (empty: it ran). Fails closed: the
    #: input counts as unchecked, and committing needs the typed OTHER TENANT confirmation.
    write_check_failed: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def outcome(self) -> str:
        """The audit outcome: ``ok``, ``refused``, ``error``, ``interrupted`` or ``breach``."""
        if self.audit_outcome:
            return self.audit_outcome
        kind = self.error_kind
        return "ok" if kind is None else kind if kind in ("refused", "interrupted") else "error"


class InputFuture(Future[RunResult]):
    """The pending result of one input, with its number (``In [n]``) known at once."""

    def __init__(self, number: int, source: str, writable: bool) -> None:
        super().__init__()
        self.number = number
        self.source = source
        self.writable = writable


@dataclass(frozen=True)
class CommitResult:
    inputs: list[WriteInput]
    writes: int


class ReplRunner:
    """A REPL bound to one session: its namespace, its mode and its open transaction.

    Methods returning a ``Future`` are safe to call from any thread (the app
    awaits them with ``asyncio.wrap_future``); :meth:`set_scope` blocks and must
    not be called from the event loop.
    """

    def __init__(self, project: Project, session: Session) -> None:
        self.project = project
        self.session = session
        self.alias = session.alias
        self.vendor = connections[session.alias].vendor
        self.namespace: dict[str, Any] = {}
        self.info = NamespaceInfo()
        self.transaction = WriteTransaction(self.alias)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._in_user = False
        self._interrupt_sent = False
        self._ident: int | None = None
        self._recorder: QueryRecorder | None = None
        self._generation = 0
        self._ready = False
        #: The scope the tenant variables were bound for.
        self._bound: ScopeState | None = None
        #: Output of the running (or last) input, readable while it runs.
        self.live_output: OutputBuffer | None = None
        #: The last sentence of a refusal: how to get writable (the UI names its key).
        self.writable_hint = WRITABLE_HINT

    # -- state ----------------------------------------------------------------
    @property
    def writable(self) -> bool:
        return self.transaction.is_open

    @property
    def dirty(self) -> bool:
        return self.transaction.dirty

    @property
    def in_query(self) -> bool:
        """Whether the running input is waiting on the database right now."""
        recorder = self._recorder
        return recorder is not None and recorder.in_query

    @property
    def in_user_code(self) -> bool:
        return self._in_user

    @property
    def busy(self) -> bool:
        return self.session.busy

    @property
    def scope(self) -> Any:
        return self.session.scope

    def _submit(self, fn: Callable[..., Any], *args: Any, readonly: bool | None = None) -> Future[Any]:
        ro = (not self.writable) if readonly is None else readonly
        return self.session.submit(fn, *args, readonly=ro)

    # -- namespace --------------------------------------------------------------
    def start(self) -> Future[NamespaceInfo]:
        """Build the namespace on the session thread (tenant instances live there)."""
        return self._submit(self._build)

    def _build(self) -> NamespaceInfo:
        self.info = NamespaceInfo()
        self.namespace = build_namespace(self.project, self.session, info=self.info)
        self._bound = self.session.scope
        self._ready = True
        return self.info

    def rebind(self) -> Future[NamespaceInfo]:
        """After a scope change: rebind the tenant variables; user variables stay."""
        return self._submit(self._rebind)

    def _rebind(self) -> NamespaceInfo:
        if not self._ready:
            return self._build()
        scope = self.session.scope
        bind_tenants(self.namespace, self.project, self.session.tenants, disabled=scope.disabled,
                     info=self.info)
        self._bound = scope
        return self.info

    def set_scope(self, selection: Mapping[str, Any] | None, *, disabled: bool = False,
                  discard: bool = False) -> NamespaceInfo:
        """Switch the session's scope and rebind (blocking: call from a worker thread).

        Writable mode was confirmed for one tenant, so switching ends it: an
        open transaction without changes is rolled back; with changes the switch
        is refused unless ``discard`` (the UI asks first).
        """
        if self.writable:
            if self.dirty and not discard:
                raise ConsoleError(
                    "There are uncommitted changes in the REPL; commit (:commit) or roll back (:rollback) "
                    "before switching tenant."
                )
            self.rollback().result()
        if disabled:
            self.session.disable_scopes(reason="repl")
        elif selection:
            self.session.activate(selection)
        else:
            self.session.clear_scope()
        return self.rebind().result()

    # -- running input ----------------------------------------------------------
    def submit(self, source: str) -> InputFuture:
        """Queue an input; the Future resolves to its :class:`RunResult` (never raises for user errors)."""
        number = next(self._numbers)
        writable = self.writable
        outer = InputFuture(number, source, writable)
        try:
            act = self.project.audit.begin(
                "repl_input", scope=self.session.scope.as_dict(), database=self.alias, session=self.session.name,
                input_number=number, code=source, writable=writable)
        except AuditUnavailable as exc:  # fail closed: the input does not run
            result = RunResult(number, source, writable=writable, scope=self.session.scope.describe())
            result.error, result.error_kind = exc.message, "exception"
            outer.set_result(result)
            return outer
        try:
            inner: Future[RunResult] = self._submit(self._execute, number, source, writable)
        except BaseException as exc:
            act.fail(exc)
            raise

        def done(fut: Future[RunResult]) -> None:
            exc = fut.exception()
            if exc is None:
                result = fut.result()
            else:
                # An error of the session's own context (the read-only layer's checks and its
                # proof at the end, a lost connection): shown like any other error, and audited.
                result = RunResult(number, source, writable=writable, scope=self.session.scope.describe())
                result.error, result.error_kind = _classify(exc, interrupted=False, hint=self.writable_hint)
                if outcome_of(exc) == "breach":
                    result.audit_outcome = "breach"
            self._audit(act, result)
            outer.set_result(result)

        inner.add_done_callback(done)
        return outer

    def run(self, source: str, timeout: float | None = None) -> RunResult:
        """Blocking form of :meth:`submit`, for the headless shell and tests."""
        return self.submit(source).result(timeout)

    def _execute(self, number: int, source: str, writable: bool) -> RunResult:
        if not self._ready:
            self._build()
        elif self._bound != self.session.scope:
            # The scope changed and this input was queued before the rebind: the tenant
            # variables must name the tenant the input runs in, never the previous one.
            self._rebind()
        result = RunResult(number, source, writable=writable, scope=self.session.scope.describe())
        buffer = OutputBuffer(owner=number)
        self.live_output = buffer
        recorder = QueryRecorder(self.vendor)
        watch = WriteWatch(self.project.registry, self.session.scope, self.alias) if writable else None
        started = time.perf_counter()
        try:
            with contextlib.ExitStack() as stack:
                if writable:
                    stack.enter_context(self.transaction.savepoint())
                stack.enter_context(connections[self.alias].execute_wrapper(recorder))
                if watch is not None:
                    stack.enter_context(watch.watching())
                stack.enter_context(captured(buffer))
                result.scope_changes = stack.enter_context(scopewatch.watching())
                self._enter_user(recorder)
                try:
                    value = run_code(source, self.namespace, filename_for(number))
                    if value is not None:
                        self.namespace["_"] = value
                    result.value = render(value, check=self._tenant_check, table_check=self._table_check)
                finally:
                    self._leave_user()
        except BaseException as exc:  # the user's error, or ctrl+c: shown, never fatal
            result.error, result.error_kind = _classify(exc, interrupted=self._interrupt_sent,
                                                        hint=self.writable_hint)
            refused = _find(exc, ReadOnlyViolation)
            if refused is not None and refused.sql:
                recorder.queries.append(QueryRecord(refused.sql, 0.0, error=f"refused: {refused.kind}"))
        finally:
            self._leave_user()
        result.seconds = time.perf_counter() - started
        result.output = buffer.chunks
        result.truncated_output = buffer.truncated
        result.queries = recorder.queries
        if result.ok:
            result.writes = recorder.write_count
            if watch is not None:
                self._check_writes(watch, result)
            if writable:
                self.transaction.note(number, source, result.writes, tuple(result.foreign_writes),
                                      unchecked=bool(result.write_check_failed))
        return result

    def _check_writes(self, watch: WriteWatch, result: RunResult) -> None:
        """Which rows the input wrote belong to another tenant (in a savepoint: a failure poisons nothing)."""
        try:
            with self.transaction.savepoint():
                result.foreign_writes = watch.foreign()
            result.write_warning = warning_text(result.foreign_writes, watch.scope)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # never lose the input's result over the check; fail closed instead
            result.foreign_writes = []
            result.write_check_failed = f"{type(exc).__name__}: {exc}"
            result.write_warning = unchecked_text([result.number], result.write_check_failed)

    def _tenant_check(self, objs: Any) -> str:
        """Warn when a shown object is another tenant's (a forward FK walks out of the scope)."""
        try:
            with self._checking():
                return foreign_tenant_warning(self.project.registry, self.session.scope, objs)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # never lose the value over the check
            return f"⚠ could not check which tenant this belongs to: {type(exc).__name__}: {exc}"

    def _table_check(self, model: type[Model], objs: Sequence[Model], fields: Sequence[str]) -> TableCheck:
        """A table's rows of another tenant, and its FK cells that point into one (one query per FK column)."""
        try:
            with self._checking():
                return check_table(self.project.registry, self.session.scope, model, objs, fields)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # never lose the value over the check
            return TableCheck(rows=f"⚠ could not check which tenant these belong to: {type(exc).__name__}: {exc}")

    def _checking(self) -> contextlib.AbstractContextManager[None]:
        """The queries of a tenant check are echoed as the console's, not the input's."""
        recorder = self._recorder
        return recorder.checking() if recorder is not None else contextlib.nullcontext()

    def _enter_user(self, recorder: QueryRecorder) -> None:
        with self._lock:
            self._ident = threading.get_ident()
            self._recorder = recorder
            self._interrupt_sent = False
            self._generation += 1
            self._in_user = True

    def _leave_user(self) -> None:
        with self._lock:
            if self._in_user and self._ident == threading.get_ident():
                # Take a KeyboardInterrupt that was sent but has not been raised yet (never by
                # clearing it with a NULL exception: that deadlocks under sys.settrace tracers).
                absorb_pending_interrupt()
            self._in_user = False
            self._recorder = None

    def interrupt(self) -> bool:
        """ctrl+c: cancel the running query, or raise ``KeyboardInterrupt`` in the Python code.

        A ``KeyboardInterrupt`` only arrives when the thread next runs Python
        code; if the input is stuck in C (a driver call below Django's cursor),
        the database statement is cancelled as well after a short grace time,
        and a second ctrl+c cancels it at once.
        """
        with self._lock:
            if not self._in_user or self._ident is None:
                return False
            if self._interrupt_sent:
                return self.session.cancel()
            self._interrupt_sent = True
            if self._recorder is not None and self._recorder.in_query and self.session.cancel():
                return True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._ident),
                                                       ctypes.py_object(KeyboardInterrupt))
            generation = self._generation
        timer = threading.Timer(INTERRUPT_GRACE, self._cancel_if_still, args=(generation,))
        timer.daemon = True
        timer.start()
        return True

    def _cancel_if_still(self, generation: int) -> None:
        with self._lock:
            if self._in_user and self._generation == generation:
                self.session.cancel()

    # -- writable mode ----------------------------------------------------------
    def enable_writes(self) -> Future[None]:
        """Open the transaction of writable mode (after the UI's confirmation). Audited."""
        return self.session.submit(self._enable, readonly=False)

    def _enable(self) -> None:
        with self.project.audit.act("repl_writable", scope=self.session.scope.as_dict(), database=self.alias,
                                    session=self.session.name):
            self.transaction.begin()

    def commit(self) -> Future[CommitResult]:
        """Commit the open transaction; audited with the inputs that made the changes."""
        return self.session.submit(self._commit, readonly=False)

    def _commit(self) -> CommitResult:
        inputs = list(self.transaction.inputs)
        writes = self.transaction.writes
        act = self._begin_end("repl_commit", inputs, writes)
        try:
            self.transaction.commit()
        except BaseException as exc:
            act.fail(exc, committed=False)
            raise ConsoleError(f"The commit failed and everything was rolled back: {exc}")
        act.end("ok", committed=True)
        return CommitResult(inputs, writes)

    def rollback(self) -> Future[CommitResult]:
        """Throw the open transaction away (and leave writable mode)."""
        return self.session.submit(self._rollback, readonly=False)

    def _rollback(self) -> CommitResult:
        inputs = list(self.transaction.inputs)
        writes = self.transaction.writes
        if self.transaction.is_open:
            # Throwing changes away is the safe direction: it happens even when the audit trail
            # cannot be written (the record's failure is raised afterwards).
            self.transaction.rollback()
            self.project.audit.record("repl_rollback", **self._ending(inputs, writes), committed=False)
        return CommitResult(inputs, writes)

    def _begin_end(self, action: str, inputs: list[WriteInput], writes: int) -> Act:
        """The act of ending writable mode; ``writes`` counts the statements that wrote."""
        return self.project.audit.begin(action, **self._ending(inputs, writes))

    def _ending(self, inputs: list[WriteInput], writes: int) -> dict[str, Any]:
        return dict(scope=self.session.scope.as_dict(), database=self.alias, session=self.session.name,
                    writes=writes, inputs=[{"number": i.number, "code": i.source, "writes": i.writes, "time": i.time}
                                           for i in inputs if i.writes] or [{"number": i.number, "code": i.source}
                                                                             for i in inputs],
                    **audit_details([w for i in inputs for w in i.foreign]),
                    **({"cross_tenant_check_failed": [i.number for i in inputs if i.unchecked]}
                       if any(i.unchecked for i in inputs) else {}))

    # -- completion -------------------------------------------------------------
    def complete(self, source: str, line: int, column: int) -> Future[list[Any]]:
        """Completions at (1-based line, 0-based column), computed on the session thread.

        Jedi looks at live objects (and may evaluate properties), so it runs
        where the ORM is allowed: inside the scope, read-only or in a savepoint
        that is rolled back.
        """
        from tenant_console.core.repl.completion import complete

        def work() -> list[Any]:
            if not self._ready:
                self._build()
            if not self.writable:
                return complete(source, line, column, self.namespace)
            try:
                with self.transaction.savepoint():
                    raise _Undo(complete(source, line, column, self.namespace))
            except _Undo as undo:
                return undo.value

        return self._submit(work)

    def close(self) -> None:
        """Close the session; an open transaction is rolled back first (and audited as such)."""
        if self.writable and not self.session.busy:
            with contextlib.suppress(Exception):
                self.rollback().result(5)
        self.session.close()  # closing the connection rolls back whatever is still open

    def _audit(self, act: Act, result: RunResult) -> None:
        """The input's outcome record (and any scope its code entered); a failure to write it is shown."""
        details: dict[str, Any] = {"queries": len(result.queries)}
        if result.writes:
            details["writes"] = result.writes
            details["committed"] = False  # writable mode: only a commit makes them stay
        details.update(audit_details(result.foreign_writes))
        if result.write_check_failed:
            details["cross_tenant_check_failed"] = result.write_check_failed[:500]
        if result.error:
            details["error"] = result.error.strip().splitlines()[-1][:500]
        if result.scope_changes:
            details["scope_changes"] = len(result.scope_changes)
        try:
            act.end(result.outcome, **details)
            self.project.audit.scope_changes(act, result.scope_changes, scope=self.session.scope.as_dict())
        except AuditUnavailable as exc:
            result.error = ((result.error + "\n") if result.error else "") + exc.message
            result.error_kind = result.error_kind or "exception"


_E = TypeVar("_E", bound=BaseException)


class _Undo(Exception):
    """Carries a result out of a savepoint so the savepoint is rolled back."""

    def __init__(self, value: Any) -> None:
        super().__init__("undo")
        self.value = value


def _classify(exc: BaseException, *, interrupted: bool, hint: str = WRITABLE_HINT) -> tuple[str, ErrorKind]:
    """The text shown for an error, and what kind of error it was."""
    if isinstance(exc, KeyboardInterrupt):
        return "KeyboardInterrupt: the input was interrupted.", "interrupted"
    breach = _find(exc, ReadOnlyBreach)
    if breach is not None:  # before anything else: something may have been written
        return breach.message, "breach"
    text = str(exc)
    if interrupted and any(m in text for m in _DB_CANCELLED):
        return "KeyboardInterrupt: the running query was cancelled on the database.", "interrupted"
    refused = _find(exc, ReadOnlyViolation)
    if refused is not None:
        return f"{refused.message}. This REPL is read-only; nothing was written. {hint}", "refused"
    if any(m in text for m in _DB_REFUSALS):
        return (f"the database refused it: {text.strip().splitlines()[0]}. This REPL is read-only; nothing was "
                f"written. {hint}"), "refused"
    if isinstance(exc, SyntaxError):
        return format_exception(exc), "syntax"
    if isinstance(exc, SystemExit):
        return ("SystemExit: exit() and quit() do not close the console; esc hides the REPL, ctrl+q quits "
                "the console."), "exception"
    if type(exc).__name__ == "ScopeError":
        return (format_exception(exc) + "\nNo tenant is active for this model: choose one in the console (t); "
                "the REPL follows it."), "exception"
    if isinstance(exc, ConsoleError) and not exc.__traceback__:
        return str(exc), "exception"
    return format_exception(exc), "exception"


def _find(exc: BaseException, kind: type[_E]) -> _E | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
