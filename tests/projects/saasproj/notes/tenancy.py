"""A home-grown tenant mechanism (no django-scopes), as many SaaS projects have one.

The current workspace lives in a ``ContextVar``; :class:`WorkspaceManager`, the
default manager of the scoped models, filters by it. Outside any workspace it
returns nothing (fail closed); inside :func:`unscoped` it returns everything.
These are the two callables that ``TENANT_CONSOLE`` plugs in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.db import models

ALL = object()
_current: ContextVar[Any] = ContextVar("saasproj_current_workspace", default=None)


@contextlib.contextmanager
def activate(workspace: Any) -> Iterator[None]:
    """Make ``workspace`` the current one (the ``activate`` callable of the backend)."""
    token = _current.set(workspace.pk)
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def unscoped() -> Iterator[None]:
    """Let the workspace managers return every workspace's rows (the ``disable`` callable)."""
    token = _current.set(ALL)
    try:
        yield
    finally:
        _current.reset(token)


def current_workspace_id() -> Any:
    value = _current.get()
    return None if value is ALL else value


class WorkspaceManager(models.Manager):
    """Rows of the current workspace only; ``path`` leads from the model to its workspace.

    ``path`` is a class attribute (subclass per model) because Django builds
    related managers by subclassing the default manager and calling
    ``__init__()`` without arguments.
    """

    path = "workspace"

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        value = _current.get()
        if value is ALL:
            return qs
        if value is None:
            return qs.none()
        return qs.filter(**{self.path: value})
