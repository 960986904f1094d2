"""Comparing a value from an export with the value in the target: one normal form.

The database and Python forms of a value can differ without the value differing: a
translatable field stores NULL and reads back ``""`` (or an object whose text is empty), a
JSON number is ``1.0`` on one side and ``1`` on the other, a text field holding JSON reads
back as an object. Comparing Python objects, or their ``str()``, calls such rows "changed".

Both sides are put through what the export itself writes for the field (Django's python
serializer: the value if it is a protected type, else ``field.value_to_string``), and the
result is made canonical (JSON text parsed, numbers equal by value, mapping keys as text).
The planner asks :func:`same` for every field it compares, and nothing else decides it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import models

from tenant_console.core.export.serializer import field_value
from tenant_console.core.importer.retarget import is_new


def _carrier(field: Any, value: Any) -> Any:
    """A bare instance of the field's model that holds ``value`` (no ``__init__``, no signals)."""
    model = field.model
    obj = model.__new__(model)
    obj.__dict__[field.attname] = value
    return obj


def _value_field(field: Any) -> Any:
    """The field whose values a column holds: a foreign key's target field (through chains of them)."""
    while field.is_relation and getattr(field, "target_field", None) is not None and field.target_field is not field:
        field = field.target_field
    return field


def serialized(field: Any, value: Any) -> Any:
    """``value`` as the export writes it for ``field`` (references: as the target's key is written)."""
    if value is None or is_new(value):
        return value
    field = _value_field(field)
    try:
        value = field.to_python(value)  # "12" -> 12, 1 -> True for a BooleanField, "2.5" -> Decimal
    except Exception:
        pass
    try:
        return field_value(field, _carrier(field, value))
    except Exception:  # a value the field cannot even represent: compare it as it is
        return value


#: Text fields whose text is the value itself: their JSON-looking text is compared as text, never parsed
#: (a CharField holding "[1.0]" and one holding "[1]" differ). Subclasses (a translatable field storing
#: JSON, a settings store) are compared by the data their text holds.
PLAIN_TEXT = (models.CharField, models.TextField, models.SlugField, models.EmailField, models.URLField,
              models.GenericIPAddressField)


def _canonical(value: Any, parse_json: bool = True) -> Any:
    if value is None:
        return value
    if isinstance(value, bool):
        return ("bool", value)  # never equal to a number (True == 1 in Python, not in JSON)
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and value != value:  # NaN
            return "NaN"
        try:
            as_decimal = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except Exception:
            return value
        return as_decimal.normalize() if as_decimal.is_finite() else str(as_decimal)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, str):
        stripped = value.strip()
        if parse_json and stripped[:1] in ("{", "["):  # JSON text (a translatable field...): compare the data
            try:
                return _canonical(json.loads(stripped))
            except ValueError:
                return value
        return value
    return value


def normal(field: Any, value: Any) -> Any:
    """The one form values of ``field`` are compared in (see the module docstring)."""
    return _canonical(serialized(field, value), parse_json=type(_value_field(field)) not in PLAIN_TEXT)


def same(field: Any, a: Any, b: Any) -> bool:
    """Whether two values of ``field`` (incoming and existing, Python or database form) are the same."""
    if a is b:
        return True
    if type(a) is type(b) and not isinstance(a, (dict, list)) and a == b:
        return True  # the common case, without building the normal form (True == 1: not across types)
    if is_new(a) or is_new(b):
        return False
    na, nb = normal(field, a), normal(field, b)
    if na == nb:
        return True
    if na is None or nb is None:
        return False
    return str(na) == str(nb)  # a key the file writes as text ("12") and the database as a number


#: Column types whose normal form is cheap to state exactly: text that is its own value, and integers.
_TEXT = tuple(t for t in PLAIN_TEXT if t is not models.GenericIPAddressField)  # to_python rewrites IPv6 text
_INTEGERS = (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField,
             models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
             models.PositiveBigIntegerField, models.PositiveSmallIntegerField)
_normalizers: dict[Any, Any] = {}


def normalizer(field: Any) -> Any:
    """``normal(field, value)``, with the same result computed directly for the common cases.

    ``normal`` serializes through the field and canonicalizes (about 40 us a value); for a value of
    exactly these column types the result is known: text of a plain text field is itself, an integer
    is its ``Decimal`` normalized (what ``normal`` makes of every number). Anything else (another
    type of value, a subclass of these fields) goes through ``normal``. ``tests/importer/test_values.py`` checks
    that both agree on every value of the demo tenants. The move digest hashes every row of a tenant
    through it.
    """
    found = _normalizers.get(field)
    if found is not None:
        return found
    target = field
    while target.is_relation and getattr(target, "target_field", None) not in (None, target):
        target = target.target_field
    kind = type(target)

    def text(value: Any) -> Any:
        return value if value is None or type(value) is str else normal(field, value)

    def integer(value: Any) -> Any:
        if value is None:
            return None
        return Decimal(value).normalize() if type(value) is int else normal(field, value)

    def other(value: Any) -> Any:
        return normal(field, value)

    found = text if kind in _TEXT else integer if kind in _INTEGERS else other
    _normalizers[field] = found
    return found
