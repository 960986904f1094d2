"""Is a shown value another tenant's? The REPL's warning for what scopes cannot stop.

django-scopes filters querysets of scoped managers, but a forward foreign key
(``review.submission``), ``refresh_from_db`` and ``_base_manager`` go around it:
``Review.objects.get(pk=...).submission`` can silently hand back another
tenant's submission when the data holds a cross-tenant reference. The REPL
cannot stop the access, but before it shows a model instance (or the shown rows
of a queryset or list) it asks the registry where those objects belong and says
so, in red, when it is not the active tenant.

The check is batched: per model, a dimension whose scope path is a plain
foreign key is read from the loaded objects without a query; any longer path
costs one ``pk__in`` query per dimension; the foreign tenants' labels cost one
more query per dimension, only when there are any. Runs on the session thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, Model

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry
    from tenant_console.core.scope import ScopeState

#: At most this many foreign tenants are named in one warning.
MAX_NAMED = 3


def _direct_attname(model: type[Model], path: str) -> str | None:
    """``event`` → ``event_id`` when the path is one concrete FK of the model itself."""
    if "__" in path:
        return None
    try:
        field = model._meta.get_field(path)
    except FieldDoesNotExist:
        return None
    if isinstance(field, ForeignKey) and field.concrete:
        return field.attname
    return None


def _owners(registry: ScopeRegistry, model: type[Model], objs: Sequence[Model],
            active: dict[str, Any]) -> dict[str, dict[Any, set[Any]]]:
    """``{dimension: {object pk: {tenant pk, ...}}}`` for the active dimensions that concern ``model``."""
    found: dict[str, dict[Any, set[Any]]] = {}
    paths = dict(registry.owner_paths(model))
    for dim, path in paths.items():
        if dim in active and path == "pk":
            found[dim] = {o.pk: {o.pk} for o in objs}
    pks = [o.pk for o in objs if o.pk is not None]
    alias = objs[0]._state.db or None
    for dim, path in paths.items():
        if dim not in active or dim in found or not pks:
            continue
        attname = _direct_attname(model, path)
        if attname is not None:
            found[dim] = {o.pk: {getattr(o, attname, None)} for o in objs}
            continue
        owners: dict[Any, set[Any]] = defaultdict(set)
        manager = model._base_manager.using(alias) if alias else model._base_manager
        for pk, tenant in manager.filter(pk__in=pks).values_list("pk", path):
            owners[pk].add(tenant)
        found[dim] = dict(owners)
    return found


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a) == str(b)


def foreign_owners(registry: ScopeRegistry, scope: ScopeState,
                   objs: Sequence[Model]) -> dict[tuple[type[Model], Any], dict[str, set[Any]]]:
    """``{(model, pk): {dimension: {tenant pk, ...}}}`` for the objects of ``objs`` outside the active tenant.

    Only with a tenant active (with scopes disabled every tenant is in view on
    purpose; with none chosen there is nothing to compare with). Objects of
    unscoped models, and rows whose tenant is empty (a nullable path), pass.
    The one answer for shown objects (:func:`foreign_tenant_warning`) and written
    rows (:mod:`.crosswrite`).
    """
    if scope.disabled or not scope.tenants or not objs:
        return {}
    active = scope.pks()
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    for obj in objs:
        by_model[type(obj)].append(obj)
    foreign: dict[tuple[type[Model], Any], dict[str, set[Any]]] = {}
    for model, group in by_model.items():
        for dim, owners in _owners(registry, model, group, active).items():
            for pk, tenants in owners.items():
                others = {t for t in tenants if t is not None and not _same(t, active[dim])}
                if others:
                    foreign.setdefault((model, pk), {}).setdefault(dim, set()).update(others)
    return foreign


def tenant_labels(registry: ScopeRegistry, dim: str, tenant_pks: Sequence[Any], alias: str | None) -> dict[str, str]:
    """``{str(tenant pk): label}`` for tenants of dimension ``dim`` (one query); a missing one is ``#pk``."""
    dimension = registry.dimensions[dim]
    manager = dimension.model._base_manager.using(alias) if alias else dimension.model._base_manager
    labels = {str(t.pk): dimension.label(t) for t in manager.filter(pk__in=list(tenant_pks))}
    return {str(pk): labels.get(str(pk), f"#{pk}") for pk in tenant_pks}


def foreign_tenant_warning(registry: ScopeRegistry, scope: ScopeState, objs: Sequence[Model]) -> str:
    """A warning naming the other tenant(s) that ``objs`` belong to, or ``""`` when all is in scope."""
    foreign = foreign_owners(registry, scope, objs)
    if not foreign:
        return ""
    foreign_tenants: dict[str, set[Any]] = defaultdict(set)
    for dims in foreign.values():
        for dim, tenants in dims.items():
            foreign_tenants[dim] |= tenants
    named = []
    alias = objs[0]._state.db or None
    for dim, tenant_pks in foreign_tenants.items():
        ordered = sorted(tenant_pks, key=str)
        labels = tenant_labels(registry, dim, ordered[:MAX_NAMED], alias)
        names = [labels[str(pk)] for pk in ordered[:MAX_NAMED]]
        more = f" and {len(ordered) - MAX_NAMED} more" if len(ordered) > MAX_NAMED else ""
        named.append(f"{dim}=" + ", ".join(names) + more)
    where = "; ".join(named)
    if len(objs) == 1:
        return f"⚠ belongs to another tenant: {where}; the active tenant is {active_names(scope)}"
    count = len(foreign)
    shown = sorted((str(pk) for _, pk in foreign))[:5]
    return (f"⚠ {count} of {len(objs)} shown object{'s' if len(objs) != 1 else ''} belong"
            f"{'s' if count == 1 else ''} to another tenant: {where} (pk {', '.join(shown)}"
            f"{', …' if count > 5 else ''})")


def active_names(scope: ScopeState) -> str:
    return ", ".join(f"{t.dimension}={t.label}" for t in scope.tenants)
