"""Noticing scopes entered by code: ``with scopes_disabled():`` or ``with scope(event=...)`` in an input.

django-scopes keeps its state in one ``ContextVar`` (``django_scopes.state.state``)
that ``scope()``, ``scopes_disabled()`` and ``get_scope()`` look up as a module
global each time. :func:`watching` puts a thin proxy in its place (once per
process) that notes every ``set`` made while a watch is active in the current
context, so an input that disables scopes for a moment is audited even though
the state is restored before it ends. The console's own scope handling runs
outside the watch.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Any


class _Watch:
    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []
        self.known: list[Any] = []  # states seen before: setting one again is a restore, not a change

    def seen(self, value: Any) -> bool:
        if any(v is value for v in self.known):
            return True
        self.known.append(value)
        return False


_watch: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar("tc_scope_watch", default=None)
_install_lock = threading.Lock()


class _WatchedState:
    """Stands in for django-scopes' ``ContextVar``; forwards everything, notes ``set`` during a watch."""

    def __init__(self, var: contextvars.ContextVar[Any]) -> None:
        self.var = var

    def get(self, *default: Any) -> Any:
        value = self.var.get(*default)
        watch = _watch.get()
        if watch is not None:
            watch.seen(value)
        return value

    def set(self, value: Any) -> contextvars.Token[Any]:
        watch = _watch.get()
        if watch is not None and isinstance(value, dict) and value and not watch.seen(value):
            watch.changes.append(describe(value))
        return self.var.set(value)

    def reset(self, token: contextvars.Token[Any]) -> None:
        self.var.reset(token)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.var, name)


def install() -> bool:
    """Put the proxy in place (idempotent). False when django-scopes is not installed."""
    try:
        from django_scopes import state as module
    except ImportError:
        return False
    with _install_lock:
        current = getattr(module, "state", None)
        if isinstance(current, _WatchedState):
            return True
        if not isinstance(current, contextvars.ContextVar):  # a django-scopes laid out differently
            return False
        module.state = _WatchedState(current)  # type: ignore[assignment]
    return True


@contextlib.contextmanager
def watching() -> Iterator[list[dict[str, Any]]]:
    """Collect the scopes code enters inside the block (described, never queried)."""
    watch = _Watch()
    if not install():
        yield watch.changes  # nothing to watch: scopes entered by code go unnoticed (and unrecorded)
        return
    from django_scopes import state as module

    watch.seen(module.state.var.get(None))  # type: ignore[attr-defined]
    token = _watch.set(watch)
    try:
        yield watch.changes
    finally:
        _watch.reset(token)


def describe(state: dict[str, Any]) -> dict[str, Any]:
    """A scope state as plain data: ``{"disabled": True}`` or ``{"scope": {"event": "3"}}``."""
    if not state.get("_enabled", True):
        return {"disabled": True}
    return {"scope": {str(k): _value(v) for k, v in state.items() if k != "_enabled"}}


def _value(value: Any) -> Any:
    pk = getattr(value, "pk", None)
    if pk is not None and hasattr(value, "_meta"):
        return f"{value._meta.label}:{pk}"
    if hasattr(value, "model") and hasattr(value, "query"):  # a QuerySet: never evaluated here
        return f"<QuerySet of {value.model._meta.label}>"
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_value(v) for v in list(value)[:20]]
    return str(value)[:200]
