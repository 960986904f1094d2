"""The session engine: one thread and one connection per session, results through Futures,
cancellation on the database side, interruption of Python code, routing, closing."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest
from conference.models import Event, Organiser, Submission, Track
from django.db import connection, connections

from tenant_console.core.errors import Cancelled, ConsoleError, ReadOnlyViolation, SessionClosed

RUNAWAY_CTE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def _wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def democon(session, event_pks):
    session.activate({"event": event_pks["democon"]})
    return session


def test_results_and_exceptions_come_back_through_futures(democon):
    fut = democon.submit(lambda: Submission.objects.count())
    assert isinstance(fut, Future)
    assert fut.result(10) == 40

    def fails() -> None:
        Submission.objects.get(code="does-not-exist")

    fut = democon.submit(fails)
    with pytest.raises(Submission.DoesNotExist):
        fut.result(10)
    assert isinstance(fut.exception(), Submission.DoesNotExist)
    assert democon.run(lambda: Track.objects.count()) > 0


def test_calls_run_on_the_session_thread_in_order(democon):
    seen: list[tuple[str, int]] = []
    futures = [democon.submit(lambda i=i: seen.append((threading.current_thread().name, i))) for i in range(20)]
    for f in futures:
        f.result(10)
    assert [i for _, i in seen] == list(range(20))
    assert {name for name, _ in seen} == {f"tenant-console-{democon.name}"}


def test_arguments_and_keyword_arguments_are_passed(democon):
    def pick(model: type, *, slug: str) -> str:
        return model.objects.get(slug=slug).name

    assert democon.run(pick, Event, slug="democon") == democon.run(lambda: Event.objects.get(slug="democon").name)


async def test_await_call_from_an_asyncio_loop(democon):
    loop_thread = threading.current_thread()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        count, thread = await democon.call(lambda: (Submission.objects.count(), threading.current_thread()))
        # A slow call does not block the loop.
        await democon.call(time.sleep, 0.2)
    finally:
        task.cancel()
    assert count == 40
    assert thread is not loop_thread
    assert ticks >= 5
    with pytest.raises(ZeroDivisionError):
        await democon.call(lambda: 1 / 0)


async def test_several_sessions_at_once_from_asyncio(project, db_alias, event_pks):
    first, second = project.session("a", alias=db_alias), project.session("b", alias=db_alias)
    try:
        await asyncio.gather(
            asyncio.to_thread(first.activate, {"event": event_pks["democon"]}),
            asyncio.to_thread(second.activate, {"event": event_pks["pycon-nordic"]}),
        )
        codes = await asyncio.gather(
            first.call(lambda: set(Submission.objects.values_list("event__slug", flat=True))),
            second.call(lambda: set(Submission.objects.values_list("event__slug", flat=True))),
        )
        assert codes == [{"democon"}, {"pycon-nordic"}]
    finally:
        first.close()
        second.close()


def test_sessions_on_both_databases_at_once(project, event_pks):
    from django.conf import settings

    aliases = [a for a in ("default", "postgres") if a in settings.DATABASES]
    sessions = [project.session("multi", alias=a) for a in aliases]
    try:
        for s in sessions:
            s.activate({"event": event_pks["democon"]})
        futures = [s.submit(lambda: (connections[Submission.objects.db].vendor, Submission.objects.count()))
                   for s in sessions]
        results = [f.result(10) for f in futures]
        assert results == [(connections[a].vendor, 40) for a in aliases]
    finally:
        for s in sessions:
            s.close()


# -- cancel and interrupt ------------------------------------------------------------------------
def _sleep_query(alias: str) -> Any:
    with connections[alias].cursor() as cur:
        if connections[alias].vendor == "postgresql":
            cur.execute("SELECT pg_sleep(30)")
        else:
            cur.execute(RUNAWAY_CTE)
        return cur.fetchall()


def test_cancel_stops_a_long_query_and_the_session_survives(democon, db_alias):
    """PostgreSQL: the driver's cancel() on pg_sleep(30). SQLite: interrupt() on a runaway CTE."""
    assert democon.cancel() is False  # nothing is running
    started = time.monotonic()
    fut = democon.submit(_sleep_query, db_alias)
    _wait_until(lambda: democon.busy)
    time.sleep(0.5)
    assert democon.cancel() is True
    with pytest.raises(Cancelled, match="cancelled"):
        fut.result(10)
    assert time.monotonic() - started < 5
    assert not democon.busy
    assert democon.run(lambda: Submission.objects.count()) == 40


def test_interrupt_stops_a_long_query(democon, db_alias):
    fut = democon.submit(_sleep_query, db_alias)
    _wait_until(lambda: democon.busy)
    time.sleep(0.3)
    assert democon.interrupt() is True
    with pytest.raises(Cancelled):
        fut.result(10)
    assert democon.run(lambda: Submission.objects.count()) == 40


def test_interrupt_stops_a_python_loop_and_the_session_survives(democon):
    progress = []

    def spin() -> None:
        n = 0
        while True:
            n += 1
            if n % 100_000 == 0:
                progress.append(n)

    fut = democon.submit(spin)
    _wait_until(lambda: len(progress) > 2)
    assert democon.interrupt() is True
    with pytest.raises(Cancelled, match="Interrupted"):
        fut.result(10)
    assert democon.run(lambda: Submission.objects.count()) == 40
    # The read-only transaction of the interrupted call was closed properly.
    assert democon.run(lambda: connection.in_atomic_block, readonly=False) is False


def test_user_code_catching_exception_cannot_swallow_the_interrupt(democon):
    def stubborn() -> None:
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # KeyboardInterrupt is not an Exception
                pass

    fut = democon.submit(stubborn)
    _wait_until(lambda: democon.busy)
    time.sleep(0.1)
    democon.interrupt()
    with pytest.raises(Cancelled):
        fut.result(10)


def test_interrupt_never_lands_outside_a_call(democon):
    """Interrupts fired around quick calls may miss, but never break a later call or the loop."""
    assert democon.interrupt() is False  # idle
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            democon.interrupt()
            time.sleep(0.0005)

    t = threading.Thread(target=hammer)
    t.start()
    outcomes = {"ok": 0, "cancelled": 0}
    try:
        for _ in range(150):
            try:
                democon.run(lambda: sum(range(2000)), readonly=False, scoped=False)
                outcomes["ok"] += 1
            except Cancelled:
                outcomes["cancelled"] += 1
    finally:
        stop.set()
        t.join()
    assert sum(outcomes.values()) == 150
    # After the storm: several calls in a row all succeed, the thread is alive.
    for _ in range(20):
        assert democon.run(lambda: Submission.objects.count()) == 40
    assert democon._thread.is_alive()


def test_a_cancelled_future_is_skipped(democon):
    gate = threading.Event()
    first = democon.submit(gate.wait, 5, readonly=False, scoped=False)
    ran = []
    second = democon.submit(lambda: ran.append(1))
    assert second.cancel()
    gate.set()
    assert first.result(5) is True
    assert democon.run(lambda: 7) == 7
    assert ran == []


def test_cancel_call_stops_only_the_call_it_names(democon, db_alias):
    """A stale search: cancel_call drops it while queued, cancels its statement while it runs, and
    touches nothing else (a call queued behind it runs; naming a call that is not running does not
    cancel the one that is)."""
    slow = democon.submit(_sleep_query, db_alias)
    queued = democon.submit(lambda: Submission.objects.count())
    dropped = democon.submit(lambda: Submission.objects.count())
    _wait_until(lambda: democon.busy)
    time.sleep(0.3)
    assert democon.cancel_call(dropped) is True and dropped.cancelled()
    assert democon.cancel_call(queued) is True  # still queued behind the slow one: dropped too
    other = democon.submit(lambda: Submission.objects.count())
    finished: Future[int] = Future()
    finished.set_running_or_notify_cancel()
    finished.set_result(1)
    assert democon.cancel_call(finished) is False  # not the running call: the slow one goes on
    time.sleep(0.2)
    assert not slow.done()
    assert democon.cancel_call(slow) is True
    with pytest.raises(Cancelled):
        slow.result(10)
    assert other.result(10) == 40


async def test_an_abandoned_call_is_cancelled_on_the_database(democon, db_alias):
    """``call(..., cancel_if_abandoned=True)``: when the awaiting task is cancelled (a keystroke made the
    search stale), the statement stops and the next call runs at once."""
    task = asyncio.ensure_future(democon.call(_sleep_query, db_alias, cancel_if_abandoned=True))
    await asyncio.to_thread(_wait_until, lambda: democon.busy)
    await asyncio.sleep(0.3)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await democon.call(lambda: Submission.objects.count()) == 40
    assert time.monotonic() - started < 5


# -- close ------------------------------------------------------------------------------------------
def _backend_id(alias: str) -> Any:
    conn = connections[alias]
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            return cur.fetchone()[0]
    return id(conn.connection)


def test_close_closes_the_connection_and_later_submits_raise(project, db_alias):
    session = project.session("closing", alias=db_alias)
    backend = session.run(_backend_id, db_alias)
    wrapper = session._connection
    assert wrapper.connection is not None
    session.close()
    assert session.closed
    assert not session._thread.is_alive()
    assert wrapper.connection is None
    if wrapper.vendor == "postgresql":
        from tests.core.test_readonly import _pg_connect

        other = _pg_connect(db_alias)
        with other.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
            assert cur.fetchone()[0] == 0
        other.close()
    with pytest.raises(SessionClosed, match="closed"):
        session.submit(lambda: 1)
    with pytest.raises(SessionClosed):
        session.run(lambda: 1)
    session.close()  # idempotent


def test_close_finishes_queued_work_first(project, db_alias):
    session = project.session("queued", alias=db_alias)
    futures = [session.submit(lambda i=i: (time.sleep(0.01), i)[1], readonly=False, scoped=False) for i in range(5)]
    session.close()
    assert [f.result(1) for f in futures] == list(range(5))


def test_close_from_inside_a_call_does_not_deadlock(project, db_alias):
    session = project.session("self-close", alias=db_alias)
    session.run(session.close, readonly=False, scoped=False)
    session._thread.join(5)
    assert not session._thread.is_alive()
    with pytest.raises(SessionClosed):
        session.submit(lambda: 1)


def test_context_manager_closes(project, db_alias):
    with project.session("with", alias=db_alias) as session:
        assert session.run(lambda: 1, readonly=False, scoped=False) == 1
    assert session.closed


# -- routing ------------------------------------------------------------------------------------------
def test_orm_calls_without_using_go_to_the_session_database(democon, db_alias):
    """User code in a session never says .using(); it must still hit the session's database."""

    def where() -> tuple[str, str, str]:
        event = Event.objects.get(slug="democon")
        sub = Submission.objects.select_related("track").first()
        return event._state.db, sub._state.db, connections[Submission.objects.all().db].vendor

    assert democon.run(where) == (db_alias, db_alias, connections[db_alias].vendor)


def test_writes_without_using_go_to_the_session_database(project, target_alias):
    """A writable session on the (empty) target database: the row lands there and nowhere else."""
    session = project.session("writer", alias=target_alias, readonly=False)
    try:
        session.run(lambda: Organiser.objects.create(name="Routed", slug="routed-here"), scoped=False)
        assert session.run(lambda: list(Organiser.objects.values_list("slug", flat=True)), scoped=False) == [
            "routed-here"
        ]
        # A call may still ask for read-only explicitly: then nothing is written.
        with pytest.raises(ReadOnlyViolation, match="INSERT refused"):
            session.run(lambda: Organiser.objects.create(name="No", slug="no"), scoped=False, readonly=True)
    finally:
        session.close()
    assert Organiser.objects.using(target_alias).filter(slug="routed-here").exists()
    assert not Organiser.objects.using(target_alias).filter(slug="no").exists()
    assert not Organiser.objects.using("default").filter(slug="routed-here").exists()
    connections[target_alias].close()
    connections["default"].close()


def test_routing_is_per_thread(project, session):
    """Outside the session thread nothing is routed: the caller's own ORM use keeps Django's default."""
    session.run(lambda: Event.objects.count())
    assert Event.objects.all().db == "default"


def test_other_databases_are_refused_in_a_read_only_session(democon, db_alias):
    """The read-only layer covers the session's connection; every other alias is closed off,
    including django.db.connection (always 'default') in a session on another database."""
    from django.conf import settings

    others = [a for a in settings.DATABASES if a != db_alias]
    assert others
    for other in others:
        with pytest.raises(ReadOnlyViolation, match=f"database '{other}' is outside its read-only layer"):
            democon.run(lambda o=other: Event.objects.using(o).count())
        with pytest.raises(ReadOnlyViolation, match="DELETE refused"):
            democon.run(lambda o=other: connections[o].cursor().execute("DELETE FROM conference_organiser"))
    if db_alias != "default":
        with pytest.raises(ReadOnlyViolation, match=r"django\.db\.connection is always the 'default' alias"):
            democon.run(lambda: connection.cursor().execute("SELECT 1"))
        with pytest.raises(ReadOnlyViolation, match="DELETE refused"):  # the connection's own lockdown guard
            democon.run(lambda: connection.cursor().execute("DELETE FROM conference_organiser"))
    assert democon.run(lambda: Submission.objects.count()) == 40
    # Outside the call the other connections of the session thread carry no leftover wrapper: only
    # the lockdown guard every connection gets while a session is open.
    from tenant_console.core.lockdown import LockdownGuard

    kinds = democon.run(lambda: [[type(w) for w in connections[o].execute_wrappers] for o in others], readonly=False)
    assert all(k in ([], [LockdownGuard]) for k in kinds), kinds


def test_a_call_may_call_the_session_again_without_deadlock(democon):
    """Code running in the session (the REPL, a helper) may use session.run itself."""

    def outer() -> tuple[int, int]:
        inner = democon.run(lambda: Submission.objects.count())
        return inner, democon.submit(lambda: Track.objects.count()).result(1)

    inner, tracks = democon.run(outer, timeout=10)
    assert inner == 40 and tracks > 0
    # ...but never as a way out of the read-only layer.
    with pytest.raises(ConsoleError, match="read-only call cannot run a writable one"):
        democon.run(lambda: democon.run(lambda: Organiser.objects.create(name="x", slug="x"), readonly=False),
                    timeout=10)
    with pytest.raises(ReadOnlyViolation):
        democon.run(lambda: democon.run(lambda: Organiser.objects.create(name="x", slug="x")), timeout=10)


def test_calls_and_interrupts_work_under_a_settrace_tracer(project, db_alias):
    """coverage, pdb and debugpy install sys.settrace tracers; the first call used to deadlock
    (clearing a pending interrupt with PyThreadState_SetAsyncExc(ident, NULL))."""
    import time

    from tenant_console.core.errors import Cancelled
    from tenant_console.core.repl.runner import ReplRunner

    calls: list[str] = []

    def tracer(frame, event, arg):
        calls.append(event)
        return tracer

    threading.settrace(tracer)  # every thread started from now on, as coverage does
    try:
        s = project.session("traced", alias=db_alias)
        runner = ReplRunner(project, project.session("traced-repl", alias=db_alias))
    finally:
        threading.settrace(None)  # type: ignore[arg-type]
    try:
        for _ in range(3):
            assert s.run(lambda: Event.objects.count(), timeout=20) > 0
        def spin() -> None:
            while True:
                time.sleep(0.01)

        fut = s.submit(spin)
        while not s.busy:
            time.sleep(0.01)
        time.sleep(0.05)
        assert s.interrupt()
        with pytest.raises(Cancelled):
            fut.result(20)
        assert s.run(lambda: 1 + 1, timeout=20) == 2
        assert runner.run("1 + 1", timeout=20).ok
        res = runner.submit("import time\nwhile True:\n    time.sleep(0.01)")
        while not runner.in_user_code:
            time.sleep(0.01)
        assert runner.interrupt()
        assert res.result(20).outcome == "interrupted"
        assert runner.run("2 + 2", timeout=20).ok
    finally:
        s.close()
        runner.close()
    assert calls  # the tracer really ran on the session threads
