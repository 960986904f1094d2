"""The schema of a model as the export manifest records it, and its fingerprint.

The fixture names fields, not columns, so what decides whether a file still fits
the models is each field's name, class, nullability, length and relation target.
The shape here is the contract of docs/export-format.md; the import side computes
the same shape, so a fingerprint taken at export time can be recomputed later and
compared field by field (see :mod:`tenant_console.core.export.verify`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Field, Model


def field_schema(field: Field[Any, Any] | Any) -> dict[str, Any]:
    """``{"type", "null", ["max_length"], ["to"]}`` for one concrete or m2m field."""
    entry: dict[str, Any] = {"type": type(field).__name__, "null": bool(getattr(field, "null", False))}
    if getattr(field, "max_length", None) is not None:
        entry["max_length"] = field.max_length
    if field.is_relation and field.related_model is not None:
        entry["to"] = field.related_model._meta.label_lower
    return entry


def model_schema(model: type[Model]) -> dict[str, Any]:
    """Every concrete field and every many-to-many field of ``model``, by name."""
    opts = model._meta
    fields: dict[str, Any] = {f.name: field_schema(f) for f in opts.concrete_fields}
    fields.update({f.name: field_schema(f) for f in opts.many_to_many})
    return {"pk": opts.pk.name, "fields": fields}


def fingerprint(schema: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a schema (sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


#: The keys of a field's schema whose change can break loading the file.
COMPARED = ("type", "null", "max_length", "to")


def compare_schema(label: str, recorded: dict[str, Any], model: type[Model]) -> list[str]:
    """Every difference between a schema recorded in a manifest and ``model`` now, one line each."""
    current = model_schema(model)
    diffs: list[str] = []
    if recorded.get("pk") != current["pk"]:
        diffs.append(f"{label}: the primary key is {recorded.get('pk')!r} in the file, {current['pk']!r} now")
    theirs: dict[str, Any] = recorded.get("fields") or {}
    ours: dict[str, Any] = current["fields"]
    for name in theirs:
        if name not in ours:
            diffs.append(f"{label}.{name}: in the file ({theirs[name].get('type')}), but the model has no such "
                         "field any more")
    for name, mine in ours.items():
        if name not in theirs:
            f: Any = model._meta.get_field(name)
            # Django fills a missing string field with "", anything else NOT NULL without a default fails.
            required = (not mine["null"] and not f.has_default() and not getattr(f, "empty_strings_allowed", True)
                        and not getattr(f, "many_to_many", False) and not f.primary_key)
            note = " and is required (NOT NULL without a default), so loading will fail" if required else ""
            diffs.append(f"{label}.{name}: {mine['type']} on the model, not in the file{note}")
            continue
        other = theirs[name] or {}
        for key in COMPARED:
            if other.get(key) != mine.get(key):
                diffs.append(f"{label}.{name}: {key} is {other.get(key)!r} in the file, {mine.get(key)!r} now")
    return diffs
