"""Every way one model refers to another, as one flat list per model.

Django spreads relations over ``local_fields`` (FK, one-to-one, parent links),
``local_many_to_many``, ``private_fields`` (generic foreign keys and generic
relations) and the auto-created reverse descriptors. The walker, the audit and
the graph browser all need the same answer to "what hangs off this model?", so
it is computed here once, per concrete model, and cached.

Relations are attached to the model that *declares* them: a multi-table child
(``ChoiceQuestion``) lists its own fields and its ``parent`` link, not the
inherited ``event`` FK, which belongs to the parent row (``Question``). That
keeps each edge in a graph exactly once.

A reverse relation is *owning* when the rows on the other side cannot outlive
the source: ``on_delete`` CASCADE, PROTECT or RESTRICT, a ``GenericRelation``
(Django deletes those rows with the object) and a multi-table child. That is
the "belongs to it" of an export; a ``SET_NULL`` back-reference (another talk
that is marked a duplicate of this one) is not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Model


class Kind(str, enum.Enum):
    """How a relation is stored; forward kinds come first."""

    FK = "fk"
    O2O = "o2o"
    PARENT = "parent"  # multi-table inheritance: the child row's link to its parent row
    M2M = "m2m"
    GFK = "gfk"  # GenericForeignKey (content type + object id)
    REVERSE_FK = "reverse_fk"
    REVERSE_O2O = "reverse_o2o"
    CHILD = "child"  # multi-table inheritance: the parent row's child row
    REVERSE_M2M = "reverse_m2m"
    GENERIC_RELATION = "generic_relation"  # a declared GenericRelation
    GENERIC_REVERSE = "generic_reverse"  # a GenericForeignKey elsewhere that may point here (undeclared)

    @property
    def forward(self) -> bool:
        return self in _FORWARD


_FORWARD = {Kind.FK, Kind.O2O, Kind.PARENT, Kind.M2M, Kind.GFK}
OWNING_ON_DELETE = {models.CASCADE, models.PROTECT, models.RESTRICT}


def model_key(model: type[Model]) -> str:
    """``conference.submission``: the concrete model's ``label_lower``, used in node keys."""
    return model._meta.concrete_model._meta.label_lower  # type: ignore[union-attr]


@dataclass(frozen=True)
class Relation:
    """One relation leaving ``model``.

    ``target`` is None only for a generic foreign key, whose target model is per row.
    ``field`` is the Django field (forward, generic relation) or the reverse
    descriptor's ``ForeignObjectRel``; for ``GENERIC_REVERSE`` it is the
    ``GenericForeignKey`` on the other model.
    """

    model: type[Model]
    name: str
    kind: Kind
    target: type[Model] | None
    field: Any
    through: type[Model] | None = None
    owning: bool = False
    hidden: bool = False
    nullable: bool = False

    @property
    def forward(self) -> bool:
        return self.kind.forward

    @property
    def many(self) -> bool:
        """Can one source object have several related objects through it?"""
        return self.kind in (Kind.M2M, Kind.REVERSE_FK, Kind.REVERSE_M2M, Kind.GENERIC_RELATION,
                             Kind.GENERIC_REVERSE)

    @cached_property
    def label(self) -> str:
        """``conference.submission.reviews`` (lower case, used by ``stop_at`` rules)."""
        return f"{model_key(self.model)}.{self.name}".lower()

    @property
    def auto_through(self) -> bool:
        return self.through is not None and bool(self.through._meta.auto_created)

    @cached_property
    def target_key(self) -> str | None:
        """The target's model key (``conference.review``); None for a generic FK."""
        return model_key(self.target) if self.target is not None else None

    @property
    def target_label(self) -> str:
        return self.target._meta.label if self.target is not None else "(any)"

    def describe(self) -> str:
        """``reviews → conference.Review (reverse fk)`` for people."""
        return f"{self.name} → {self.target_label} ({self.kind.value.replace('_', ' ')})"


def concrete(model: type[Model]) -> type[Model]:
    return model._meta.concrete_model or model  # type: ignore[return-value]


def _contenttypes_installed() -> bool:
    return apps.is_installed("django.contrib.contenttypes")


def _generic_classes() -> tuple[type, type, type]:
    from django.contrib.contenttypes.fields import GenericForeignKey, GenericRel, GenericRelation

    return GenericForeignKey, GenericRelation, GenericRel


_CACHE: dict[type[Model], tuple[Relation, ...]] = {}


def field_of(model: type[Model], name: str) -> Any:
    """``model._meta.get_field(name)``, typed loosely: Django's stubs give a union without attname."""
    return model._meta.get_field(name)


def relations_of(model: type[Model]) -> tuple[Relation, ...]:
    """All relations declared on (or pointing at) ``model``'s concrete model, forward first (cached)."""
    model = concrete(model)
    if model not in _CACHE:
        _CACHE[model] = _relations_of(model)
    return _CACHE[model]


def _relations_of(model: type[Model]) -> tuple[Relation, ...]:
    opts = model._meta
    found: list[Relation] = []
    gfk_cls: Any = None
    grel_cls: Any = None
    grel_rel_cls: Any = None
    if _contenttypes_installed():
        gfk_cls, grel_cls, grel_rel_cls = _generic_classes()

    for f in opts.local_fields:
        if not f.is_relation or f.remote_field is None:
            continue
        target = concrete(f.related_model)  # type: ignore[arg-type]
        kind = (Kind.PARENT if f.remote_field.parent_link else Kind.O2O) if f.one_to_one else Kind.FK
        found.append(Relation(model, f.name, kind, target, f, nullable=bool(f.null)))
    for f in opts.local_many_to_many:
        through = f.remote_field.through  # type: ignore[union-attr]
        found.append(Relation(model, f.name, Kind.M2M, concrete(f.related_model), f, through=through))  # type: ignore[arg-type]
    for f in opts.private_fields:
        if gfk_cls is not None and isinstance(f, gfk_cls):
            found.append(Relation(model, f.name, Kind.GFK, None, f, nullable=True))
        elif grel_cls is not None and isinstance(f, grel_cls):
            found.append(Relation(model, f.name, Kind.GENERIC_RELATION, concrete(f.related_model), f,
                                  owning=True))

    declared_generic: set[tuple[type[Model], str]] = set()
    for r in found:
        if r.kind is Kind.GENERIC_RELATION and r.target is not None:
            declared_generic.add((r.target, r.field.object_id_field_name))

    rel: Any
    for rel in opts.get_fields(include_parents=False, include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        if grel_rel_cls is not None and isinstance(rel, grel_rel_cls):
            continue  # the hidden back side of a GenericRelation
        related = concrete(rel.related_model)
        hidden = rel.hidden if hasattr(rel, "hidden") else False
        name = rel.get_accessor_name() if not hidden else None
        if not name:
            name = f"{related._meta.model_name}_{rel.field.name}+"
        if rel.many_to_many:
            found.append(Relation(model, name, Kind.REVERSE_M2M, related, rel, through=rel.through,
                                  hidden=hidden))
            continue
        if related._meta.auto_created:
            continue  # the FK of an auto-created m2m table: covered by the m2m relation itself
        on_delete = getattr(rel, "on_delete", None)
        if rel.one_to_one:
            kind = Kind.CHILD if rel.field.remote_field.parent_link else Kind.REVERSE_O2O
        else:
            kind = Kind.REVERSE_FK
        owning = kind is Kind.CHILD or on_delete in OWNING_ON_DELETE
        found.append(Relation(model, name, kind, related, rel, owning=owning, hidden=hidden))

    if gfk_cls is not None:
        for other in apps.get_models():
            if other._meta.proxy:
                continue
            for f in other._meta.private_fields:
                if not isinstance(f, gfk_cls) or (concrete(other), f.fk_field) in declared_generic:
                    continue
                name = f"{other._meta.model_name}_{f.name}"
                found.append(Relation(model, name, Kind.GENERIC_REVERSE, concrete(other), f, hidden=True))

    order = {k: i for i, k in enumerate(Kind)}
    return tuple(sorted(found, key=lambda r: (order[r.kind], r.name)))


def relation_named(model: type[Model], name: str) -> Relation:
    """The relation ``name`` of ``model``; KeyError names the known ones."""
    for r in relations_of(model):
        if r.name == name:
            return r
    known = ", ".join(r.name for r in relations_of(model))
    raise KeyError(f"{model._meta.label} has no relation {name!r} (known: {known})")


def fk_source_attname(fk: Any) -> str:
    """The column on the *target* side an FK refers to (``id`` unless ``to_field`` is set)."""
    return fk.target_field.attname


def generic_ct_for(model: type[Model], alias: str, *, for_concrete_model: bool = True) -> Any:
    """The ContentType row of ``model`` on ``alias`` (Django caches it per alias)."""
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.db_manager(alias).get_for_model(model, for_concrete_model=for_concrete_model)
