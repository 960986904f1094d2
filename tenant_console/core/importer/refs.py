"""References inside an export: what each row points at, and where a reference ends up.

A reference is ``(label, key)``: the model it points at and the key the file uses
for it (the pk, or the natural key tuple for models serialized by natural key).
FKs, many-to-many values and generic foreign keys are all read here, so that the
planner, the dependency check of skipped objects and the apply step agree on what
"every reference" means.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType

from tenant_console.core.importer.meta import ModelInfo, get_model
from tenant_console.core.importer.reader import Row

Ref = tuple[str, Any]


def ref_key(natural: bool, raw: Any, target_model: Any) -> Any:
    """The key of a referenced object as the file writes it."""
    if natural and isinstance(raw, (list, tuple)):
        return tuple(raw)
    try:
        return target_model._meta.pk.to_python(raw)
    except Exception:
        return raw


class RefReader:
    """Reads references out of rows; caches what content types point at."""

    def __init__(self, infos: dict[str, ModelInfo]) -> None:
        self.infos = infos
        self._ct_labels: dict[Any, str | None] = {}

    def ct_label(self, raw: Any) -> str | None:
        """The model label a content-type reference (natural key or pk) stands for."""
        key = tuple(raw) if isinstance(raw, list) else raw
        if key in self._ct_labels:
            return self._ct_labels[key]
        label: str | None = None
        if isinstance(key, tuple) and len(key) == 2:
            label = f"{key[0]}.{key[1]}"
        else:
            ct = ContentType.objects.filter(pk=key).first()
            label = f"{ct.app_label}.{ct.model}" if ct else None
        self._ct_labels[key] = label
        return label

    def fk_refs(self, row: Row) -> Iterator[tuple[str, Ref, bool]]:
        """(field name, reference, nullable) for each non-null FK of the row (parent link included)."""
        info = self.infos[row.label]
        fields = row.fields
        if info.parent_link is not None and row.pk is not None:
            yield info.parent_link.name, (info.parent_link.target, row.pk), False
        for fk in info.fks:
            raw = fields.get(fk.name)
            if raw is None:
                continue
            target = get_model(fk.target)
            yield fk.name, (fk.target, ref_key(fk.natural, raw, target)), fk.null

    def m2m_refs(self, row: Row) -> Iterator[tuple[str, Ref]]:
        info = self.infos[row.label]
        for m in info.m2ms:
            values = row.fields.get(m.name) or ()
            target = get_model(m.target)
            for raw in values:
                yield m.name, (m.target, ref_key(m.natural, raw, target))

    def gfk_refs(self, row: Row) -> Iterator[tuple[str, Ref]]:
        info = self.infos[row.label]
        for g in info.gfks:
            ct = row.fields.get(g.ct_field)
            oid = row.fields.get(g.fk_field)
            if ct is None or oid is None:
                continue
            label = self.ct_label(ct)
            model = get_model(label) if label else None
            if model is None:
                continue
            yield g.fk_field, (model._meta.label_lower, ref_key(False, oid, model))

    def m2m_refs_kinds(self, row: Row) -> Iterator[tuple[str, str, Ref, bool]]:
        for name, ref in self.m2m_refs(row):
            yield "m2m", name, ref, True

    def all_refs(self, row: Row) -> Iterator[tuple[str, str, Ref, bool]]:
        """(kind, field, reference, detachable) for every reference of the row."""
        for name, ref, null in self.fk_refs(row):
            yield "fk", name, ref, null
        for name, ref in self.m2m_refs(row):
            yield "m2m", name, ref, True
        for name, ref in self.gfk_refs(row):
            yield "gfk", name, ref, False
