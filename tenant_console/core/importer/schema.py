"""The schema of a model as the export manifest records it, and the differences that matter.

The manifest (docs/export-format.md) lists, for every exported model, each concrete
field and each many-to-many field with its ``type``, ``null`` and, for relations,
``to``. An import compares those keys only, field by field, so that a difference is
reported as "``title``: CharField in the file, TextField here" rather than as a
fingerprint mismatch that nobody can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from tenant_console.core.export.schema import field_schema, fingerprint, model_schema

__all__ = ["COMPARED", "SchemaDifference", "field_schema", "fingerprint", "schema_of"]

#: The keys of a field's schema that an import depends on.
COMPARED = ("type", "null", "to")


#: The manifest's schema shape and fingerprint are defined once, by the export that writes them.
schema_of = model_schema


@dataclass(frozen=True)
class SchemaDifference:
    """One field that differs between the file and the current model."""

    model: str
    field: str
    kind: str  # "added" (only here), "removed" (only in the file), "changed", "pk"
    detail: str

    def __str__(self) -> str:
        return f"{self.model}.{self.field}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"model": self.model, "field": self.field, "kind": self.kind, "detail": self.detail}


def compare(label: str, file_schema: dict[str, Any], model: type[Model]) -> list[SchemaDifference]:
    """Every difference between the schema recorded in the file and ``model`` as it is now."""
    current = schema_of(model)
    diffs: list[SchemaDifference] = []
    if file_schema.get("pk") not in (None, current["pk"]):
        diffs.append(SchemaDifference(label, str(file_schema.get("pk")), "pk",
                                      f"the primary key is {file_schema.get('pk')!r} in the file, "
                                      f"{current['pk']!r} here"))
    theirs: dict[str, Any] = file_schema.get("fields") or {}
    ours: dict[str, Any] = current["fields"]
    for name in theirs:
        if name not in ours:
            diffs.append(SchemaDifference(label, name, "removed",
                                          "in the file, but the model has no such field any more"))
    for name, mine in ours.items():
        if name not in theirs:
            diffs.append(SchemaDifference(label, name, "added",
                                          f"{mine['type']} on the model, not in the file"))
            continue
        other = theirs[name] or {}
        for key in COMPARED:
            if (key in other or key in mine) and other.get(key) != mine.get(key):
                diffs.append(SchemaDifference(
                    label, name, "changed",
                    f"{key} is {other.get(key)!r} in the file, {mine.get(key)!r} here"))
    return diffs
