"""What the importer needs to know about a model: keys, references, unique sets, scope.

Computed once per model from ``_meta`` so that the planner and the apply step never
introspect per object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, Model, Q

from tenant_console.core.discovery import ScopeRegistry


@dataclass(frozen=True)
class FkInfo:
    name: str
    attname: str
    target: str  # label_lower of the model the key points to
    null: bool
    natural: bool  # the file writes the target's natural key instead of its pk
    to_pk: bool  # the FK points at the target's primary key (not a to_field)


@dataclass(frozen=True)
class M2mInfo:
    name: str
    target: str
    natural: bool
    through: type[Model]
    source_col: str  # attname on the through model of the FK to the declaring model
    target_col: str


@dataclass(frozen=True)
class GfkInfo:
    name: str
    ct_attname: str  # content_type_id
    ct_field: str  # content_type (its value in the file is a natural key)
    fk_field: str  # object_id


@dataclass
class ModelInfo:
    label: str
    model: type[Model]
    pk_name: str
    pk_attname: str
    natural: bool  # rows carry no pk in the file; identity is the natural key
    local_fields: list[Any]  # concrete fields stored in this model's own table (parent link included)
    plain: list[Any]  # local non-relational fields other than the pk
    fks: list[FkInfo]
    m2ms: list[M2mInfo]
    gfks: list[GfkInfo]
    parent_link: FkInfo | None  # multi-table inheritance: the pk is also a key of the parent
    unique_sets: list[tuple[str, ...]]  # attnames of unique fields, unique_together, UniqueConstraints
    #: Unique constraints with a condition or over expressions (:class:`UniqueRule`), checked apart.
    unique_rules: list[UniqueRule] = field(default_factory=list)
    scope_paths: dict[str, str] = field(default_factory=dict)
    tenant_dimensions: list[str] = field(default_factory=list)

    @property
    def scoped(self) -> bool:
        return bool(self.scope_paths)

    @functools.cached_property
    def fields_by_attname(self) -> dict[str, Any]:
        """The local concrete fields by attname (``event_id`` -> the ``event`` FK)."""
        return {f.attname: f for f in self.local_fields}

    def field_by_name(self, name: str) -> Any:
        return self.model._meta.get_field(name)


def uses_natural_key(model: type[Model]) -> bool:
    return hasattr(model, "natural_key") and hasattr(model._default_manager, "get_by_natural_key")


def _fk(f: Any) -> FkInfo:
    target = f.related_model
    return FkInfo(name=f.name, attname=f.attname, target=target._meta.label_lower, null=f.null,
                  natural=uses_natural_key(target), to_pk=f.target_field.primary_key)


#: Functions a unique expression may apply to a column that the plan evaluates in Python (and, on the
#: target, with the same Django function).
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "lower": lambda v: v.lower() if isinstance(v, str) else v,
    "upper": lambda v: v.upper() if isinstance(v, str) else v,
}


@dataclass(frozen=True)
class UniqueRule:
    """A unique constraint that binds only the rows its ``condition`` holds for (pretix's
    ``TaxRule.one_default_per_event``: ``fields=["event"], condition=Q(default=True)``), or whose
    values are expressions (``UniqueConstraint(Lower("tag"), "event")``), or both.

    ``names`` are the columns it reads: the clash set, what a rename changes. ``functions`` gives per
    column ``None`` (the value itself) or a key of :data:`FUNCTIONS`. A rule with an expression the plan
    cannot evaluate (any other function, arithmetic, a lookup through a relation) is not ``checkable``:
    the plan says so, and the database decides at the insert.
    """

    name: str
    names: tuple[str, ...]
    functions: tuple[str | None, ...]
    condition: Q | None
    checkable: bool = True
    expression: str = ""  # the constraint's expressions as written, for a rule that cannot be checked

    def parts(self) -> str:
        """``lower(tag), event_id``."""
        return ", ".join(n if fn is None else f"{fn}({n})" for n, fn in zip(self.names, self.functions, strict=True))


def _expression_part(expr: Any, opts: Any) -> tuple[str, str | None] | None:
    """``(attname, function)`` of one expression of a unique constraint, or None if the plan cannot evaluate it."""
    from django.db.models.functions import Lower, Upper

    function: str | None = None
    if isinstance(expr, (Lower, Upper)):
        sources = expr.get_source_expressions()
        if len(sources) != 1:
            return None
        function, expr = ("lower" if isinstance(expr, Lower) else "upper"), sources[0]
    name = getattr(expr, "name", "") if type(expr) is F else ""
    if not name or "__" in name:
        return None
    try:
        f = opts.get_field(name)
    except FieldDoesNotExist:
        return None
    if not f.concrete or f.many_to_many:
        return None
    return f.attname, function


def _unique_rules(model: type[Model]) -> tuple[list[tuple[str, ...]], list[UniqueRule]]:
    """The unique constraints beyond plain field sets: expressions that are all plain columns and have no
    condition (pretix's ``UniqueConstraint("organizer", "secret")``) are field sets; the rest are rules."""
    opts: Any = model._meta
    sets: list[tuple[str, ...]] = []
    rules: list[UniqueRule] = []
    total = set(map(id, opts.total_unique_constraints))
    for c in opts.constraints:
        if not isinstance(c, models.UniqueConstraint) or id(c) in total:
            continue
        if c.expressions:
            parts = [_expression_part(e, opts) for e in c.expressions]
        else:
            parts = [(opts.get_field(n).attname, None) for n in c.fields]
        if any(p is None for p in parts):
            rules.append(UniqueRule(c.name, (), (), c.condition, checkable=False,
                                    expression=", ".join(str(e) for e in c.expressions) or ", ".join(c.fields)))
            continue
        names = tuple(p[0] for p in parts if p is not None)
        functions = tuple(p[1] for p in parts if p is not None)
        if c.condition is None and not any(functions):
            sets.append(names)
        else:
            rules.append(UniqueRule(c.name, names, functions, c.condition))
    return sets, rules


def _unique_sets(model: type[Model]) -> list[tuple[str, ...]]:
    opts: Any = model._meta
    sets: list[tuple[str, ...]] = []
    for f in opts.local_concrete_fields:
        if f.unique and not f.primary_key:
            sets.append((f.attname,))
    for names in opts.unique_together:
        sets.append(tuple(opts.get_field(n).attname for n in names))
    for c in opts.total_unique_constraints:  # UniqueConstraints without condition or expressions
        sets.append(tuple(opts.get_field(n).attname for n in c.fields))
    sets += _unique_rules(model)[0]
    local = {f.attname for f in opts.local_concrete_fields}
    seen: list[tuple[str, ...]] = []
    for s in sets:
        if s not in seen and set(s) <= local:
            seen.append(s)
    return seen


@functools.cache
def _model_info(model: type[Model]) -> ModelInfo:
    opts = model._meta
    local = [f for f in opts.local_concrete_fields]
    parent = None
    fks: list[FkInfo] = []
    for f in local:
        if (f.is_relation and f.many_to_one) or (f.is_relation and f.one_to_one):
            info = _fk(f)
            if getattr(f.remote_field, "parent_link", False) and f.primary_key:
                parent = info
            else:
                fks.append(info)
    m2ms = []
    for f in opts.local_many_to_many:
        through: Any = f.remote_field.through
        m2ms.append(M2mInfo(name=f.name, target=f.related_model._meta.label_lower,
                            natural=uses_natural_key(f.related_model), through=through,
                            source_col=through._meta.get_field(f.m2m_field_name()).attname,
                            target_col=through._meta.get_field(f.m2m_reverse_field_name()).attname))
    gfks = []
    for pf in opts.private_fields:
        if isinstance(pf, GenericForeignKey):
            ct: Any = opts.get_field(pf.ct_field)
            gfks.append(GfkInfo(name=pf.name, ct_attname=ct.attname, ct_field=pf.ct_field, fk_field=pf.fk_field))
    plain = [f for f in local if not f.is_relation and not f.primary_key]
    return ModelInfo(
        label=opts.label_lower, model=model, pk_name=opts.pk.name, pk_attname=opts.pk.attname,
        natural=uses_natural_key(model), local_fields=local, plain=plain, fks=fks,
        m2ms=[m for m in m2ms if m.through._meta.auto_created], gfks=gfks, parent_link=parent,
        unique_sets=_unique_sets(model),
        unique_rules=[r for r in _unique_rules(model)[1]
                      if not r.checkable or set(r.names) <= {f.attname for f in local}],
    )


def model_info(model: type[Model], registry: ScopeRegistry | None = None) -> ModelInfo:
    info = _model_info(model)
    if registry is not None and not info.scope_paths and not info.tenant_dimensions:
        scope = registry.scope_of(model)
        if scope is not None:
            info.scope_paths = dict(scope.paths)
        info.tenant_dimensions = registry.tenant_dimensions_of(model)
    return info


@functools.cache
def get_model(label: str) -> type[Model] | None:
    """``apps.get_model`` by ``app_label.modelname``, cached (called for every reference of every row)."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def is_auto_pk(model: type[Model]) -> bool:
    return isinstance(model._meta.pk, (models.AutoField, models.BigAutoField, models.SmallAutoField))


def is_integer_pk(model: type[Model]) -> bool:
    return isinstance(model._meta.pk, models.IntegerField) and not model._meta.pk.is_relation
