"""The project's ``CheckConstraint``s, evaluated on a row of the file in the plan.

A project that enforces a rule on its data, choices included (``CheckConstraint(condition=
Q(state__in=[...]))``), does so with a check constraint, which the database applies; ``loaddata``
and, before this, the import found out at the insert. The plan checks each row first: a row that
violates one is an ``invalid_value`` naming the constraint. Conditions made of plain lookups
(``exact``, ``in``, ``isnull``, ``gt``/``gte``/``lt``/``lte``, ``AND``/``OR``/``NOT``) are decided
in Python; any other (expressions, functions, ``F()``) by the target database itself, with Django's own
``Q.check`` (one ``SELECT`` of the values, no table read).

The same evaluation decides which rows a conditional unique constraint binds (:func:`condition_holds`,
used by the plan's unique checks): one definition of "the condition holds for this row".
"""

from __future__ import annotations

import operator
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.db.models.expressions import Value

_OPS: dict[str, Any] = {"exact": operator.eq, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
                        "lte": operator.le}


def check_constraints(model: type[models.Model]) -> list[Any]:
    return [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]


def condition_of(constraint: Any) -> Q:
    """The constraint's condition (``condition`` since Django 5.1, ``check`` before)."""
    cond = getattr(constraint, "condition", None)
    return cond if cond is not None else constraint.check


def q_holds(q: Any, values: dict[str, Any]) -> bool | None:
    """Whether ``q`` holds for ``values`` (by field name), or None when Python cannot tell (ask the database)."""
    if not isinstance(q, Q):
        return None
    results: list[bool] = []
    for child in q.children:
        if isinstance(child, Q):
            got = q_holds(child, values)
        elif isinstance(child, tuple) and len(child) == 2:
            got = _lookup(child[0], child[1], values)
        else:
            return None
        if got is None:
            return None
        results.append(got)
    held = all(results) if q.connector == Q.AND else any(results)
    return not held if q.negated else held


def _lookup(lookup: str, wanted: Any, values: dict[str, Any]) -> bool | None:
    name, _, op = lookup.partition("__")
    op = op or "exact"
    if name not in values or hasattr(wanted, "resolve_expression") or "__" in op:
        return None
    value = values[name]
    if op == "isnull":
        return (value is None) == bool(wanted)
    if value is None or wanted is None:
        return None  # SQL's unknown (which passes a CHECK): the database says what the whole condition is
    if op == "in":
        if not isinstance(wanted, (list, tuple, set, frozenset)) or None in wanted:
            return None
        return value in wanted
    compare = _OPS.get(op)
    if compare is None:
        return None
    try:
        return bool(compare(value, wanted))
    except TypeError:
        return None


def violated(model: type[models.Model], values: dict[str, Any], alias: str,
             constraints: list[Any] | None = None) -> str | None:
    """The first check constraint of ``model`` that the row ``values`` (Python values by field name and
    attname) violates, as ``constraint NAME: why``, or None. As in the database, a condition that
    comes out unknown (a NULL compared) does not fail the check."""
    for constraint in check_constraints(model) if constraints is None else constraints:
        cond = condition_of(constraint)
        held = q_holds(cond, values)
        if held is None:
            held = _database_says(cond, _against(model, values), alias, unknown=True)
        if held is False:
            fields = ", ".join(f"{k}={values[k]!r}" for k in _names(cond) if k in values)
            return f"constraint {constraint.name}: violated by {fields or 'the row'}"
    return None


def condition_holds(model: type[models.Model], cond: Q, values: dict[str, Any], alias: str) -> bool:
    """Whether a row (Python values by field name and attname) is one that a conditional unique constraint
    binds: its condition is true. Unknown (a NULL compared) is not true: as a partial index's ``WHERE``,
    the row is left out. Decided as for check constraints (:func:`q_holds`, else the target database)."""
    held = q_holds(cond, values)
    if held is None:
        held = _database_says(cond, _against(model, values), alias, unknown=False)
    return held


def condition_text(q: Any) -> str:
    """A condition as an operator reads it: ``default=True``, ``mode='organizer' and active=True``."""
    if not isinstance(q, Q):
        return str(q)
    parts = []
    for child in q.children:
        if isinstance(child, Q):
            text = condition_text(child)
            parts.append(f"({text})" if len(child.children) > 1 and not child.negated else text)
        elif isinstance(child, tuple) and len(child) == 2:
            parts.append(f"{child[0]}={child[1]!r}")
        else:
            parts.append(str(child))
    text = f" {q.connector.lower()} ".join(parts)
    return f"not ({text})" if q.negated else text


def _against(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    against = {}
    for name, value in values.items():
        try:
            f: Any = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        against[name] = Value(value, output_field=f if not f.is_relation else f.target_field)
    return against


def _database_says(cond: Q, against: dict[str, Any], alias: str, *, unknown: bool) -> bool:
    """``Q.check`` without its savepoint (the plan runs in a read-only block, whose guard refuses
    savepoints): one ``SELECT`` of the values; ``unknown`` is what a NULL outcome counts as (a CHECK
    passes it, a partial index's ``WHERE`` leaves the row out)."""
    from django.db import connections
    from django.db.models import BooleanField
    from django.db.models.functions import Coalesce
    from django.db.models.sql import Query
    from django.db.models.sql.constants import SINGLE

    query = Query(None)
    for name, value in against.items():
        query.add_annotation(value, name, select=False)
    query.add_annotation(Value(1), "_check")
    if connections[alias].features.supports_comparing_boolean_expr:
        query.add_q(Q(Coalesce(cond, unknown, output_field=BooleanField())))
    else:  # a WHERE leaves an unknown row out: right for ``unknown=False``
        query.add_q(cond)
    return query.get_compiler(using=alias).execute_sql(SINGLE) is not None


def _names(q: Any) -> list[str]:
    out: list[str] = []
    for child in getattr(q, "children", []):
        if isinstance(child, Q):
            out += [n for n in _names(child) if n not in out]
        elif isinstance(child, tuple) and child and child[0].split("__")[0] not in out:
            out.append(child[0].split("__")[0])
    return out
