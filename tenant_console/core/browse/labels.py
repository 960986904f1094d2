"""Short human labels for objects, fetched in batches (one query per target model).

Used for FK columns and links. Labels come from the model's own columns
(``name``, ``title``, ``slug``...), never from ``__str__``, which may run a query
per object (``SpeakerProfile.__str__`` reads its user) and turn a page of 100 rows
into 100 queries. A target outside the active tenant is flagged, because a
cross-tenant reference is exactly what an ops engineer needs to notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry

LABEL_FIELDS = ("name", "title", "slug", "username", "email", "tag", "question", "code", "label",
                "action_type", "description")


@dataclass(frozen=True)
class Label:
    text: str
    #: The target is scoped and not in the active tenant (a cross-tenant reference).
    foreign: bool = False


def label_fields(model: type[Model], registry: ScopeRegistry) -> list[str]:
    dims = registry.tenant_dimensions_of(model)
    if dims:
        return [f for f in registry.dimensions[dims[0]].label_fields() if f != "pk"]
    names = {f.name for f in model._meta.concrete_fields}
    return [n for n in LABEL_FIELDS if n in names][:2]


def label_of(obj: Model, registry: ScopeRegistry) -> str:
    model = type(obj)
    dims = registry.tenant_dimensions_of(model)
    if dims:
        return registry.dimensions[dims[0]].label(obj)
    fields = label_fields(model, registry)
    values = [str(getattr(obj, f)) for f in fields if getattr(obj, f, None) not in (None, "")]
    if values:
        text = values[0] if len(values) == 1 or values[0] == values[1] else f"{values[0]} ({values[1]})"
        return f"#{obj.pk} {text}"
    return f"{model.__name__} #{obj.pk}"


def labels_for(model: type[Model], pks: Iterable[Any], registry: ScopeRegistry,
               tenant_pks: Mapping[str, Any], alias: str | None = None) -> dict[Any, Label]:
    """``{pk: Label}`` for the given pks of ``model`` (base manager: labels are shown even
    for rows outside the scope, flagged ``foreign`` so the user sees the reference)."""
    wanted = {pk for pk in pks if pk is not None}
    if not wanted:
        return {}
    qs = model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    fields = label_fields(model, registry)
    objs = list(qs.filter(pk__in=wanted).only(*fields) if fields else qs.filter(pk__in=wanted).only("pk"))
    inside: set[Any] | None = None
    q = registry.tenant_q(model, tenant_pks) if tenant_pks else None
    if q is not None and q and registry.is_scoped(model):
        inside = set(qs.filter(q, pk__in=wanted).values_list("pk", flat=True))
    result = {}
    for obj in objs:
        result[obj.pk] = Label(label_of(obj, registry), foreign=inside is not None and obj.pk not in inside)
    for pk in wanted - set(result):
        result[pk] = Label(f"{model.__name__} #{pk} (missing)", foreign=False)
    return result
