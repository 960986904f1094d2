"""Rows outside a tenant that link into it: what an export, import or move of the tenant leaves behind.

A tenant's data is the rows :mod:`.ownership` attaches to it. Rows of other
models may still point at those rows, and they are not the tenant's, so no
export carries them:

* a **many-to-many** declared on a model outside the tenant whose other side is
  inside it (pretalx's and pretix's ``Team.limit_events``: the team belongs to
  the organiser, the link rows in ``event_team_limit_events`` tie it to one
  event). Its link rows live in the auto-created through table, which is
  serialized with the declaring row only, so an export of the event holds none;
  after a move no team reaches the event;
* a **foreign key** of a shared or ambiguous model that points at a row of the
  tenant (a banner naming its sponsor);
* a **generic foreign key** of an ambiguous model that names a row of the
  tenant (its content type is one of the tenant's models, its object id one of
  that model's rows in the tenant).

:func:`outside_links` counts them for one tenant, so every feature says the
same thing about them (an export's warnings and manifest, and through the
manifest the import and the move). A many-to-many with an explicit ``through``
model is not listed here: the through model has a verdict of its own (usually
owned through its link to the tenant side), and where it is shared its foreign
key is listed as any other.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.db.models.functions import Cast

from tenant_console.core.graph.relations import Kind as RelKind
from tenant_console.core.graph.relations import field_of, relations_of
from tenant_console.core.tenancy.ownership import Kind
from tenant_console.core.tenancy.rows import exported_models, tenant_rows

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry


@dataclass(frozen=True)
class OutsideLink:
    """Rows outside the tenant that link into it through one field; none of them is exported."""

    kind: str  # "m2m" (link rows of an auto-created through table), "fk" or "gfk" (rows of the model)
    model: str  # label_lower of the model that declares the field ("event.team")
    field: str  # "limit_events"
    to: str  # label_lower of the tenant's model it points at ("" for a generic FK: any of them)
    table: str  # the table holding the rows: the through table for m2m, the model's own otherwise
    rows: int  # link rows (m2m) or rows of ``model`` (fk, gfk)
    owners: int  # rows of ``model`` holding those links (equal to ``rows`` for fk and gfk)
    verdict: str  # "shared" or "ambiguous" (or "tenant", "scoped", "owned" of another dimension)
    reason: str = ""  # why ambiguous, for people

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "field": self.field, "to": self.to, "table": self.table,
                "rows": self.rows, "owners": self.owners, "verdict": self.verdict, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutsideLink:
        """Read back :meth:`as_dict` (a manifest's ``outside_links``); unknown keys are ignored."""
        def num(key: str) -> int:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        return cls(kind=str(data.get("kind") or ""), model=str(data.get("model") or ""),
                   field=str(data.get("field") or ""), to=str(data.get("to") or ""),
                   table=str(data.get("table") or ""), rows=num("rows"), owners=num("owners"),
                   verdict=str(data.get("verdict") or ""), reason=str(data.get("reason") or ""))

    @classmethod
    def list_from(cls, value: Any) -> list[OutsideLink]:
        """The links of a manifest's or a move journal's ``outside_links`` (none when it is not a list; entries
        that are not objects are skipped). The one reader of that list: import and move show the same links."""
        if not isinstance(value, list):
            return []
        return [cls.from_dict(d) for d in value if isinstance(d, Mapping)]

    def describe(self) -> str:
        """One sentence for people, the same in export, import and move."""
        label = _display_label(self.model)
        if self.verdict == "ambiguous":
            what = f"the ambiguous model {label} ({self.reason})" if self.reason else f"the ambiguous model {label}"
            hint = "; declare it in TENANT_CONSOLE['OWNED'] to export it with the tenant"
        elif self.verdict == "shared":
            what, hint = f"the shared model {label}", ""
        else:
            what, hint = f"the model {label} (outside this tenant)", ""
        if self.kind == "m2m":
            return (f"{self.rows} link row(s) in the table {self.table} tie {self.owners} row(s) of {what} to this "
                    f"tenant's {_display_label(self.to)} through the many-to-many {self.field!r}; they are not "
                    "part of the export, so an import or move of the tenant does not recreate them.")
        if self.kind == "gfk":
            return (f"{self.rows} row(s) of {what} point into this tenant through the generic foreign key "
                    f"{self.field!r}; they are not part of the export{hint}.")
        return (f"{self.rows} row(s) of {what} point into this tenant through {self.field!r}; they are not part "
                f"of the export{hint}.")


def _display_label(label_lower: str) -> str:
    """``event.Team`` for ``event.team`` when the model is installed (as people read model names)."""
    try:
        return str(apps.get_model(label_lower)._meta.label)
    except (LookupError, ValueError):
        return label_lower


def outside_links(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], *,
                  exclude: Collection[type[Model]] = (),
                  carried: Mapping[type[Model], Collection[Any]] | None = None) -> list[OutsideLink]:
    """Every field through which rows outside the tenants ``tenant_pks`` link to their rows, with counts.

    A model is inside when an export of the tenants carries it
    (:func:`~tenant_console.core.tenancy.rows.exported_models`); ``exclude`` leaves
    models out of the tenant (``export --exclude``): links into them are not
    counted, and their own links are not "outside" (they are not exported at
    all). ``carried`` holds the primary keys of outside rows that travel anyway
    (shared rows an export takes because its rows reference them): their links
    are in the file, not left behind. Only fields with at least one such row are
    returned. One or two counting queries per field that points into the tenant.
    """
    carried = carried or {}
    inside = set(exported_models(registry, tenant_pks, exclude))
    if not inside:
        return []
    found: list[OutsideLink] = []
    inside_cts: dict[type[Model], int] | None = None
    for model in _concrete_models():
        if model in inside or model in exclude:
            continue
        verdict = registry.verdict(model)
        keep = set(carried.get(model, ()))
        base = model._base_manager.using(alias)
        for rel in relations_of(model):
            link: OutsideLink | None = None
            if rel.kind in (RelKind.FK, RelKind.O2O, RelKind.PARENT) and rel.target in inside:
                column = rel.field.target_field.attname
                target_rows = tenant_rows(registry, rel.target, tenant_pks, alias).values(column)
                qs = base.filter(**{f"{rel.field.attname}__in": target_rows})
                n = _count_not_carried(qs, "pk", keep)
                link = OutsideLink("fk", _label(model), rel.name, _label(rel.target), model._meta.db_table, n, n,
                                   verdict.kind.value, verdict.reason)
            elif rel.kind is RelKind.GFK and verdict.kind is Kind.AMBIGUOUS:
                if inside_cts is None:
                    inside_cts = _content_type_ids(alias, inside)
                qs = base.filter(_gfk_into(registry, alias, tenant_pks, model, rel.field, inside_cts))
                n = _count_not_carried(qs, "pk", keep)
                link = OutsideLink("gfk", _label(model), rel.name, "", model._meta.db_table, n, n,
                                   verdict.kind.value, verdict.reason)
            elif rel.kind is RelKind.M2M and rel.auto_through and rel.target in inside:
                through = rel.through
                assert through is not None
                src = field_of(through, rel.field.m2m_field_name()).attname
                dst = field_of(through, rel.field.m2m_reverse_field_name()).attname
                target_rows = tenant_rows(registry, rel.target, tenant_pks, alias).values("pk")
                qs = through._base_manager.using(alias).filter(**{f"{dst}__in": target_rows})
                if keep:
                    owners = [v for v in qs.order_by().values_list(src, flat=True).iterator() if v not in keep]
                    rows, holders = len(owners), len(set(owners))
                else:
                    rows, holders = qs.count(), qs.order_by().values(src).distinct().count()
                link = OutsideLink("m2m", _label(model), rel.name, _label(rel.target), through._meta.db_table,
                                   rows, holders, verdict.kind.value, verdict.reason)
            if link is not None and link.rows:
                found.append(link)
    return found


def _content_type_ids(alias: str, chosen: Collection[type[Model]]) -> dict[type[Model], int]:
    """The content type ids of the ``chosen`` models in ``alias``, read in one query; a model without a
    ContentType row has none (no generic foreign key can point at it). ``get_for_model`` is not used: it
    creates missing rows, and the export reads in a read-only transaction."""
    from django.contrib.contenttypes.models import ContentType

    wanted = {(m._meta.app_label, m._meta.model_name): m for m in chosen}
    rows = ContentType.objects.db_manager(alias).filter(app_label__in={app for app, _ in wanted})
    return {wanted[(app, name)]: pk for pk, app, name in rows.values_list("pk", "app_label", "model")
            if (app, name) in wanted}


def _gfk_into(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], model: type[Model],
              gfk: Any, cts: Mapping[type[Model], int]) -> Q:
    """Rows of ``model`` whose generic foreign key ``gfk`` names a row of the tenant: per content type of a
    model inside, an object id among that model's rows in the tenant (cast to the object id's type when the
    primary key is of another; an integer object id cannot name a row whose key is not an integer)."""
    ct_attname = field_of(model, gfk.ct_field).attname
    fk_field = field_of(model, gfk.fk_field)
    text_id = isinstance(fk_field, (models.CharField, models.TextField))
    q = Q(pk__in=[])
    for target, ct_id in cts.items():
        pk: Any = target._meta.pk
        while pk is not None and pk.is_relation:  # multi-table inheritance: the parent's key
            pk = pk.target_field
        rows = tenant_rows(registry, target, tenant_pks, alias)
        if isinstance(pk, models.IntegerField) and isinstance(fk_field, models.IntegerField):
            ids = rows.values("pk")
        elif text_id:
            ids = rows.annotate(_tc_object_id=Cast("pk", output_field=models.TextField())).values("_tc_object_id")
        elif type(pk) is type(fk_field):
            ids = rows.values("pk")
        else:
            continue
        q |= Q(**{ct_attname: ct_id, f"{fk_field.attname}__in": ids})
    return q


def _count_not_carried(qs: QuerySet[Any], column: str, keep: set[Any]) -> int:
    if not keep:
        return qs.count()
    return sum(1 for v in qs.order_by().values_list(column, flat=True).iterator() if v not in keep)


def _label(model: type[Model]) -> str:
    return str(model._meta.label_lower)


def _concrete_models() -> Iterable[type[Model]]:
    for model in apps.get_models():
        if not model._meta.proxy:
            yield model
