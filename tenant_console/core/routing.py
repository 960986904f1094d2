"""Route every ORM call made on a session's thread to the session's database alias.

``--database replica`` must hold for user code too (``Submission.objects.count()``
in the REPL), not only for the console's own queries, so a router placed first in
Django's router chain answers with the alias set for the current context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

_current_alias: ContextVar[str | None] = ContextVar("tenant_console_alias", default=None)


class SessionRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return _current_alias.get()

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return _current_alias.get()

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True if _current_alias.get() else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return None


@contextlib.contextmanager
def routed_to(alias: str) -> Iterator[None]:
    token = _current_alias.set(alias)
    try:
        yield
    finally:
        _current_alias.reset(token)


def install() -> None:
    """Put the session router first in Django's router chain (idempotent)."""
    from django.db import router

    routers = router.routers
    if not any(isinstance(r, SessionRouter) for r in routers):
        routers.insert(0, SessionRouter())
