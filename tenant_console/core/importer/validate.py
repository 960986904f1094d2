"""Every incoming value checked with its field's own rules, against the target database, in the plan.

``loaddata`` hands values to the database and lets it object (or not: SQLite stores a
decimal too large for its field, and text longer than ``max_length``). The plan checks each
value first, so that nothing reaches the database that the plan did not accept, and a bad
value is a conflict of class ``invalid_value`` naming the file line, model, key, field and
why, instead of a traceback at apply. The rules are the field's: ``to_python`` (type),
``null``, ``max_length``, a decimal's digits, the integer range of the target database
(``connection.ops.integer_field_range``), and what the target vendor cannot store (U+0000 in
text on PostgreSQL), plus a nesting limit for JSON values.

Choices as such are not checked: Django does not enforce them in the database, and exports of
real projects hold values of choices that were removed since. A project that enforces them does
so with a ``CheckConstraint``, which the database applies: every check constraint of the model is
evaluated on the row here (:mod:`.constraints`), so such a value is an ``invalid_value`` naming the
constraint, not a failed insert at apply.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models

from tenant_console.core.importer.meta import ModelInfo, get_model

#: JSON values nested deeper than this are refused (deeper ones overflow Python's stack when written).
MAX_JSON_DEPTH = 100
_TEXT = (models.CharField, models.TextField)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(" ".join(exc.messages).split())
    return " ".join(str(exc).split()) or type(exc).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_problem(value: Any, nul: bool) -> str | None:
    """Depth (iteratively, so that a deep value cannot overflow the stack) and U+0000 on PostgreSQL."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            if depth > MAX_JSON_DEPTH:
                return f"the JSON value is nested more than {MAX_JSON_DEPTH} levels deep"
            for k, v in current.items():
                if nul and "\x00" in k:
                    return "a JSON key contains U+0000, which PostgreSQL cannot store"
                stack.append((v, depth + 1))
        elif isinstance(current, list):
            if depth > MAX_JSON_DEPTH:
                return f"the JSON value is nested more than {MAX_JSON_DEPTH} levels deep"
            stack.extend((v, depth + 1) for v in current)
        elif nul and isinstance(current, str) and "\x00" in current:
            return "a JSON string contains U+0000, which PostgreSQL cannot store"
    return None


class Validator:
    """Checks rows for one target connection; ``check`` returns why a row is invalid, or None."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pg = connection.vendor == "postgresql"
        self._ranges: dict[str, tuple[int | None, int | None]] = {}
        self._checks: dict[Any, list[Any]] = {}

    def _range(self, field: Any) -> tuple[int | None, int | None]:
        internal = field.get_internal_type()
        if internal not in self._ranges:
            try:
                self._ranges[internal] = self.connection.ops.integer_field_range(internal)
            except (KeyError, NotImplementedError):
                self._ranges[internal] = (None, None)
        return self._ranges[internal]

    def value(self, field: Any, raw: Any) -> str | None:
        """Why ``raw`` cannot be stored in ``field`` of the target, or None."""
        if raw is None:
            if field.null:
                return None
            return "null, but the field is not nullable"
        if isinstance(field, models.JSONField):
            return _json_problem(raw, self.pg)
        try:
            value = field.to_python(raw)
        except (ValidationError, ValueError, TypeError, ArithmeticError, OverflowError) as exc:
            return f"{_short(raw)} is not a valid {field.get_internal_type()} ({_message(exc)})"
        if value is None:
            return None if field.null else "null, but the field is not nullable"
        if isinstance(field, _TEXT) and isinstance(value, str):
            if field.max_length is not None and len(value) > field.max_length:
                return f"{len(value):,} characters, the field holds at most {field.max_length:,}"
            if self.pg and "\x00" in value:
                return "the text contains U+0000 (a NUL character), which PostgreSQL cannot store"
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
            if not value.is_finite():
                return f"{_short(raw)} is not a finite number"
            try:
                DecimalValidator(field.max_digits, field.decimal_places)(value)
            except ValidationError as exc:
                return f"{_short(raw)}: {_message(exc)}"
        if isinstance(field, models.IntegerField) and isinstance(value, int):
            low, high = self._range(field)
            if (low is not None and value < low) or (high is not None and value > high):
                return (f"{_short(raw)} is outside the range of a {field.get_internal_type()} on "
                        f"{self.connection.vendor} ({low} to {high})")
        if isinstance(field, models.FloatField) and isinstance(value, float) and value != value and not self.pg:
            return f"{_short(raw)} (not a number) cannot be stored on {self.connection.vendor}"
        return None

    def check(self, info: ModelInfo, row: Any) -> str | None:
        """``field: why`` for the first invalid value of ``row``, or None."""
        fields = row.fields
        pk_field = info.model._meta.pk
        if row.pk is not None and isinstance(pk_field, models.IntegerField):
            why = self.value(pk_field, row.pk)
            if why:
                return f"{pk_field.name} (the primary key): {why}"
        for f in info.plain:
            if not f.serialize:
                continue
            if f.name not in fields:
                return f"{f.name}: the line has no value for this field"
            why = self.value(f, fields[f.name])
            if why:
                return f"{f.name}: {why}"
        for fk in info.fks:
            if fk.name not in fields:
                return f"{fk.name}: the line has no value for this field"
            raw = fields[fk.name]
            field: Any = info.model._meta.get_field(fk.name)
            if raw is None:
                if not fk.null:
                    return f"{fk.name}: null, but the field is not nullable"
                continue
            if fk.natural and isinstance(raw, list):
                continue
            target_field = field.target_field
            why = self.value(target_field, raw)
            if why:
                return f"{fk.name}: {why}"
        for m in info.m2ms:
            raw = fields.get(m.name)
            if raw is None:
                continue
            if not isinstance(raw, list):
                return f"{m.name}: {_short(raw)} is not a list of keys"
            target = get_model(m.target)
            if target is None:
                continue
            for value in raw:
                if m.natural and isinstance(value, list):
                    continue
                why = self.value(target._meta.pk, value)
                if why:
                    return f"{m.name}: {why}"
        return self._check_constraints(info, row)

    def _check_constraints(self, info: ModelInfo, row: Any) -> str | None:
        """The model's check constraints on the row's values (only once every value is valid)."""
        from tenant_console.core.importer.constraints import check_constraints, violated

        model = info.model
        checks = self._checks.get(model)
        if checks is None:
            checks = self._checks[model] = check_constraints(model)
        if not checks:
            return None
        fields = row.fields
        values: dict[str, Any] = {}
        for f in info.plain:
            if f.name in fields:
                values[f.name] = values[f.attname] = f.to_python(fields[f.name])
        for fk in info.fks:
            raw = fields.get(fk.name)
            if raw is None or not (fk.natural and isinstance(raw, list)):
                field: Any = model._meta.get_field(fk.name)
                value = None if raw is None else field.target_field.to_python(raw)
                values[fk.name] = values[field.attname] = value
        return violated(model, values, self.connection.alias, checks)
