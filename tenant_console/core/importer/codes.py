"""Unique codes a project generates at random, and how a rename makes a new one.

A rename gives a clashing text value a suffix (``talk-2``). That is wrong for a value a project
draws at random from an alphabet: pretix's ``OrderPosition.pseudonymization_id`` (ten characters of
``ABCDEFGHJKLMNPQRSTUVWXYZ3789``, unique across the whole database, the QR content of lead scanning)
or pretalx's ``Submission.code``. A copy of an event would then carry ``7YQ3KXAMTR-2``: not a code the
project would make, and one that tells whoever scans it which attendee of the original event this is,
which a pseudonym must not. Such a field gets a fresh random code of the same alphabet and length
instead, as the project's own generator would make.

Where the alphabet and length come from, first found wins:

1. ``TENANT_CONSOLE["GENERATED_CODES"] = {"app_label.Model.field": {"alphabet": "...", "length": 10}}``;
2. pretalx's convention, class attributes of the model (its ``GenerateCode`` mixin): ``code_property``
   names the field, ``code_charset`` and ``code_length`` the alphabet and length (pretalx 2024-2026;
   earlier releases spelled them with a leading underscore, which is read too);
3. what tenant-console knows of pretix (:data:`KNOWN`), whose generators keep them in local variables;
4. the field's own callable default, the project's generator for a new row (pretalx's
   ``Submission.review_code``: ``default=generate_invite_code``, a secret URL token), when it makes a
   text that fits the column.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

#: pretix 2024-2026 ``OrderPosition.assign_pseudonymization_id``: ``get_random_string(length=10,
#: allowed_chars='ABCDEFGHJKLMNPQRSTUVWXYZ3789')`` (no 1/I, O/0, and one of 2/Z, 4/A, 5/S, 6/G).
KNOWN: dict[str, tuple[str, int]] = {
    "pretixbase.orderposition.pseudonymization_id": ("ABCDEFGHJKLMNPQRSTUVWXYZ3789", 10),
}


@dataclass(frozen=True)
class CodeRule:
    alphabet: str
    length: int

    def make(self) -> str:
        return "".join(secrets.choice(self.alphabet) for _ in range(self.length))


@dataclass(frozen=True)
class DefaultRule:
    """The field's callable default makes the new value, as it makes one for a new row."""

    field: Any

    def make(self) -> str:
        return str(self.field.default())


Rule = CodeRule | DefaultRule


def generated_code(model: type[Model], field: Any) -> Rule | None:
    """How ``model``'s project generates ``field`` at random, if it does (see the module docstring); None
    also where the code would not fit the column."""
    max_length = getattr(field, "max_length", None)
    rule = _declared(model, field)
    if rule is not None and rule.alphabet and rule.length >= 1:
        return rule if max_length is None or rule.length <= max_length else None
    return _from_default(field, max_length)


def _from_default(field: Any, max_length: int | None) -> DefaultRule | None:
    """The field's callable default, if it makes text that fits (tried twice: a generator draws a new
    value each time; a constant would only clash again)."""
    default = getattr(field, "default", None)
    if not callable(default) or getattr(field, "primary_key", False):
        return None
    try:
        first, second = default(), default()
    except Exception:  # a default that needs more than a call: the suffix it is
        return None
    if not isinstance(first, str) or not isinstance(second, str) or not first or first == second:
        return None
    if max_length is not None and max(len(first), len(second)) > max_length:
        return None
    return DefaultRule(field)


def _declared(model: type[Model], field: Any) -> CodeRule | None:
    from django.conf import settings

    opts = model._meta
    name = f"{opts.label_lower}.{field.name}"
    declared = (getattr(settings, "TENANT_CONSOLE", None) or {}).get("GENERATED_CODES") or {}
    for key, spec in declared.items():
        if str(key).lower() == name:
            return CodeRule(str(spec["alphabet"]), int(spec["length"]))
    for prefix in ("", "_"):  # pretalx's GenerateCode: code_property, earlier _code_property
        if getattr(model, f"{prefix}code_property", None) == field.name:
            charset = getattr(model, f"{prefix}code_charset", None)
            length = getattr(model, f"{prefix}code_length", None)
            if charset and isinstance(length, int):
                return CodeRule("".join(charset), length)
    known = KNOWN.get(name)
    return CodeRule(*known) if known is not None else None
