"""What a delete would do, computed the way Django will do it, and checked against the tenant.

The cascade is Django's own :class:`~django.db.models.deletion.Collector`, the
code that ``QuerySet.delete()`` and the admin run: related rows are fetched per
model and relation in batches (``bulk_batch_size``), through base managers, so
what the preview shows is what the delete will touch, no more and no less:
rows to delete (fast deletes included, counted without loading them), rows
whose foreign key will be set to NULL or a default, and the rows that block it
(``PROTECT``, ``RESTRICT``). Generic relations cascade as Django cascades them.

Every row is then placed against the chosen tenant with the registry's one
filter (:meth:`ScopeRegistry.tenant_q`): a row of a scoped or owned model that
is not the tenant's belongs to *another tenant*, and deleting or changing it
is refused unless explicitly allowed. Rows of models that belong to no tenant
(shared or ambiguous, see ``docs/tenancy.md``) are listed as such. Deleting a
tenant object itself is flagged, so the caller can ask for its louder
confirmation.

Call on a session thread inside a read-only block (the preview) or inside the
delete's own transaction (the re-check before applying).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.deletion import PROTECT, RESTRICT, Collector, ProtectedError, RestrictedError
from django.test.utils import CaptureQueriesContext

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.graph.relations import concrete
from tenant_console.core.tenancy import Kind
from tenant_console.core.tenancy.rows import in_batch_size, tenant_rows

#: Rows of a kind listed by key in the preview (the counts are always complete).
SHOWN_ROWS = 50


class DeleteRefused(ConsoleError):
    """The delete would reach another tenant, is blocked, or changed since its preview: nothing was deleted."""

    exit_code = 1
    audit_outcome = "refused"

    def __init__(self, message: str, preview: DeletePreview | None = None) -> None:
        super().__init__(message)
        self.preview = preview


@dataclass
class ModelRows:
    """The rows of one model that the delete touches (deleted, or updated by SET_NULL/SET_DEFAULT)."""

    label: str
    kind: str  # the model's tenancy verdict: tenant, scoped, owned, ambiguous, shared
    pks: list[Any] = field(default_factory=list)
    #: Keys of these rows that belong to another tenant, by that tenant (``{"event=2": [pks]}``).
    other_tenant: dict[str, list[Any]] = field(default_factory=dict)
    #: For updates: the fields that are changed, and to what.
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.pks)

    @property
    def other_count(self) -> int:
        return sum(len(v) for v in self.other_tenant.values())

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.label, "kind": self.kind, "count": self.count,
                               "pks": [_jsonable(pk) for pk in self.pks[:SHOWN_ROWS]]}
        if self.fields:
            out["fields"] = dict(self.fields)
        if self.other_tenant:
            out["other_tenant"] = {t: [_jsonable(pk) for pk in pks[:SHOWN_ROWS]]
                                   for t, pks in self.other_tenant.items()}
        return out


@dataclass
class Blocker:
    """Rows that stop the delete: they reference a deleted row through PROTECT or RESTRICT."""

    label: str
    how: str  # "protect" or "restrict"
    relation: str  # "'Review.submission'"
    pks: list[Any]

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.label, "how": self.how, "relation": self.relation, "count": len(self.pks),
                "pks": [_jsonable(pk) for pk in self.pks[:SHOWN_ROWS]]}


@dataclass
class CrossTenantRow:
    """A row of another tenant that the delete would delete or change, and why it is reached."""

    label: str
    pk: Any
    tenant: str  # "event=2 (PyCon 2026)"
    action: str  # "delete" or "update"
    path: str  # "its submission (conference.submission 41) is deleted"

    def __str__(self) -> str:
        verb = "deleted" if self.action == "delete" else "changed"
        return f"{self.label} {self.pk} of {self.tenant} would be {verb}: {self.path}"

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.label, "pk": _jsonable(self.pk), "tenant": self.tenant, "action": self.action,
                "path": self.path}


@dataclass
class DeletePreview:
    """Everything a delete would do, in the order Django would do it, and what stands in its way."""

    alias: str
    vendor: str
    scope: dict[str, str]
    roots: list[str]
    deletes: list[ModelRows]
    updates: list[ModelRows]
    blockers: list[Blocker]
    cross_tenant: list[CrossTenantRow]
    #: Tenant objects the delete would remove (``"event=1 (democon)"``): a separate, louder act.
    tenants_deleted: list[str]
    queries: int = 0
    #: Django's collector that produced this preview (the apply step deletes with it).
    collector: Collector | None = field(default=None, repr=False, compare=False)

    @property
    def total(self) -> int:
        return sum(m.count for m in self.deletes)

    def __repr__(self) -> str:
        state = "BLOCKED" if self.blockers else "not blocked"
        return (f"<DeletePreview: {self.total:,} rows deleted in {len(self.deletes)} models, {self.total_updated:,} "
                f"changed, {len(self.cross_tenant):,} of another tenant, {state}; .as_dict() for details>")

    @property
    def total_updated(self) -> int:
        return sum(m.count for m in self.updates)

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)

    def counts(self) -> dict[str, int]:
        return {m.label: m.count for m in self.deletes}

    def fingerprint(self) -> str:
        """A digest of exactly which rows are deleted and changed (the re-check compares it)."""
        h = hashlib.sha256()
        for kind, rows in (("delete", self.deletes), ("update", self.updates)):
            for m in sorted(rows, key=lambda r: r.label):
                h.update(f"{kind}:{m.label}:{sorted(m.fields.items())}:".encode())
                for pk in sorted(m.pks, key=str):
                    h.update(f"{pk},".encode())
        return h.hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.alias, "vendor": self.vendor, "scope": self.scope, "roots": self.roots,
            "total": self.total, "updated": self.total_updated, "fingerprint": self.fingerprint(),
            "deletes": [m.as_dict() for m in self.deletes], "updates": [m.as_dict() for m in self.updates],
            "blocked": [b.as_dict() for b in self.blockers],
            "cross_tenant": [c.as_dict() for c in self.cross_tenant],
            "tenants_deleted": self.tenants_deleted, "queries": self.queries,
        }


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, (int, str)) or value is None else str(value)


# -- choosing what to delete ---------------------------------------------------------


def roots_in_tenant(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any],
                    wanted: Mapping[type[Model], Iterable[Any]]) -> dict[type[Model], list[Any]]:
    """The requested objects, each checked to be a row of the chosen tenant (the one rule of every path).

    An object of another tenant is refused (:class:`DeleteRefused`), one that
    does not exist is a :class:`ConsoleError`, and an object of a model that
    belongs to no tenant is refused: deleting shared data is not a tenant
    operation.
    """
    found: dict[type[Model], list[Any]] = {}
    for model, pks in wanted.items():
        model = concrete(model)
        keys = list(dict.fromkeys(pks))
        if registry.verdict(model).kind not in (Kind.TENANT, Kind.SCOPED, Kind.OWNED):
            raise DeleteRefused(
                f"{model._meta.label} belongs to no tenant ({registry.verdict(model).kind.value}), so deleting its "
                "rows is not a tenant operation; tenant-console deletes only rows of the chosen tenant.")
        if not tenant_pks:
            from tenant_console.core.examples import tenant_option

            raise ConsoleError(f"Choose the tenant whose rows you delete (for example {tenant_option(registry)}); "
                               "every row of the cascade is checked against it.")
        inside: set[Any] = set()
        step = in_batch_size(alias)
        for i in range(0, len(keys), step):
            chunk = keys[i : i + step]
            inside.update(tenant_rows(registry, model, tenant_pks, alias).filter(pk__in=chunk)
                          .values_list("pk", flat=True))
        outside = [pk for pk in keys if pk not in inside]
        if outside:
            exists = set(model._base_manager.db_manager(alias).filter(pk__in=outside[:step])
                         .values_list("pk", flat=True))
            foreign = [pk for pk in outside if pk in exists]
            if foreign:
                raise DeleteRefused(
                    f"{model._meta.label} {', '.join(map(str, foreign[:10]))} belongs to another tenant, not to the "
                    "chosen one; nothing was deleted. Choose that tenant to delete it there.")
            raise ConsoleError(f"There is no {model._meta.label} with primary key "
                               f"{', '.join(map(str, outside[:10]))} on database {alias!r}.", exit_code=2)
        found[model] = keys
    return found


def roots_of_queryset(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any],
                      qs: QuerySet[Any]) -> dict[type[Model], list[Any]]:
    """The rows of a (filtered) queryset, as roots; each checked like :func:`roots_in_tenant`."""
    model = concrete(qs.model)
    pks = list(qs.using(alias).order_by().values_list("pk", flat=True).distinct())
    if not pks:
        return {}
    return roots_in_tenant(registry, alias, tenant_pks, {model: pks})


# -- the preview ---------------------------------------------------------------------


def preview_delete(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any],
                   roots: Mapping[type[Model], Iterable[Any]], *, origin: Any = None,
                   whole_tenant: bool = False) -> DeletePreview:
    """Run Django's collector over ``roots`` and place every row it reaches against the tenant.

    ``whole_tenant``: the roots are every row of the tenant (:func:`whole_tenant_roots`), so a
    ``PROTECT``/``RESTRICT`` reference from one of the tenant's rows to another does not block (both
    go); references from rows of other tenants or shared rows still block or are refused as always.
    """
    connection = connections[alias]
    with CaptureQueriesContext(connection) as queries:
        collector, blockers = collect(alias, roots, origin=origin,
                                      tenant=(registry, tenant_pks) if whole_tenant else None)
        deletes = _deleted_rows(registry, collector)
        updates = _updated_rows(registry, collector)
        cross, tenants_deleted = _place(registry, alias, tenant_pks, deletes, updates)
    from tenant_console.core.graph.classify import tenant_labels

    labels = tenant_labels(registry, {d: [pk] for d, pk in tenant_pks.items()}, alias)
    scope = {d: labels.get(d, {}).get(str(pk), str(pk)) for d, pk in tenant_pks.items()}
    root_specs = [f"{m._meta.label}.{pk}" for m, pks in roots.items() for pk in list(pks)[:SHOWN_ROWS]]
    return DeletePreview(alias=alias, vendor=connection.vendor, scope=scope, roots=root_specs,
                         deletes=deletes, updates=updates, blockers=blockers, cross_tenant=cross,
                         tenants_deleted=tenants_deleted, queries=len(queries), collector=collector)


class PreviewCollector(Collector):
    """Django's collector that walks the whole cascade past ``PROTECT``: the preview lists all of it.

    Django raises :class:`ProtectedError` at the first model whose rows are
    referenced through ``PROTECT``, after its other relations but before its fast
    deletes and generic relations, and an error from a nested cascade cuts off the
    relations not yet walked: what had been collected until then is a fraction of
    the cascade (operator trial on pretalx: a blocked submission's speaker roles
    were missing). Here the rows referencing a collected row through ``PROTECT`` are
    recorded in :attr:`protected` (by model and relation, ``'Review.submission'``)
    and not collected, and the walk goes on, so the collector holds every row that
    would be deleted once those rows are dealt with. A collector with
    :attr:`protected` rows must never delete: the preview reports them as blockers,
    and the apply step refuses a blocked preview. Every other relation (``RESTRICT``
    included, which Django checks once the walk is done) is Django's own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: ``{(model, "'Model.field'"): {pk, ...}}``: the rows that block, through which relation.
        self.protected: dict[tuple[type[Model], str], set[Any]] = defaultdict(set)

    def related_objects(self, related_model: Any, related_fields: Any, objs: Any) -> QuerySet:
        qs = self.related_rows(related_model, related_fields, objs)
        protecting = [f for f in related_fields if f.remote_field.on_delete is PROTECT]
        if not protecting:
            return qs
        pks = list(qs.values_list("pk", flat=True))  # the one query Django would have made for these rows
        for fld in protecting:
            if pks:
                self.protected[(concrete(related_model), f"'{fld.model.__name__}.{fld.name}'")].update(pks)
        return qs.none()

    def related_rows(self, related_model: Any, related_fields: Any, objs: Any) -> QuerySet:
        """The rows referencing ``objs`` through ``related_fields`` (Django's query; subclasses narrow it)."""
        return super().related_objects(related_model, related_fields, objs)

    def blockers(self) -> list[Blocker]:
        """The protected rows, by model, each with the relations through which they protect."""
        by_model: dict[type[Model], tuple[list[str], set[Any]]] = {}
        for (model, relation), pks in self.protected.items():
            relations, keys = by_model.setdefault(model, ([], set()))
            relations.append(relation)
            keys.update(pks)
        return [Blocker(label=model._meta.label_lower, how="protect", relation=", ".join(sorted(relations)),
                        pks=sorted(keys, key=str))
                for model, (relations, keys) in _ordered(by_model)]


class WholeTenantCollector(PreviewCollector):
    """Django's collector for deleting every row of a tenant at once.

    Every row of the tenant is a root. A ``PROTECT`` or ``RESTRICT`` reference from
    one of the tenant's rows to another (pretix's and the demo's ``Submission.event``)
    must not block, since both rows go: for those relations the tenant's own rows
    are left out of the related rows (they are collected as roots), and the order
    Django would have derived from the relation is recorded, so that the referencing
    rows are deleted first (InnoDB checks every foreign key at once). Every other
    relation, and rows of other tenants or shared rows on any relation, are
    collected, blocked or refused exactly as Django does.
    """

    def __init__(self, *args: Any, registry: ScopeRegistry, tenant_pks: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registry = registry
        self.tenant_pks = dict(tenant_pks)

    def related_rows(self, related_model: Any, related_fields: Any, objs: Any) -> QuerySet:
        qs = super().related_rows(related_model, related_fields, objs)
        if not any(f.remote_field.on_delete in (PROTECT, RESTRICT) for f in related_fields):
            return qs
        q = self.registry.tenant_q(related_model, self.tenant_pks)
        if q is None or not q:
            return qs
        if objs and concrete(type(objs[0])) is not concrete(related_model):
            self.add_dependency(type(objs[0]), related_model)  # the referencing rows go first
        return qs.exclude(q)


def whole_tenant_roots(registry: ScopeRegistry, alias: str,
                       tenant_pks: Mapping[str, Any]) -> dict[type[Model], list[Any]]:
    """Every row of the tenant, by model (the tenant objects included): the roots of a whole-tenant delete."""
    roots: dict[type[Model], list[Any]] = {}
    for model in sorted({concrete(m) for m in registry.in_tenant_models()}, key=lambda m: m._meta.label_lower):
        pks = list(tenant_rows(registry, model, tenant_pks, alias).order_by("pk").values_list("pk", flat=True))
        if pks:
            roots[model] = pks
    return roots


def collect(alias: str, roots: Mapping[type[Model], Iterable[Any]], *, origin: Any = None,
            tenant: tuple[ScopeRegistry, Mapping[str, Any]] | None = None) -> tuple[Collector, list[Blocker]]:
    """Django's collector over the roots (batched by ``bulk_batch_size``), and what blocks it.

    The walk does not stop at a ``PROTECT`` reference (:class:`PreviewCollector`): the
    collector holds the complete cascade, and the protected rows are blockers. A custom
    ``on_delete`` that raises :class:`ProtectedError` itself still ends its batch's walk.

    ``tenant`` (registry, tenant keys): the roots are the whole tenant (:class:`WholeTenantCollector`).
    """
    collector = (WholeTenantCollector(using=alias, origin=origin, registry=tenant[0], tenant_pks=tenant[1])
                 if tenant is not None else PreviewCollector(using=alias, origin=origin))
    blockers: list[Blocker] = []
    step = in_batch_size(alias)
    for model, pks in roots.items():
        keys = list(pks)
        for i in range(0, len(keys), step):
            qs = concrete(model)._base_manager.db_manager(alias).filter(pk__in=keys[i : i + step])
            try:
                collector.collect(qs)
            except ProtectedError as exc:
                blockers += _blockers("protect", str(exc.args[0]), exc.protected_objects)
            except RestrictedError as exc:
                blockers += _blockers("restrict", str(exc.args[0]), exc.restricted_objects)
    return collector, collector.blockers() + blockers


def _blockers(how: str, message: str, objs: Iterable[Model]) -> list[Blocker]:
    """Blocking rows by model, each with its own relations (Django's message names all of them at once)."""
    relations = [r.strip() for r in message.split(": ", 1)[1].rstrip(".").split(",")] if ": " in message else []
    by_model: dict[type[Model], list[Any]] = defaultdict(list)
    for obj in objs:
        by_model[type(obj)].append(obj.pk)
    found = []
    for model, pks in sorted(by_model.items(), key=lambda i: i[0]._meta.label_lower):
        own = [r for r in relations if r.strip("'").split(".")[0] == model.__name__]
        found.append(Blocker(label=concrete(model)._meta.label_lower, how=how, relation=", ".join(own or relations),
                             pks=sorted(pks, key=str)))
    return found


def _deleted_rows(registry: ScopeRegistry, collector: Collector) -> list[ModelRows]:
    found: dict[type[Model], set[Any]] = defaultdict(set)
    for model, instances in collector.data.items():
        found[concrete(model)].update(obj.pk for obj in instances)
    for qs in collector.fast_deletes:
        model = concrete(qs.model)
        if isinstance(qs, QuerySet):
            found[model].update(qs.values_list("pk", flat=True))
        else:
            found[model].update(obj.pk for obj in qs)
    return [ModelRows(label=m._meta.label_lower, kind=_kind(registry, m), pks=sorted(pks, key=str))
            for m, pks in _ordered(found) if pks]


def _kind(registry: ScopeRegistry, model: type[Model]) -> str:
    """The model's tenancy verdict; an auto-created many-to-many table is ``link`` (stored with its owner)."""
    if model._meta.auto_created:
        return "link"
    return registry.verdict(model).kind.value


def _updated_rows(registry: ScopeRegistry, collector: Collector) -> list[ModelRows]:
    rows: dict[type[Model], ModelRows] = {}
    for (fld, value), batches in collector.field_updates.items():
        model = concrete(fld.model)
        entry = rows.get(model)
        if entry is None:
            entry = rows[model] = ModelRows(label=model._meta.label_lower, kind=_kind(registry, model))
        entry.fields[fld.name] = "NULL" if value is None else repr(value)
        pks = set(entry.pks)
        for objs in batches:
            if isinstance(objs, QuerySet):
                pks.update(objs.values_list("pk", flat=True))
            else:
                pks.update(obj.pk for obj in objs)  # type: ignore[attr-defined]
        entry.pks = sorted(pks, key=str)
    deleted = {concrete(m) for m in collector.data} | {concrete(qs.model) for qs in collector.fast_deletes}
    out = []
    for model, entry in _ordered({m: e for m, e in rows.items()}):
        if model in deleted:  # rows updated and then deleted stay in the delete list only
            gone = {o.pk for o in collector.data.get(model, ())}
            entry.pks = [pk for pk in entry.pks if pk not in gone]
        if entry.pks:
            out.append(entry)
    return out


def _ordered(items: Mapping[type[Model], Any]) -> list[tuple[type[Model], Any]]:
    return sorted(items.items(), key=lambda i: i[0]._meta.label_lower)


def _place(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], deletes: list[ModelRows],
           updates: list[ModelRows]) -> tuple[list[CrossTenantRow], list[str]]:
    """Which touched rows are not the chosen tenant's, and which tenant objects go."""
    from django.apps import apps

    from tenant_console.core.graph.classify import ScopeColumns, tenant_labels

    cols = ScopeColumns(registry)
    models = {m._meta.label_lower: m for m in registry.verdicts}
    _auto_created = {m._meta.label_lower: m for m in apps.get_models(include_auto_created=True)
                     if m._meta.auto_created}
    cross: list[CrossTenantRow] = []
    tenants_deleted: list[str] = []
    deleted_pks = {m.label: set(m.pks) for m in deletes}
    step = in_batch_size(alias)
    for action, rows in (("delete", deletes), ("update", updates)):
        for entry in rows:
            model = models.get(entry.label) or _auto_created.get(entry.label)
            if model is not None and entry.kind == "link":
                cross += _links_of_other_tenants(registry, alias, tenant_pks, model, entry.pks)
                continue
            if model is None or entry.kind not in (Kind.TENANT.value, Kind.SCOPED.value, Kind.OWNED.value):
                continue
            q = registry.tenant_q(model, tenant_pks)
            paths = cols.paths(model)
            foreign: dict[Any, tuple[Any, ...]] = {}
            for i in range(0, len(entry.pks), step):
                qs = model._base_manager.db_manager(alias).filter(pk__in=entry.pks[i : i + step])
                if q is not None and q:
                    qs = qs.exclude(q)
                for row in qs.values_list("pk", *[p for _, p in paths]):
                    foreign[row[0]] = row[1:]
            wanted: dict[str, set[Any]] = defaultdict(set)
            for values in foreign.values():
                for (dim, _), value in zip(paths, values, strict=True):
                    wanted[dim].add(value)
            labels = tenant_labels(registry, wanted, alias)
            for pk, values in foreign.items():
                named = [(dim, v) for (dim, _), v in zip(paths, values, strict=True)
                         if v is not None and str(v) != str(tenant_pks.get(dim, v))]
                tenant = ", ".join(f"{dim}={v} ({labels.get(dim, {}).get(str(v), '?')})" for dim, v in named) \
                    or "no tenant"
                entry.other_tenant.setdefault(tenant, []).append(pk)
                cross.append(CrossTenantRow(label=entry.label, pk=pk, tenant=tenant, action=action,
                                            path=_why(model, pk, deleted_pks, alias)))
            if action == "delete" and registry.tenant_dimensions_of(model):
                for dim in registry.tenant_dimensions_of(model):
                    mine = tenant_pks.get(dim)
                    if mine is not None and any(str(pk) == str(mine) for pk in entry.pks):
                        label = tenant_labels(registry, {dim: [mine]}, alias).get(dim, {}).get(str(mine), str(mine))
                        tenants_deleted.append(f"{dim}={mine} ({label})")
    return cross, tenants_deleted


def _why(model: type[Model], pk: Any, deleted: Mapping[str, set[Any]], alias: str) -> str:
    """Why a row is reached: the foreign key through which it points at a deleted row."""
    for fld in model._meta.concrete_fields:
        target = fld.related_model if (fld.is_relation and fld.many_to_one) or fld.one_to_one else None
        if target is None or not isinstance(target, type):
            continue
        label = concrete(target)._meta.label_lower
        if label not in deleted:
            continue
        value = model._base_manager.db_manager(alias).filter(pk=pk).values_list(fld.attname, flat=True).first()
        if value is not None and value in deleted[label]:
            on_delete = getattr(getattr(fld.remote_field, "on_delete", None), "__name__", "?")
            return f"its {fld.name} ({label} {value}) is deleted (on_delete={on_delete})"
    return "reached through a generic relation or a parent link of a deleted row"


def m2m_declaring(through: type[Model]) -> list[tuple[type[Model], Any]]:
    """``[(model, ManyToManyField)]`` declaring the auto-created table ``through`` (its links live there)."""
    from django.apps import apps

    return [(model, f) for model in apps.get_models() for f in model._meta.local_many_to_many
            if f.remote_field.through is through]


def _links_of_other_tenants(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any],
                            through: type[Model], pks: list[Any]) -> list[CrossTenantRow]:
    """Removed many-to-many links whose owner (the declaring object) is another tenant's: its data changes."""
    found: list[CrossTenantRow] = []
    step = in_batch_size(alias)
    for owner, m2m in m2m_declaring(through):
        q = registry.tenant_q(owner, tenant_pks)
        if q is None or not q:
            continue
        column = f"{m2m.m2m_field_name()}_id"
        owners: set[Any] = set()
        for i in range(0, len(pks), step):
            owners.update(through._base_manager.db_manager(alias).filter(pk__in=pks[i : i + step])
                          .values_list(column, flat=True))
        keys = sorted(owners, key=str)
        for i in range(0, len(keys), step):
            for pk in owner._base_manager.db_manager(alias).filter(pk__in=keys[i : i + step]).exclude(q) \
                    .values_list("pk", flat=True):
                found.append(CrossTenantRow(label=owner._meta.label_lower, pk=pk, tenant="another tenant",
                                            action="update",
                                            path=f"its {m2m.name} link to a deleted row is removed"))
    return found
