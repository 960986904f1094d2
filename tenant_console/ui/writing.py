"""The console's one way to write: an audited act run on a writable session of its own.

The console is read-only; a delete or an import switches it to writable for that act only. Both
go through :func:`audited_write`, so the order that keeps the audit trail honest lives in one place:
the act is begun by the caller before anything is written (no record, no write); the work runs on
a new writable session, off the event loop; a failure is recorded as the act's failure; the console
is read-only again and the session closed whatever happens; only then is the act ended with what
was written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tenant_console.core.errors import ConsoleError

if TYPE_CHECKING:
    from tenant_console.core.session import Session
    from tenant_console.ui.app import TenantConsoleApp


@contextlib.contextmanager
def writable(console: TenantConsoleApp, activity: str) -> Iterator[None]:
    """The console writable, the banner saying ``activity``, for the block only (read-only again whatever
    happens). :func:`audited_write` and the ``:move`` screen (whose mover has sessions of its own) use it."""
    console.readonly = False
    console.activity = activity
    try:
        yield
    finally:
        console.readonly = True
        console.activity = ""


async def audited_write(console: TenantConsoleApp, act: Any, work: Callable[[], Any], *, name: str, alias: str,
                        activity: str, failed: Mapping[str, Any], end: Callable[[Any, Any], None],
                        tenant: Mapping[str, Any] | None = None, scoped: bool = True,
                        on_session: Callable[[Session | None], None] | None = None) -> Any:
    """Run ``work()`` on a new writable session ``name`` on ``alias`` and return its result.

    ``act`` is the audit act the caller has begun. While ``work`` runs the console shows ``activity``
    and is not read-only; ``tenant`` (if given) is activated on the session first, and ``scoped``
    is as for :meth:`Session.submit`. If it raises, ``act.fail(exc, **failed)`` is recorded and the
    exception re-raised, after the console is read-only again and the session closed. If it
    returns, ``end(act, result)`` records the outcome (on a thread; an audit trail that cannot be
    written is notified, the result still returned). ``on_session`` is told the session when it
    opens and ``None`` when it is done with (a screen that offers a cancel keeps it meanwhile).
    """
    assert console.project is not None
    session = console.project.session(name, alias=alias, readonly=False)
    if on_session is not None:
        on_session(session)
    try:
        with writable(console, activity):
            try:
                if tenant is not None:
                    await asyncio.to_thread(session.activate, tenant)
                result = await asyncio.wrap_future(session.submit(work, readonly=False, scoped=scoped))
            except Exception as exc:
                with contextlib.suppress(ConsoleError):
                    await asyncio.to_thread(act.fail, exc, **failed)
                raise
    finally:
        if on_session is not None:
            on_session(None)
        await asyncio.to_thread(session.close)
    try:
        await asyncio.to_thread(end, act, result)
    except ConsoleError as exc:
        console.notify(exc.message, title="Audit trail", severity="error")
    return result
