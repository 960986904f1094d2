"""One object, every field: what the detail pane shows.

Choices by their display value, JSON pretty-printed, long text kept whole (the
UI wraps it), FKs as links that can be followed, many-to-many as a short list of
links with the total, and a GenericForeignKey as a link to its target. The
object itself is fetched through the scoped queryset, so an object of another
tenant is "not visible in this scope" rather than silently shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from tenant_console.core.browse.access import NotVisible, visible_object  # noqa: F401  (NotVisible: re-exported)
from tenant_console.core.browse.catalog import get_model
from tenant_console.core.browse.counts import hidden_by_default_manager
from tenant_console.core.browse.labels import labels_for
from tenant_console.core.browse.rows import format_value
from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.plural import counted
from tenant_console.core.scope import ScopeState

M2M_PREVIEW = 20


@dataclass(frozen=True)
class Link:
    model: str
    pk: Any
    label: str
    foreign: bool = False


@dataclass(frozen=True)
class FieldView:
    name: str
    kind: str  # value, text, json, fk, m2m, generic
    text: str
    links: tuple[Link, ...] = ()
    null: bool = False
    help: str = ""


@dataclass(frozen=True)
class ObjectView:
    model: str
    pk: Any
    label: str
    fields: tuple[FieldView, ...] = field(default_factory=tuple)
    #: The project's default manager that does not show this row (``Submission.objects``: a draft), if any.
    hidden_by: str | None = None


def _label(registry: ScopeRegistry, target: type[models.Model], pk: Any, scope: ScopeState,
           alias: str) -> Link:
    lab = labels_for(target, [pk], registry, scope.pks(), alias)[pk]
    return Link(model_label(target), pk, lab.text, lab.foreign)


def _many(registry: ScopeRegistry, name: str, related: type[models.Model], rel_qs: Any, scope: ScopeState,
          alias: str) -> FieldView:
    """A to-many relation: its total, a preview of links (other tenants' first), and a warning naming
    how many of them lead into another tenant."""
    total = rel_qs.count()
    foreign_pks: list[Any] = []
    q = registry.tenant_q(related, scope.pks()) if scope.is_active else None
    if q is not None and q and registry.is_scoped(related):
        foreign_pks = list(rel_qs.exclude(q).values_list("pk", flat=True)[:M2M_PREVIEW])
        foreign = rel_qs.exclude(q).count() if len(foreign_pks) == M2M_PREVIEW else len(foreign_pks)
    else:
        foreign = 0
    rest = list(rel_qs.exclude(pk__in=foreign_pks).values_list("pk", flat=True)[:M2M_PREVIEW - len(foreign_pks)])
    pks = foreign_pks + rest
    labs = labels_for(related, pks, registry, scope.pks(), alias)
    links = tuple(Link(model_label(related), p, labs[p].text, labs[p].foreign) for p in pks)
    more = f" (showing {len(links)} of {total})" if total > len(links) else ""
    note = f"  ⚠ {foreign} in another tenant" if foreign else ""
    meta = related._meta
    how_many = counted(total, str(meta.verbose_name), str(meta.verbose_name_plural))
    return FieldView(name, "m2m", f"{how_many}{more}{note}", links)


def _foreign_reverse(registry: ScopeRegistry, model: type[models.Model], obj: models.Model, scope: ScopeState,
                     alias: str) -> list[FieldView]:
    """Reverse relations (other rows pointing here) that hold rows of another tenant, flagged like a
    foreign key; reverse relations within the tenant are the graph's business, not listed here."""
    out: list[FieldView] = []
    for rel in model._meta.related_objects:
        related = rel.related_model
        if not isinstance(rel.field, (models.ForeignKey, models.ManyToManyField)) or not registry.is_scoped(related):
            continue
        q = registry.tenant_q(related, scope.pks())
        if q is None or not q:
            continue
        rel_qs = related._base_manager.using(alias).filter(**{rel.field.name: obj.pk})
        if not rel_qs.exclude(q).exists():
            continue
        field = _many(registry, rel.get_accessor_name() or rel.name, related, rel_qs, scope, alias)
        out.append(FieldView(f"← {field.name}", "m2m", field.text, field.links))
    return out


def object_view(registry: ScopeRegistry, label: str, pk: Any, scope: ScopeState) -> ObjectView:
    model = get_model(label)
    obj = visible_object(registry, label, pk, scope)  # the rule every path that opens an object asks
    alias = obj._state.db or "default"
    out: list[FieldView] = []
    for f in model._meta.concrete_fields:
        value = getattr(obj, f.attname)
        help_text = str(f.help_text or "")
        if value is None:
            out.append(FieldView(f.name, "value", "∅ (null)", null=True, help=help_text))
        elif f.is_relation and f.related_model is not None:
            link = _label(registry, f.related_model, value, scope, alias)
            note = "  ⚠ belongs to another tenant" if link.foreign else ""
            out.append(FieldView(f.name, "fk", f"{link.label}{note}", (link,), help=help_text))
        elif f.choices:
            display = dict(f.flatchoices).get(value, value)
            out.append(FieldView(f.name, "value", f"{display}  [{value}]", help=help_text))
        elif isinstance(f, models.JSONField):
            out.append(FieldView(f.name, "json", json.dumps(value, indent=2, ensure_ascii=False, default=str),
                                 help=help_text))
        elif isinstance(f, models.TextField) or (isinstance(value, str) and len(value) > 80):
            out.append(FieldView(f.name, "text", str(value), help=help_text))
        elif isinstance(f, models.FileField):
            out.append(FieldView(f.name, "value", str(value) or "(no file)", help=help_text))
        else:
            out.append(FieldView(f.name, "value", format_value(value), help=help_text))
    for f in model._meta.many_to_many:
        # Through the base manager: the target's default manager (a ScopedManager) would leave out the
        # links into another tenant, which are exactly the ones to show. Flagged like a foreign key.
        related = f.related_model
        rel_qs = related._base_manager.using(alias).filter(**{f.related_query_name(): obj.pk})
        out.append(_many(registry, f.name, related, rel_qs, scope, alias))
    if scope.is_active:
        out.extend(_foreign_reverse(registry, model, obj, scope, alias))
    from django.contrib.contenttypes.fields import GenericForeignKey  # needs the app registry

    for f in model._meta.private_fields:
        if isinstance(f, GenericForeignKey):
            ct_id = getattr(obj, getattr(model._meta.get_field(f.ct_field), "attname", f.ct_field + "_id"))
            obj_id = getattr(obj, f.fk_field)
            if ct_id is None or obj_id is None:
                out.append(FieldView(f.name, "generic", "∅ (null)", null=True))
                continue
            from django.contrib.contenttypes.models import ContentType

            ct = ContentType.objects.db_manager(alias).get_for_id(ct_id)
            target = ct.model_class()
            if target is None:
                out.append(FieldView(f.name, "generic", f"{ct.app_label}.{ct.model} #{obj_id} (model gone)"))
                continue
            link = _label(registry, target, obj_id, scope, alias)
            out.append(FieldView(f.name, "generic", f"{link.model}: {link.label}", (link,)))
    own = labels_for(model, [obj.pk], registry, scope.pks(), alias)[obj.pk].text
    return ObjectView(label, obj.pk, own, tuple(out), hidden_by_default_manager(registry, model, obj.pk, scope))
