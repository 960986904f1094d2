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
more query per dimension, only when there are any.

A table of rows also says which of its foreign key cells point into another
tenant (:func:`check_table`, which checks its rows too, reading their tenants
once): per foreign key column, the targets' tenants are read with one
``values_list`` query over the column's distinct values (none when the target
is a tenant model itself), never per row. Runs on the session thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, Model

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry
    from tenant_console.core.scope import ScopeState

#: At most this many foreign tenants are named in one warning.
MAX_NAMED = 3
#: At most this many primary keys in one ``pk__in`` query (SQLite's limit on parameters).
PK_BATCH = 2000


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
            active: dict[str, Any], from_db: bool = False) -> dict[str, dict[Any, set[Any]]]:
    """``{dimension: {object pk: {tenant pk, ...}}}`` for the active dimensions that concern ``model``.

    ``from_db``: a direct foreign key path is read from the database too, never from
    the objects' fields (which may have changed in memory since the row was written).
    """
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
        attname = None if from_db else _direct_attname(model, path)
        if attname is not None:
            found[dim] = {o.pk: {getattr(o, attname, None)} for o in objs}
            continue
        owners: dict[Any, set[Any]] = defaultdict(set)
        manager = model._base_manager.using(alias) if alias else model._base_manager
        for start in range(0, len(pks), PK_BATCH):
            for pk, tenant in manager.filter(pk__in=pks[start:start + PK_BATCH]).values_list("pk", path):
                owners[pk].add(tenant)
        found[dim] = dict(owners)
    return found


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a) == str(b)


#: Owners already read: ``{model: {dimension: {pk: {tenant pk, ...}}}}`` (see :func:`_owners`).
Known = dict[type[Model], dict[str, dict[Any, set[Any]]]]


def foreign_owners(registry: ScopeRegistry, scope: ScopeState, objs: Sequence[Model],
                   known: Known | None = None,
                   from_db: bool = False) -> dict[tuple[type[Model], Any], dict[str, set[Any]]]:
    """``{(model, pk): {dimension: {tenant pk, ...}}}`` for the objects of ``objs`` outside the active tenant.

    Only with a tenant active (with scopes disabled every tenant is in view on
    purpose; with none chosen there is nothing to compare with). Objects of
    unscoped models, and rows whose tenant is empty (a nullable path), pass.
    The one answer for shown objects (:func:`foreign_tenant_warning`) and written
    rows (:mod:`.crosswrite`). ``known`` holds owners already read for a model
    (not read again). ``from_db``: owners are read from the database (one
    ``values_list`` query per model and dimension), also for a direct foreign key:
    what a written row belongs to is the database's answer, not the object's.
    """
    if scope.disabled or not scope.tenants or not objs:
        return {}
    active = scope.pks()
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    for obj in objs:
        by_model[type(obj)].append(obj)
    foreign: dict[tuple[type[Model], Any], dict[str, set[Any]]] = {}
    for model, group in by_model.items():
        found = known[model] if known and model in known else _owners(registry, model, group, active, from_db)
        for dim, owners in found.items():
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


def foreign_tenant_warning(registry: ScopeRegistry, scope: ScopeState, objs: Sequence[Model],
                           known: Known | None = None) -> str:
    """A warning naming the other tenant(s) that ``objs`` belong to, or ``""`` when all is in scope."""
    foreign = foreign_owners(registry, scope, objs, known)
    if not foreign:
        return ""
    foreign_tenants: dict[str, set[Any]] = defaultdict(set)
    for dims in foreign.values():
        for dim, tenants in dims.items():
            foreign_tenants[dim] |= tenants
    where = _tenant_names(registry, foreign_tenants, objs[0]._state.db or None)
    if len(objs) == 1:
        return f"⚠ belongs to another tenant: {where}; the active tenant is {active_names(scope)}"
    count = len(foreign)
    shown = sorted((str(pk) for _, pk in foreign))[:5]
    return (f"⚠ {count} of {len(objs)} shown object{'s' if len(objs) != 1 else ''} belong"
            f"{'s' if count == 1 else ''} to another tenant: {where} (pk {', '.join(shown)}"
            f"{', …' if count > 5 else ''})")


def active_names(scope: ScopeState) -> str:
    return ", ".join(f"{t.dimension}={t.label}" for t in scope.tenants)


def _tenant_names(registry: ScopeRegistry, tenants: dict[str, set[Any]], alias: str | None) -> str:
    """``event=PyCon Nordic (pycon-nordic)``: the tenants' labels, one query per dimension."""
    named = []
    for dim, tenant_pks in tenants.items():
        ordered = sorted(tenant_pks, key=str)
        labels = tenant_labels(registry, dim, ordered[:MAX_NAMED], alias)
        names = [labels[str(pk)] for pk in ordered[:MAX_NAMED]]
        more = f" and {len(ordered) - MAX_NAMED} more" if len(ordered) > MAX_NAMED else ""
        named.append(f"{dim}=" + ", ".join(names) + more)
    return "; ".join(named)


def _target_owners(registry: ScopeRegistry, field: ForeignKey, values: set[Any], active: dict[str, Any],
                   alias: str | None) -> dict[str, dict[Any, Any]]:
    """``{dimension: {FK value: tenant pk}}`` for the targets of ``field`` with these values (one query).

    The targets' tenants are read as the single-object check reads them (the
    registry's owner paths); a target that is a tenant model itself costs no query.
    """
    target: type[Model] = field.related_model  # type: ignore[assignment]
    to = field.target_field
    paths = {dim: path for dim, path in registry.owner_paths(target) if dim in active}
    if not paths:
        return {}
    found: dict[str, dict[Any, Any]] = {}
    if to.primary_key:
        found = {dim: {v: v for v in values} for dim, path in paths.items() if path == "pk"}
    asked = [(dim, path) for dim, path in paths.items() if dim not in found]
    if asked:
        manager = target._base_manager.using(alias) if alias else target._base_manager
        rows = manager.filter(**{f"{to.attname}__in": values}).values_list(to.attname, *(p for _, p in asked))
        for dim, _ in asked:
            found[dim] = {}
        for key, *tenants in rows:
            for (dim, _), tenant in zip(asked, tenants, strict=True):
                found[dim][key] = tenant
    return found


@dataclass(frozen=True)
class TableCheck:
    """What a table of one model's rows says about tenants."""

    #: The rows themselves are another tenant's (:func:`foreign_tenant_warning`), or "".
    rows: str = ""
    #: ``{FK field name: its values whose target is another tenant's}``: the cells marked ``⚠``.
    cells: dict[str, set[Any]] = field(default_factory=dict)
    #: How many cells point into which other tenants, or "".
    references: str = ""


def check_table(registry: ScopeRegistry, scope: ScopeState, model: type[Model], objs: Sequence[Model],
                fields: Sequence[str]) -> TableCheck:
    """Which rows of a table of ``objs`` are another tenant's, which of their foreign key cells point
    into another tenant, and lines saying so.

    Nothing without an active tenant (as :func:`foreign_tenant_warning`).
    One query per foreign key whose target belongs to tenants (none for a
    target that is a tenant model); targets of shared models, empty tenant
    paths and missing targets pass. Rows that are themselves another tenant's
    (and the row's own tenant column) are left to :func:`foreign_tenant_warning`;
    telling them costs no query for a model whose tenant is a foreign key of its
    own, one ``pk__in`` query otherwise (``Answer``: ``question__event``).
    """
    if scope.disabled or not scope.tenants or not objs:
        return TableCheck()
    active = scope.pks()
    alias = objs[0]._state.db or None
    # A row that is itself another tenant's is the row check's to report (its own tenant column too):
    # only the references of the active tenant's rows are marked.
    own = _owners(registry, model, objs, active)
    rows_warning = foreign_tenant_warning(registry, scope, objs, known={model: own})
    objs = [o for o in objs if not any(t is not None and not _same(t, active[dim])
                                       for dim, owners in own.items() for t in owners.get(o.pk, ()))]
    skip = {path for dim, path in registry.owner_paths(model) if dim in own}
    foreign: dict[str, set[Any]] = {}
    count = 0
    per_field: list[tuple[str, int]] = []
    tenants: dict[str, set[Any]] = defaultdict(set)
    for name in fields:
        field = model._meta.get_field(name)
        if name in skip or not isinstance(field, ForeignKey) or field.related_model is None:
            continue
        values = {v for v in (getattr(o, field.attname, None) for o in objs) if v is not None}
        if not values:
            continue
        bad: set[Any] = set()
        for dim, owners in _target_owners(registry, field, values, active, alias).items():
            for value, tenant in owners.items():
                if tenant is not None and not _same(tenant, active[dim]):
                    bad.add(value)
                    tenants[dim].add(tenant)
        if bad:
            foreign[name] = bad
            cells = sum(1 for o in objs if getattr(o, field.attname, None) in bad)
            count += cells
            per_field.append((name, cells))
    if not foreign:
        return TableCheck(rows=rows_warning)
    through = per_field[0][0] if len(per_field) == 1 else ", ".join(f"{n} ({c})" for n, c in per_field)
    where = _tenant_names(registry, tenants, alias)
    return TableCheck(rows_warning, foreign, f"⚠ {count} reference{'s' if count != 1 else ''} in the shown rows "
                      f"point{'s' if count == 1 else ''} into another tenant (marked ⚠): {through} → {where}")
