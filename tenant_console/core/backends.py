"""How a tenant is activated: django-scopes, or a project's own mechanism.

A backend answers three questions for the dimensions it owns: which models are
scoped and through which field path, how to activate a selection of tenants
(a context manager), and how to deliberately turn scoping off.

django-scopes needs no configuration. A project that isolates tenants some
other way (a thread-local or contextvar "current tenant" read by a custom
default manager, usually with an unconstrained manager such as ``all_objects``
beside it) plugs in with one entry in ``TENANT_CONSOLE["DIMENSIONS"]``::

    "workspace": {
        "model": "notes.Workspace",                 # the tenant model (required)
        "activate": "notes.tenancy.activate",       # required: callable(tenant) -> context manager
        "disable": "notes.tenancy.unscoped",        # optional: callable() -> context manager
        "scoped_models": {                          # required: model -> field path to the tenant
            "notes.Note": "workspace",
            "notes.Comment": "note__workspace",
        },
    }

The contract, which is all the console relies on:

* ``activate(tenant)`` receives one instance of ``model`` and returns a context
  manager; inside it the project's default managers of ``scoped_models`` must
  return only that tenant's rows. It is entered on the session's own thread
  around every call (so a ``ContextVar`` or ``threading.local`` both work) and
  must restore the previous state on exit, also when the call raised.
* ``disable()`` returns a context manager in which the default managers return
  every tenant's rows; it is entered only when the user deliberately disables
  scoping (audited). Without it, "scopes disabled" leaves the mechanism as it is
  when no tenant is active.
* ``scoped_models`` paths are ordinary ORM lookups ending at ``model``; the
  console uses them for explicit isolation filters (exports, integrity checks,
  relation walks) where it bypasses the default manager on purpose.

A generator function decorated with ``contextlib.contextmanager`` is the usual
way to write both callables.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager as ContextManager
from typing import Any

from django.apps import apps
from django.db.models import Manager, Model
from django.utils.module_loading import import_string

from tenant_console.core.config import DimensionConfig
from tenant_console.core.errors import ConsoleError, did_you_mean


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


def _probe_missing_scopes(manager: Manager) -> set[str] | None:
    """The dimensions ``manager`` reports missing under an enabled, empty scope.

    None when its queryset has no ``missing_scopes`` (not a ScopedManager);
    an exception from the manager itself propagates to the caller.

    Works on django-scopes 2.0.x (the scope lives only in a context variable)
    and 2.1.x (which also has ``with_scope()`` on the manager): the probe runs in
    a copy of the current context with the state set to "enabled, nothing
    active", so whatever scope the caller has active is neither seen nor changed.
    """
    import contextvars

    try:
        from django_scopes import state as scopes_state
    except ImportError:
        return None

    def probe() -> set[str] | None:
        scopes_state.state.set({"_enabled": True})
        qs = manager.get_queryset()
        missing = getattr(qs, "missing_scopes", None)
        return {str(m) for m in missing} if missing is not None else None

    return contextvars.copy_context().run(probe)


def scoped_manager_paths(manager: Manager) -> dict[str, str] | None:
    """Return ``{dimension: path}`` if ``manager`` is a django-scopes ``ScopedManager`` (2.0.x or 2.1.x).

    ``ScopedManager`` keeps its dimensions and paths only in the closure of the
    class it builds (in both series), so they are read from there. The
    dimensions are confirmed through the public behaviour: under an enabled
    scope with no tenant the manager returns a ``DisabledQuerySet`` whose
    ``missing_scopes`` names exactly them. 2.0.x has no ``with_scope()`` or
    ``with_scopes_disabled()``, so neither is required.
    """
    get_queryset = getattr(type(manager), "get_queryset", None)
    if get_queryset is None:
        return None
    try:
        nonlocals = inspect.getclosurevars(get_queryset).nonlocals
    except (TypeError, ValueError):
        return None
    scopes = nonlocals.get("scopes")
    required = nonlocals.get("required_scopes")
    if not isinstance(scopes, dict) or not isinstance(required, (set, frozenset)) or not scopes:
        return None
    try:
        missing = _probe_missing_scopes(manager)
    except Exception:  # a custom _manager_class that cannot build a queryset here: trust the closure
        missing = set(required)
    if missing is None or missing != set(scopes):
        return None
    return {str(dim): str(path) for dim, path in scopes.items()}


def django_scopes_version() -> str:
    """The installed django-scopes version (``2.0.0``), or ``""`` when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("django-scopes")
    except PackageNotFoundError:
        return ""


class DjangoScopesBackend(TenantBackend):
    """django-scopes 2.0.x and 2.1.x: ``ScopedManager`` discovery, ``scope()``, ``scopes_disabled()``.

    Only what both series have is used: the ``scope``/``scopes_disabled`` context
    managers (a context variable) and the manager's closure; never the 2.1-only
    ``with_scope()``/``with_scopes_disabled()`` of the manager.
    """

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

    def secondary_scoped_managers(self) -> dict[type[Model], list[tuple[str, dict[str, str]]]]:
        """Models whose default manager is NOT scoped but that have a ``ScopedManager`` besides.

        ``profiles = ScopedManager(organizer="organizer")`` beside a plain
        ``objects``: the rows still belong to tenants (the project reads them
        through ``profiles``), so discovery scopes the model by that manager's
        paths and says that the default manager is not scoped.
        """
        found: dict[type[Model], list[tuple[str, dict[str, str]]]] = {}
        for model in apps.get_models():
            default = model._meta.default_manager
            if default is not None and scoped_manager_paths(default):
                continue
            managers = []
            for manager in model._meta.managers:
                if manager is default:
                    continue
                paths = scoped_manager_paths(manager)
                if paths:
                    managers.append((manager.name, paths))
            if managers:
                found[model] = managers
        return found

    def activate(self, tenants: Mapping[str, Model]) -> ContextManager[None]:
        from django_scopes import scope

        return scope(**dict(tenants))

    def disabled(self) -> ContextManager[None]:
        from django_scopes import scopes_disabled

        return scopes_disabled()


def _import(path: str, what: str, where: str, params: int) -> Callable[..., Any]:
    """Import ``path`` and check that it can be called with ``params`` positional arguments."""
    try:
        obj = import_string(path)
    except ImportError as exc:
        raise ConsoleError(f"{where} names {what} {path!r}, which cannot be imported: {exc}.")
    if not callable(obj):
        raise ConsoleError(f"{where} names {what} {path!r}, which is not callable.")
    try:
        inspect.signature(obj).bind(*([None] * params))
    except TypeError:
        shape = "one argument (the tenant)" if params == 1 else "no arguments"
        raise ConsoleError(f"{where} names {what} {path!r}, which cannot be called with {shape}; "
                           "see the custom backend contract in tenant_console.core.backends.")
    except ValueError:  # no signature (some builtins): trust it
        pass
    return obj


def _as_context(value: Any, path: str, what: str) -> ContextManager[None]:
    if not (hasattr(value, "__enter__") and hasattr(value, "__exit__")):
        raise ConsoleError(
            f"The {what} {path!r} returned {type(value).__name__}, not a context manager; decorate it with "
            "contextlib.contextmanager (or return an object with __enter__ and __exit__)."
        )
    return value  # type: ignore[no-any-return]


class CallableBackend(TenantBackend):
    """A project's own tenant mechanism, configured for one dimension (see the module docstring)."""

    name = "custom"

    def __init__(self, config: DimensionConfig) -> None:
        assert config.activate
        self.dimension = config.name
        self.config = config
        where = config.where()
        self._activate_path = config.activate
        self._activate = _import(config.activate, "the activate callable", where, 1)
        self._disable_path = config.disable
        self._disable = _import(config.disable, "the disable callable", where, 0) if config.disable else None
        self._models = config.scoped_models

    @property
    def has_disable(self) -> bool:
        return self._disable is not None

    def scoped_models(self) -> dict[type[Model], dict[str, str]]:
        found: dict[type[Model], dict[str, str]] = {}
        for label, path in self._models.items():
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                labels = [f"{m._meta.app_label}.{m.__name__}" for m in apps.get_models()]
                raise ConsoleError(
                    f"{self.config.where('scoped_models')} lists {label!r}, but there is no such model."
                    f"{did_you_mean(label, labels)}"
                )
            found[model] = {self.dimension: path}
        return found

    def activate(self, tenants: Mapping[str, Model]) -> ContextManager[None]:
        tenant = tenants.get(self.dimension)
        if tenant is None:
            return contextlib.nullcontext()
        return _as_context(self._activate(tenant), str(self._activate_path), "activate callable")

    def disabled(self) -> ContextManager[None]:
        if self._disable is not None:
            return _as_context(self._disable(), str(self._disable_path), "disable callable")
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
