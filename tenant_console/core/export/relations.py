"""Which references a row of a model carries, and the order models must be written in.

An export must contain, or explicitly list as dangling, every row its rows refer
to; otherwise ``loaddata`` fails at the end on a constraint. These are the
references a fixture carries: concrete forward foreign keys and one-to-ones
(multi-table parent links included), many-to-many fields with an auto-created
``through`` table (serialized inside the row), and generic foreign keys (a
content type plus an object id, which no constraint protects).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.db.models import Model


@dataclass(frozen=True)
class Relation:
    """One reference-carrying field of ``model``.

    ``kind`` is ``fk`` (forward FK/one-to-one), ``m2m`` (auto-created through) or
    ``gfk`` (generic foreign key; ``target`` is None, the content type decides).
    """

    model: type[Model]
    name: str
    kind: str
    target: type[Model] | None
    field: Any

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    @property
    def target_field(self) -> str:
        """The target's field an FK stores (the pk unless ``to_field`` says otherwise)."""
        if self.kind == "fk":
            return str(self.field.target_field.attname)
        return "pk"

    def through_names(self) -> tuple[type[Model], str, str]:
        """For ``m2m``: the through model and the attnames of its source and target columns."""
        through = self.field.remote_field.through
        src = through._meta.get_field(self.field.m2m_field_name()).attname
        dst = through._meta.get_field(self.field.m2m_reverse_field_name()).attname
        return through, src, dst


def relations_of(model: type[Model]) -> list[Relation]:
    """Every reference a serialized row of ``model`` carries, in field order."""
    found: list[Relation] = []
    opts = model._meta
    for f in opts.concrete_fields:
        if f.is_relation and f.related_model is not None and (f.many_to_one or f.one_to_one):
            found.append(Relation(model, f.name, "fk", f.related_model, f))
    for f in opts.many_to_many:
        through: Any = f.remote_field.through
        if through._meta.auto_created:
            found.append(Relation(model, f.name, "m2m", f.related_model, f))
    for f in opts.private_fields:
        if isinstance(f, GenericForeignKey):
            found.append(Relation(model, f.name, "gfk", None, f))
    return found


def dependency_order(models: Iterable[type[Model]]) -> list[type[Model]]:
    """Models sorted so that every model comes after the models its rows refer to.

    Like ``serializers.sort_dependencies`` but over every FK, not only those to
    models with natural keys (natural-key lookups at load time need their target
    loaded first, and parents first is easier to read). Cycles (self references,
    mutual FKs) are broken deterministically by label; ``loaddata`` defers
    constraint checks, so any order loads, this one just avoids forward references.
    """
    pending: dict[type[Model], set[type[Model]]] = {m: set() for m in models}
    for m in pending:
        for rel in relations_of(m):
            if rel.target is not None and rel.target in pending and rel.target is not m:
                pending[m].add(rel.target)
    ordered: list[type[Model]] = []
    while pending:
        ready = sorted((m for m, deps in pending.items() if not deps), key=lambda m: m._meta.label_lower)
        if not ready:  # a cycle: take the model with the fewest open dependencies
            ready = [min(pending, key=lambda m: (len(pending[m]), m._meta.label_lower))]
        for m in ready:
            ordered.append(m)
            del pending[m]
        for deps in pending.values():
            deps.difference_update(ready)
    return ordered


def uses_natural_primary_key(model: type[Model]) -> bool:
    """Whether the serializer writes this model without ``pk`` (``--natural-primary``)."""
    return hasattr(model, "natural_key")
