"""An export as the importer sees it: the objects of the file by model, read once and verified.

The file is read by :class:`~tenant_console.core.export.reader.ExportReader`, the one reader
of the export format (``verify`` uses it too): manifest, size and SHA-256, streamed lines
with limits, counts against the manifest. On top of it this module checks what needs the
project's models (another project's export, models renamed since, primary keys that are not
keys) and records the schema differences. The objects' values go to a
:class:`~tenant_console.core.importer.store.RowStore` on disk as they are read; in memory, an
object is its :class:`Row` (model, key, line). Each problem is an :class:`ImportInputError` with
one paragraph; nothing is read from or written to a database here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from tenant_console.core.export.reader import ExportFileError, ExportReader
from tenant_console.core.importer.errors import ImportInputError
from tenant_console.core.importer.meta import get_model
from tenant_console.core.importer.schema import SchemaDifference, compare
from tenant_console.core.importer.store import RowStore
from tenant_console.core.tenancy.links import OutsideLink


class Row:
    """One object of the file: its model, its key in the file, its line; its fields are read when asked.

    The fields stay in the export's :class:`~tenant_console.core.importer.store.RowStore` (on disk) and
    are parsed again when a step needs them; a row built with ``fields`` keeps that dict instead.
    """

    __slots__ = ("_src", "key", "label", "line", "pk")

    def __init__(self, label: str, pk: Any, fields: dict[str, Any] | None = None, line: int = 0, key: Any = None,
                 store: RowStore | None = None) -> None:
        self.label = label
        self.pk = pk  # the pk as a Python value, or None for rows serialized with their natural key
        self.line = line
        self.key = key  # identity in the file: the pk, or the natural key tuple (filled in by the planner)
        self._src: Any = fields if store is None else store

    @property
    def fields(self) -> dict[str, Any]:
        """The raw serialized fields (as the file has them)."""
        src = self._src
        return src if type(src) is dict else src.fields(self.line)

    @property
    def ref(self) -> str:
        return f"{self.label}:{key_text(self.key)}"

    def __repr__(self) -> str:
        return f"Row({self.label}:{key_text(self.key)}, line {self.line})"


def key_text(key: Any) -> str:
    """The key as it appears in references and decisions files: ``12``, ``uuid``, ``acme``, ``a/b``."""
    if isinstance(key, tuple):
        return "/".join(str(k) for k in key)
    return str(key)


@dataclass
class Export:
    """A verified export, held in memory by model (in file order)."""

    data_path: Path
    manifest_path: Path
    manifest: dict[str, Any]
    sha256: str
    #: The objects by model, in file order; a plan puts its items (each one its row) in their place.
    rows: dict[str, Sequence[Row]] = field(default_factory=dict)
    models: dict[str, type[Model]] = field(default_factory=dict)
    schema_differences: list[SchemaDifference] = field(default_factory=list)
    #: Where the rows' fields are kept while the export is in use (see :mod:`.store`).
    store: RowStore | None = None

    @property
    def scope(self) -> dict[str, str]:
        """``{dimension: source tenant pk}`` of a tenant export (empty for object exports)."""
        return {dim: str(v.get("pk")) for dim, v in (self.manifest.get("scope") or {}).items()
                if isinstance(v, dict)}

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.rows.values())

    @property
    def outside_links(self) -> list[OutsideLink]:
        """Rows outside the tenant that linked into it in the source and are not in the file (the manifest's
        ``outside_links``; none in exports written before it was recorded)."""
        return OutsideLink.list_from(self.manifest.get("outside_links"))

    def describe(self) -> str:
        scope = self.manifest.get("scope") or {}
        labels = ", ".join(f"{d}={v.get('label') or v.get('pk')}" for d, v in scope.items() if isinstance(v, dict))
        return f"{self.data_path.name} ({self.count:,} objects{', ' + labels if labels else ''})"


def _check_models(manifest: dict[str, Any], path: Path) -> dict[str, type[Model]]:
    from django.apps import apps

    labels = list(manifest["models"])
    installed = {a.label for a in apps.get_app_configs()}
    missing_apps = sorted({lb.split(".")[0] for lb in labels} - installed)
    if missing_apps:
        source = manifest.get("source") or {}
        raise ImportInputError(
            f"{path.name} was exported from another project (settings {source.get('settings', '?')!r}): "
            f"the apps {', '.join(missing_apps)} of its models are not installed here. An export can only "
            "be imported into a project with the same models."
        )
    found: dict[str, type[Model]] = {}
    unknown: list[str] = []
    for label in labels:
        model = get_model(label)
        if model is None:
            unknown.append(label)
        else:
            found[label] = model
    if unknown:
        raise ImportInputError(
            f"{path.name} contains models this project does not have: {', '.join(sorted(unknown))}. They "
            "were renamed or removed since the export; nothing was imported."
        )
    return found


def _pk_value(pk_field: Any, raw: Any, label: str, line: int) -> Any:
    try:
        return pk_field.to_python(raw)
    except (ValidationError, ValueError, TypeError, ArithmeticError) as exc:
        raise ImportInputError(f"Line {line} ({label}) has the primary key {raw!r}, which is not valid: "
                               f"{' '.join(str(exc).split())}.")



def read_export(path: str | Path) -> Export:
    """Read and verify an export; raise :class:`ImportInputError` on the first problem."""
    try:
        return _read(path)
    except ExportFileError as exc:
        message = exc.message if exc.message.rstrip().endswith(".") else exc.message + "."
        message = message[:1].upper() + message[1:]
        raise ImportInputError(f"{message} Nothing was imported.") from None


def _read(path: str | Path) -> Export:
    reader = ExportReader(path)
    data_path = reader.data_path
    manifest = reader.open()
    sha = reader.check_bytes()
    models = _check_models(manifest, data_path)
    export = Export(data_path=data_path, manifest_path=reader.manifest_path, manifest=manifest, sha256=sha,
                    models=models)
    for label, model in models.items():
        schema = manifest["models"][label].get("schema")
        if isinstance(schema, dict):
            export.schema_differences += compare(label, schema, model)
    field_names = {label: {f.name for f in model._meta.get_fields()} for label, model in models.items()}
    already = {(d.model, d.field) for d in export.schema_differences}
    pk_fields = {label: model._meta.pk for label, model in models.items()}
    store = export.store = RowStore()
    rows: dict[str, list[Row]] = {}
    for n, obj, text in reader.records():
        store.add(n, text)
        label = sys.intern(obj["model"].lower())
        for name in obj["fields"]:
            if name not in field_names[label] and (label, name) not in already:
                already.add((label, name))
                export.schema_differences.append(SchemaDifference(
                    label, name, "removed", "in the file, but the model has no such field any more"))
        raw = obj.get("pk")
        pk = _pk_value(pk_fields[label], raw, label, n) if raw is not None else None
        rows.setdefault(label, []).append(Row(label=label, pk=pk, line=n, key=pk, store=store))
    store.finish()
    export.rows.update(rows)
    return export
