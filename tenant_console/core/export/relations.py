"""Which references a row of a model carries, and the order models must be written in.

An export must contain, or explicitly list as dangling, every row its rows refer
to; otherwise ``loaddata`` fails at the end on a constraint. These are the
references a fixture carries: concrete forward foreign keys and one-to-ones
(multi-table parent links included), many-to-many fields with an auto-created
``through`` table (serialized inside the row), and generic foreign keys (a
content type plus an object id, which no constraint protects).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model

from tenant_console.core.graph.relations import Kind
from tenant_console.core.graph.relations import relations_of as model_relations

N = TypeVar("N")


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
    """Every reference a serialized row of ``model`` carries (its own and its multi-table parents' fields).

    A view of :func:`tenant_console.core.graph.relations.relations_of`, the one
    place that reads Django's relation metadata: the forward kinds a fixture
    row carries, named from ``model``'s side.
    """
    found: list[Relation] = []
    for owner in (*reversed(model._meta.get_parent_list()), model):
        for rel in model_relations(owner):
            if rel.kind in (Kind.FK, Kind.O2O, Kind.PARENT):
                found.append(Relation(model, rel.name, "fk", rel.target, rel.field))
            elif rel.kind is Kind.M2M and rel.auto_through:
                found.append(Relation(model, rel.name, "m2m", rel.target, rel.field))
            elif rel.kind is Kind.GFK and owner is model:
                found.append(Relation(model, rel.name, "gfk", None, rel.field))
    return found


def sort_by_dependencies(nodes: Iterable[N], hard: Mapping[N, set[N]], soft: Mapping[N, set[N]],
                         key: Callable[[N], str]) -> list[N]:
    """``nodes`` ordered so that each comes after what it depends on; the one topological sort of the tool.

    ``hard`` dependencies are references a row cannot be written without (a non-nullable foreign key, a
    multi-table parent link); ``soft`` ones can be filled in later (a nullable foreign key, a many-to-many
    link). A cycle is broken at a soft dependency: of the nodes whose hard dependencies are all placed,
    the one with the fewest open soft ones (then by ``key``) goes first. So a user and the profile picture
    that points at it (``Picture.owner`` non-nullable, ``User.picture`` nullable) load user first, which
    is what ``loaddata`` needs when the user is referenced by natural key. Only a cycle of hard
    dependencies alone, which no database could load row by row, falls back to the fewest open ones.
    """
    items = list(nodes)
    inside = set(items)
    open_hard = {n: {d for d in hard.get(n, ()) if d in inside and d != n} for n in items}
    open_soft = {n: {d for d in soft.get(n, ()) if d in inside and d != n} - open_hard[n] for n in items}
    ordered: list[N] = []
    pending = set(items)
    while pending:
        ready = sorted((n for n in pending if not open_hard[n] and not open_soft[n]), key=key)
        if not ready:  # a cycle: break it at a nullable reference if there is one
            candidates = [n for n in pending if not open_hard[n]] or list(pending)
            ready = [min(candidates, key=lambda n: (len(open_hard[n]), len(open_soft[n]), key(n)))]
        for n in ready:
            ordered.append(n)
            pending.discard(n)
        for n in pending:
            open_hard[n].difference_update(ready)
            open_soft[n].difference_update(ready)
    return ordered


def dependency_order(models: Iterable[type[Model]]) -> list[type[Model]]:
    """Models sorted so that every model comes after the models its rows refer to.

    Like ``serializers.sort_dependencies`` but over every FK, not only those to
    models with natural keys (natural-key lookups at load time need their target
    loaded first, and parents first is easier to read). Cycles follow nullability
    (:func:`sort_by_dependencies`), so plain ``loaddata`` loads every export.
    """
    models = list(models)
    hard: dict[type[Model], set[type[Model]]] = {m: set() for m in models}
    soft: dict[type[Model], set[type[Model]]] = {m: set() for m in models}
    for m in models:
        for rel in relations_of(m):
            if rel.target is None:
                continue
            nullable = rel.kind == "m2m" or bool(getattr(rel.field, "null", False))
            (soft if nullable else hard)[m].add(rel.target)
    return sort_by_dependencies(models, hard, soft, key=lambda m: m._meta.label_lower)


def uses_natural_primary_key(model: type[Model]) -> bool:
    """Whether the serializer writes this model without ``pk`` (``--natural-primary``)."""
    return hasattr(model, "natural_key")
