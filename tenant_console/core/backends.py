"""How a tenant is activated: django-scopes, or a project's own mechanism.

A backend answers three questions for the dimensions it owns: which models are
scoped and through which field path, how to activate a selection of tenants
(a context manager), and how to deliberately turn scoping off.

Projects that do not use django-scopes (a thread-local or contextvar "current
tenant" read by a custom manager) plug in with two dotted paths in
``TENANT_CONSOLE["DIMENSIONS"][name]``: ``activate`` (``callable(tenant) ->
context manager``) and, optionally, ``disable`` (``callable() -> context manager``),
plus ``scoped_models`` mapping ``"app.Model"`` to the field path of the tenant.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ContextManager

from django.apps import apps
from django.db.models import Manager, Model
from django.utils.module_loading import import_string

from tenant_console.core.config import DimensionConfig
from tenant_console.core.errors import ConsoleError


class TenantBackend:
    """Interface of a tenant mechanism; see the module docstring."""

    name = "abstract"

    def scoped_models(self) -> dict[type[Model], dict[str, str]]:
        """Map each scoped model to ``{dimension: field path to the tenant}``."""
        raise NotImplementedError

    def activate(self, tenants: Mapping[str, Model]) -> ContextManager[None]:
        """A context manager in which the given tenants (dimension -> instance) are active."""
        raise NotImplementedError

    def disabled(self) -> ContextManager[None]:
        """A context manager in which scoping is deliberately turned off."""
        raise NotImplementedError


def scoped_manager_paths(manager: Manager) -> dict[str, str] | None:
    """Return ``{dimension: path}`` if ``manager`` is a django-scopes ``ScopedManager``.

    ``ScopedManager`` keeps its dimensions and paths only in the closure of the
    class it builds, so they are read from there. The dimensions are confirmed
    through the public behaviour: outside any scope the manager returns a
    ``DisabledQuerySet`` whose ``missing_scopes`` names them.
    """
    get_queryset = getattr(type(manager), "get_queryset", None)
    if get_queryset is None or not hasattr(manager, "with_scopes_disabled"):
        return None
    try:
        nonlocals = inspect.getclosurevars(get_queryset).nonlocals
    except (TypeError, ValueError):
        return None
    scopes = nonlocals.get("scopes")
    required = nonlocals.get("required_scopes")
    if not isinstance(scopes, dict) or not isinstance(required, (set, frozenset)):
        return None
    try:
        probe = manager.with_scope()  # an empty, enabled scope: every dimension is missing
        missing = set(getattr(probe.get_queryset(), "missing_scopes", None) or ())
    except Exception:
        missing = set(required)
    if missing and missing != set(scopes):
        return None
    return {str(dim): str(path) for dim, path in scopes.items()}


class DjangoScopesBackend(TenantBackend):
    """django-scopes 2.x: ``ScopedManager`` discovery, ``scope()``, ``scopes_disabled()``."""

    name = "django-scopes"

    def scoped_models(self) -> dict[type[Model], dict[str, str]]:
        found: dict[type[Model], dict[str, str]] = {}
        for model in apps.get_models():
            manager = model._meta.default_manager
            if manager is None:
                continue
            paths = scoped_manager_paths(manager)
            if paths:
                found[model] = paths
        return found

    def activate(self, tenants: Mapping[str, Model]) -> ContextManager[None]:
        from django_scopes import scope

        return scope(**dict(tenants))

    def disabled(self) -> ContextManager[None]:
        from django_scopes import scopes_disabled

        return scopes_disabled()


def _import(path: str, what: str) -> Callable[..., Any]:
    try:
        obj = import_string(path)
    except ImportError as exc:
        raise ConsoleError(f"The TENANT_CONSOLE setting names {what} {path!r}, which cannot be imported: {exc}.")
    if not callable(obj):
        raise ConsoleError(f"The TENANT_CONSOLE setting names {what} {path!r}, which is not callable.")
    return obj


class CallableBackend(TenantBackend):
    """A project's own tenant mechanism, configured for one dimension."""

    name = "custom"

    def __init__(self, config: DimensionConfig) -> None:
        assert config.activate
        self.dimension = config.name
        self._activate = _import(config.activate, "the activate callable")
        self._disable = _import(config.disable, "the disable callable") if config.disable else None
        self._models = config.scoped_models

    def scoped_models(self) -> dict[type[Model], dict[str, str]]:
        found: dict[type[Model], dict[str, str]] = {}
        for label, path in self._models.items():
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                raise ConsoleError(
                    f"The TENANT_CONSOLE setting lists {label!r} under scoped_models of dimension "
                    f"{self.dimension!r}, but there is no such model."
                )
            found[model] = {self.dimension: path}
        return found

    def activate(self, tenants: Mapping[str, Model]) -> ContextManager[None]:
        tenant = tenants.get(self.dimension)
        if tenant is None:
            return contextlib.nullcontext()
        return self._activate(tenant)

    def disabled(self) -> ContextManager[None]:
        if self._disable is not None:
            return self._disable()
        return contextlib.nullcontext()


@contextlib.contextmanager
def activate_all(
    backends: list[TenantBackend], tenants: Mapping[str, Model], owners: Mapping[str, TenantBackend]
) -> Iterator[None]:
    """Activate each backend with the tenants of the dimensions it owns."""
    with contextlib.ExitStack() as stack:
        for backend in backends:
            mine = {dim: t for dim, t in tenants.items() if owners.get(dim) is backend}
            if mine:
                stack.enter_context(backend.activate(mine))
        yield


@contextlib.contextmanager
def disable_all(backends: list[TenantBackend]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for backend in backends:
            stack.enter_context(backend.disabled())
        yield
