"""A runtime check that the console never uses the database on the event loop.

tests/test_architecture.py checks that the UI does not *import* ``django.db``; this checks that it
does not *call* it there either (a core function run straight from a handler instead of through the
session is just as bad, and no import shows it). Every way into a database connection
(``cursor``, ``chunked_cursor``, ``ensure_connection``) of every configured backend is wrapped, and
a use is recorded, with the stack that made it, when it happens

- on a thread whose asyncio event loop is running (Textual's: handlers, async workers), or
- on any other thread that is not a session thread, from code in ``tenant_console/ui`` (a plain
  ``asyncio.to_thread`` runs outside the session's scope, read-only layer and connection).

The wrapper runs before Django's own ``async_unsafe`` check, whose ``SynchronousOnlyOperation`` the
console would only turn into a notification: here the test fails. tests/ui/conftest.py turns it on
for the whole UI suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tenant_console

UI_DIR = str(Path(tenant_console.__file__).parent / "ui")
#: Session threads are named ``tenant-console-<session name>`` (core/session.py).
SESSION_THREAD_PREFIX = "tenant-console-"
ENTRY_POINTS = ("cursor", "chunked_cursor", "ensure_connection")


@dataclass
class LoopGuard:
    violations: list[str] = field(default_factory=list)

    def check(self, alias: str, entry: str) -> None:
        thread = threading.current_thread()
        if thread.name.startswith(SESSION_THREAD_PREFIX):
            return
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        stack = traceback.extract_stack()[:-2]
        from_ui = any(frame.filename.startswith(UI_DIR) for frame in stack)
        if not (on_loop or from_ui):
            return
        where = "on the event loop" if on_loop else f"on thread {thread.name!r}, not a session thread"
        ours = [f for f in stack if "tenant_console" in f.filename or "/tests/" in f.filename]
        self.violations.append(f"database {alias!r} used ({entry}) {where}:\n"
                               + "".join(traceback.format_list(ours[-8:])))

    def report(self) -> str:
        return "\n".join(self.violations)


_inside = threading.local()
#: The guards open now; the innermost records (a test of the guard runs inside the suite-wide one).
_active: list[LoopGuard] = []


def _wrap(original, entry: str):
    @functools.wraps(original)
    def checked(self, *args, **kwargs):
        if getattr(_inside, "depth", 0):  # cursor() calls ensure_connection(): one use, one record
            return original(self, *args, **kwargs)
        if _active:
            _active[-1].check(self.alias, entry)
        _inside.depth = 1
        try:
            return original(self, *args, **kwargs)
        finally:
            _inside.depth = 0

    return checked


@contextlib.contextmanager
def orm_off_the_event_loop() -> Iterator[LoopGuard]:
    """Record every database use on the event loop (or off the session from UI code) while inside."""
    from django.db import connections

    guard = LoopGuard()
    patched: list[tuple[type, str, object]] = []
    if not _active:
        classes = set()
        for alias in connections:
            with contextlib.suppress(Exception):  # a backend whose driver is not installed is never used
                classes.add(type(connections[alias]))
        for cls in classes:
            for entry in ENTRY_POINTS:
                patched.append((cls, entry, cls.__dict__.get(entry)))
                setattr(cls, entry, _wrap(getattr(cls, entry), entry))
    _active.append(guard)
    try:
        yield guard
    finally:
        _active.remove(guard)
        for cls, entry, own in reversed(patched):
            if own is None:
                delattr(cls, entry)
            else:
                setattr(cls, entry, own)
