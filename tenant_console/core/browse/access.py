"""May the console open this object? One rule for every path that opens one object.

The detail view, the related-object graph, the export of objects and "use in the REPL"
all ask :func:`check_objects` (on the session thread) before they open anything, so an
object of another tenant is refused the same way on each of them, with the same message:
an object is opened when the queryset that lists and counts use (:func:`scoped_queryset`:
the scope's manager *and* the registry's explicit tenant filter) contains it, or when
scopes are disabled, which is a deliberate act that the audit trail records. Shared
(unscoped) models are visible in every scope. Relations *from* a visible object into
another tenant are shown and flagged where they appear (detail, graph), not refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model

from tenant_console.core.browse.catalog import get_model
from tenant_console.core.browse.queryset import scoped_queryset
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.scope import ScopeState


class NotVisible(ConsoleError):
    """The object does not exist, or not in the active scope."""


def visible_object(registry: ScopeRegistry, label: str, pk: Any, scope: ScopeState,
                   alias: str | None = None) -> Model:
    """The object, fetched through the scoped queryset, or :class:`NotVisible` saying why not."""
    model = get_model(label)
    qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
    if alias:
        qs = qs.using(alias)
    try:
        return qs.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotVisible(_why_not(registry, model, label, pk, scope, qs.db)) from None


def check_objects(registry: ScopeRegistry, objects: Iterable[tuple[str, Any]], scope: ScopeState,
                  alias: str | None = None) -> None:
    """Raise :class:`NotVisible` for the first object (``(app.Model, pk)``) not visible in ``scope``."""
    for label, pk in objects:
        model = get_model(label)
        qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
        if alias:
            qs = qs.using(alias)
        try:
            found = qs.filter(pk=pk).exists()
        except (ValueError, TypeError):
            found = False
        if not found:
            raise NotVisible(_why_not(registry, model, label, pk, scope, qs.db))


def check_specs(registry: ScopeRegistry, specs: Iterable[str], scope: ScopeState, alias: str | None = None) -> None:
    """:func:`check_objects` for ``app.Model.pk`` specs (the export's and the graph's syntax)."""
    from tenant_console.core.graph.objects import parse_object_spec

    objects = []
    for spec in specs:
        model, pk = parse_object_spec(spec)
        objects.append((model._meta.label, pk))
    check_objects(registry, objects, scope, alias)


def _why_not(registry: ScopeRegistry, model: type[Model], label: str, pk: Any, scope: ScopeState,
             alias: str) -> str:
    from tenant_console.core.graph.classify import tenant_labels

    try:
        exists = model._base_manager.using(alias).filter(pk=pk).exists()
    except (ValueError, TypeError):
        exists = False
    if not exists:
        return f"There is no {label} with primary key {pk!r}."
    owner = ""
    paths = registry.owner_paths(model)  # the registry's one answer for a row's tenants
    if paths:
        row = model._base_manager.using(alias).filter(pk=pk).values_list(*[p for _, p in paths]).first()
        if row is not None:
            wanted = {dim: [value] for (dim, _), value in zip(paths, row, strict=True) if value is not None}
            names = tenant_labels(registry, wanted, alias)
            parts = [f"{dim} {names.get(dim, {}).get(str(v[0]), v[0])}" for dim, v in wanted.items()
                     if str(v[0]) != str(scope.pks().get(dim, object()))]
            owner = f" (it belongs to {', '.join(parts)})" if parts else ""
    return (f"{label} #{pk} does not exist in the scope {scope.describe()}{owner}. Another tenant's objects "
            "are not opened, exported or used from here: choose that tenant (t), or disable scopes "
            "deliberately (:disable, audited).")
