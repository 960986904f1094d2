"""One relation of one object, a page at a time: what the graph browser shows.

The browser never loads a relation whole: it asks for counts, then for keyset
pages (``pk > after``, ordered by pk, ``limit`` rows), the way a directory tree
lists a folder lazily. Each page carries every row's tenant (read from its
scope paths in one extra query), so another tenant's rows can be shown as such.
Call these on a session thread; they read through base managers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.graph.classify import Classification, ScopeColumns, classify
from tenant_console.core.graph.relations import (
    Kind,
    Relation,
    concrete,
    field_of,
    generic_ct_for,
    model_key,
    relations_of,
)


@dataclass(frozen=True)
class RelatedItem:
    """One related object, ready to show: no lazy attribute access needed off the session thread."""

    model: str  # model key, "conference.review"
    model_label: str  # "conference.Review"
    pk: Any
    label: str
    tenant: dict[str, Any] | None
    classification: Classification

    @property
    def key(self) -> tuple[str, Any]:
        return (self.model, self.pk)


@dataclass(frozen=True)
class RelatedPage:
    relation: str
    items: list[RelatedItem]
    #: Pass as ``after_pk`` for the next page; None when this was the last page.
    next_after: Any
    total: int | None


def related_queryset(obj: Model, relation: Relation, alias: str) -> QuerySet[Any]:
    """The objects ``obj`` reaches through ``relation``, unscoped, in ``alias``."""
    kind = relation.kind
    if kind is Kind.GFK:
        ct_id = getattr(obj, field_of(type(obj), relation.field.ct_field).attname)
        object_id = getattr(obj, relation.field.fk_field)
        from django.contrib.contenttypes.models import ContentType

        target = ContentType.objects.db_manager(alias).get_for_id(ct_id).model_class() if ct_id else None
        if target is None or object_id is None:
            return type(obj)._base_manager.db_manager(alias).none()
        try:
            object_id = target._meta.pk.to_python(object_id)
        except Exception:
            return target._base_manager.db_manager(alias).none()
        return target._base_manager.db_manager(alias).filter(pk=object_id)
    assert relation.target is not None
    qs = relation.target._base_manager.db_manager(alias).all()
    if kind in (Kind.FK, Kind.O2O, Kind.PARENT):
        value = getattr(obj, relation.field.attname)
        if value is None:
            return qs.none()
        return qs.filter(**{relation.field.target_field.attname: value})
    if kind is Kind.M2M:
        return qs.filter(**{relation.field.related_query_name(): obj}).distinct()
    if kind in (Kind.REVERSE_FK, Kind.REVERSE_O2O, Kind.CHILD):
        return qs.filter(**{relation.field.field.name: obj})
    if kind is Kind.REVERSE_M2M:
        return qs.filter(**{relation.field.field.name: obj}).distinct()
    if kind is Kind.GENERIC_RELATION:
        ct = generic_ct_for(type(obj), alias, for_concrete_model=relation.field.for_concrete_model)
        return qs.filter(**{relation.field.content_type_field_name: ct,
                            relation.field.object_id_field_name: str(obj.pk)
                            if _is_text(relation.target, relation.field.object_id_field_name) else obj.pk})
    if kind is Kind.GENERIC_REVERSE:
        ct = generic_ct_for(type(obj), alias, for_concrete_model=relation.field.for_concrete_model)
        id_field = field_of(relation.target, relation.field.fk_field)
        try:
            value = str(obj.pk) if _is_text(relation.target, relation.field.fk_field) else id_field.to_python(obj.pk)
        except Exception:
            return qs.none()
        return qs.filter(**{relation.field.ct_field: ct, relation.field.fk_field: value})
    raise ValueError(f"unknown relation kind {kind}")


def _is_text(model: type[Model], name: str) -> bool:
    return model._meta.get_field(name).get_internal_type() in ("CharField", "TextField", "SlugField")


def relation_counts(obj: Model, alias: str, relations: Sequence[Relation] | None = None) -> dict[str, int]:
    """``{relation name: number of related objects}``, one COUNT per relation."""
    rels = relations if relations is not None else relations_of(type(obj))
    return {r.name: related_queryset(obj, r, alias).count() for r in rels}


def tenants_of(registry: ScopeRegistry, model: type[Model], pks: Sequence[Any],
               alias: str) -> dict[Any, dict[str, Any] | None]:
    """Each row's tenant ``{dimension: pk}`` (None for a shared model), one query."""
    paths = ScopeColumns(registry).paths(model)
    if not paths:
        return dict.fromkeys(pks)
    rows = concrete(model)._base_manager.db_manager(alias).filter(pk__in=list(pks)).values_list(
        "pk", *[p for _, p in paths])
    return {row[0]: {dim: row[i + 1] for i, (dim, _) in enumerate(paths)} for row in rows}


def item_for(obj: Model, tenant: dict[str, Any] | None, reference: Mapping[str, Any]) -> RelatedItem:
    model = concrete(type(obj))
    try:
        label = str(obj)
    except Exception:  # a __str__ that touches a scoped relation outside a scope
        label = f"{model.__name__} #{obj.pk}"
    if not label or label == f"{model.__name__} object ({obj.pk})":
        label = f"{model.__name__} #{obj.pk}"
    return RelatedItem(model_key(model), model._meta.label, obj.pk, label[:200], tenant,
                       classify(tenant, reference))


def related_page(registry: ScopeRegistry, obj: Model, relation: Relation | str, alias: str, *,
                 after_pk: Any = None, limit: int = 50, reference: Mapping[str, Any] | None = None,
                 with_total: bool = False) -> RelatedPage:
    """Up to ``limit`` objects of ``obj``'s ``relation`` with pk greater than ``after_pk``, by pk."""
    from tenant_console.core.graph.relations import relation_named

    rel = relation_named(type(obj), relation) if isinstance(relation, str) else relation
    qs = related_queryset(obj, rel, alias)
    total = qs.count() if with_total else None
    page_qs = qs.order_by("pk")
    if after_pk is not None:
        page_qs = page_qs.filter(pk__gt=after_pk)
    objs = list(page_qs[:limit + 1])
    more = len(objs) > limit
    objs = objs[:limit]
    if not objs:
        return RelatedPage(rel.name, [], None, total)
    tenants = tenants_of(registry, type(objs[0]), [o.pk for o in objs], alias)
    ref = reference or {}
    items = [item_for(o, tenants.get(o.pk), ref) for o in objs]
    return RelatedPage(rel.name, items, objs[-1].pk if more else None, total)


@dataclass(frozen=True)
class RelationInfo:
    """A relation of one object with how many objects it reaches (one COUNT)."""

    name: str
    kind: str
    target_label: str
    count: int
    forward: bool
    owning: bool


@dataclass(frozen=True)
class ObjectInfo:
    item: RelatedItem
    relations: list[RelationInfo]
    #: ``{dimension: {str(pk): label}}`` for this object's tenant.
    tenant_labels: dict[str, dict[str, str]]


def describe_object(registry: ScopeRegistry, model_label: str, pk: Any, alias: str,
                    reference: Mapping[str, Any] | None = None) -> ObjectInfo:
    """One object (by ``app_label.Model`` and pk) with the count of each of its relations.

    Undeclared generic back-references are listed only when something uses them.
    Without ``reference`` the object is classified against its own tenant.
    """
    from tenant_console.core.graph.classify import tenant_labels
    from tenant_console.core.graph.objects import fetch_object, resolve_model

    model = concrete(resolve_model(model_label))
    obj = fetch_object(model, model._meta.pk.to_python(pk), alias)
    tenant = tenants_of(registry, model, [obj.pk], alias).get(obj.pk)
    item = item_for(obj, tenant, reference if reference is not None else (tenant or {}))
    infos = []
    for rel in relations_of(model):
        count = related_queryset(obj, rel, alias).count()
        if rel.hidden and not count:
            continue
        infos.append(RelationInfo(rel.name, rel.kind.value, rel.target_label, count, rel.forward, rel.owning))
    labels = tenant_labels(registry, {d: [v] for d, v in (tenant or {}).items()}, alias)
    return ObjectInfo(item, infos, labels)


def page_of(registry: ScopeRegistry, model_label: str, pk: Any, relation: str, alias: str, *,
            after_pk: Any = None, limit: int = 50, reference: Mapping[str, Any] | None = None,
            ) -> tuple[RelatedPage, dict[str, dict[str, str]]]:
    """A page of one relation of the object ``model_label``/``pk``, and the labels of foreign tenants on it."""
    from tenant_console.core.graph.classify import tenant_labels
    from tenant_console.core.graph.objects import fetch_object, resolve_model

    model = concrete(resolve_model(model_label))
    obj = fetch_object(model, model._meta.pk.to_python(pk), alias)
    page = related_page(registry, obj, relation, alias, after_pk=after_pk, limit=limit, reference=reference)
    wanted: dict[str, set[Any]] = {}
    for item in page.items:
        if item.classification is Classification.OTHER and item.tenant:
            for d, v in item.tenant.items():
                wanted.setdefault(d, set()).add(v)
    return page, tenant_labels(registry, wanted, alias)
