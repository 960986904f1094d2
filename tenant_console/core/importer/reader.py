"""Reading an export (data + manifest) and verifying it before anything is planned.

Every check that can be made without the target database is made here, in the
order a person would want to hear about problems: the manifest is missing or is
not one, the data file is truncated or was modified (size and SHA-256), a line is
not JSON, the file names models this project does not have (another project's
export), the counts disagree with the manifest, the schema recorded in the file
disagrees with the models as they are now (reported field by field). Each problem
is an :class:`ImportInputError` with one paragraph; nothing is read from or written
to a database here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from tenant_console.core.importer.errors import ImportInputError
from tenant_console.core.importer.meta import get_model
from tenant_console.core.importer.schema import SchemaDifference, compare

FORMAT = "tenant-console-export"
FORMAT_VERSION = 1
_CHUNK = 1 << 20


@dataclass(slots=True)
class Row:
    """One object of the file: its model, its key in the file, its raw serialized fields."""

    label: str
    pk: Any  # the pk as a Python value, or None for rows serialized with their natural key
    fields: dict[str, Any]
    line: int
    key: Any = None  # identity in the file: the pk, or the natural key tuple (filled in by the planner)

    @property
    def ref(self) -> str:
        return f"{self.label}:{key_text(self.key)}"


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
    rows: dict[str, list[Row]] = field(default_factory=dict)
    models: dict[str, type[Model]] = field(default_factory=dict)
    schema_differences: list[SchemaDifference] = field(default_factory=list)

    @property
    def scope(self) -> dict[str, str]:
        """``{dimension: source tenant pk}`` of a tenant export (empty for object exports)."""
        return {dim: str(v.get("pk")) for dim, v in (self.manifest.get("scope") or {}).items()
                if isinstance(v, dict)}

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def describe(self) -> str:
        scope = self.manifest.get("scope") or {}
        labels = ", ".join(f"{d}={v.get('label') or v.get('pk')}" for d, v in scope.items() if isinstance(v, dict))
        return f"{self.data_path.name} ({self.count:,} objects{', ' + labels if labels else ''})"


def locate(path: str | Path) -> tuple[Path, Path]:
    """(data path, manifest path) for a path naming either file of an export."""
    p = Path(path)
    if p.name.endswith(".manifest.json"):
        manifest = p
        try:
            data_name = (json.loads(p.read_text(encoding="utf-8")).get("data") or {}).get("path")
        except (OSError, ValueError, AttributeError):
            data_name = None
        stem = p.name[: -len(".manifest.json")]
        candidates = [p.with_name(Path(data_name).name)] if data_name else []
        candidates += [p.with_name(stem + ".jsonl.gz"), p.with_name(stem + ".jsonl")]
        data = next((c for c in candidates if c.exists()), candidates[0])
        return data, manifest
    name = p.name
    for suffix in (".jsonl.gz", ".jsonl", ".json.gz", ".json"):
        if name.endswith(suffix):
            return p, p.with_name(name[: -len(suffix)] + ".manifest.json")
    if ".tmp-" in name:
        raise ImportInputError(
            f"{p} is the temporary file of an export that did not finish (exports are written to "
            "NAME.tmp-XXXX and renamed only when complete). It cannot be imported; export again."
        )
    raise ImportInputError(
        f"{p} does not look like an export: the data file of an export ends in .jsonl or .jsonl.gz "
        "and has a NAME.manifest.json beside it."
    )


def _load_manifest(path: Path, data_path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ImportInputError(
            f"The manifest {path.name} is missing beside {data_path.name}. An export is two files (the data "
            "and its manifest, which carries the checksum and the schema); without the manifest the data "
            "cannot be verified, so nothing was imported."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ImportInputError(f"The manifest {path} is not text (not UTF-8); it is not an export manifest.")
    except ValueError as exc:
        raise ImportInputError(f"The manifest {path} is not valid JSON ({exc}); it may be truncated or edited.")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportInputError(
            f"{path} is not a tenant-console export manifest (its 'format' is "
            f"{manifest.get('format') if isinstance(manifest, dict) else type(manifest).__name__!r}, "
            f"expected {FORMAT!r})."
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ImportInputError(
            f"{path} uses export format version {version!r}; this tenant-console reads version "
            f"{FORMAT_VERSION}. Upgrade tenant-console or export again with this version."
        )
    for key in ("models", "data"):
        if not isinstance(manifest.get(key), dict):
            raise ImportInputError(f"The manifest {path} has no {key!r} section; it is incomplete or was edited.")
    return manifest


def _check_data_bytes(data_path: Path, manifest: dict[str, Any]) -> str:
    data = manifest["data"]
    if not data_path.exists():
        raise ImportInputError(
            f"The data file {data_path} named by the manifest does not exist. An export is two files "
            "side by side; copy both."
        )
    expected_name = Path(str(data.get("path") or "")).name
    if expected_name and expected_name != data_path.name:
        raise ImportInputError(
            f"The manifest {data_path.name!r} was paired with belongs to another export: it describes "
            f"{expected_name!r}, not {data_path.name!r}. Use the manifest written with this data file."
        )
    size = data_path.stat().st_size
    expected_size = data.get("bytes")
    if isinstance(expected_size, int) and size < expected_size:
        raise ImportInputError(
            f"The data file {data_path} is truncated: it has {size:,} bytes, the manifest says "
            f"{expected_size:,}. The copy or the export was interrupted; nothing was imported."
        )
    digest = hashlib.sha256()
    with data_path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    sha = digest.hexdigest()
    if sha != data.get("sha256"):
        extra = f" (it has {size:,} bytes, the manifest says {expected_size:,})" if size != expected_size else ""
        raise ImportInputError(
            f"The checksum of {data_path} does not match its manifest{extra}: the data was modified or "
            f"damaged after the export (SHA-256 {sha[:12]}..., expected {str(data.get('sha256'))[:12]}...). "
            "Nothing was imported."
        )
    return sha


def _lines(data_path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if data_path.name.endswith(".gz") else open
    try:
        with opener(data_path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            for n, line in enumerate(fh, 1):
                if line.strip():
                    yield n, line
    except (EOFError, OSError, zlib.error) as exc:
        raise ImportInputError(
            f"The data file {data_path} cannot be decompressed ({exc}); it is truncated or not gzip. "
            "Nothing was imported."
        )
    except UnicodeDecodeError as exc:
        raise ImportInputError(f"The data file {data_path} is not UTF-8 text ({exc}).")


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


def _pk_value(model: type[Model], raw: Any, label: str, line: int) -> Any:
    try:
        return model._meta.pk.to_python(raw)
    except (ValidationError, ValueError, TypeError) as exc:
        raise ImportInputError(f"Line {line} ({label}) has the primary key {raw!r}, which is not valid: "
                               f"{' '.join(str(exc).split())}.")


def read_export(path: str | Path) -> Export:
    """Read and verify an export; raise :class:`ImportInputError` on the first problem."""
    data_path, manifest_path = locate(path)
    if not data_path.exists() and not manifest_path.exists():
        raise ImportInputError(f"There is no export at {path}.")
    manifest = _load_manifest(manifest_path, data_path)
    sha = _check_data_bytes(data_path, manifest)
    models = _check_models(manifest, data_path)
    export = Export(data_path=data_path, manifest_path=manifest_path, manifest=manifest, sha256=sha,
                    models=models)
    for label, model in models.items():
        schema = (manifest["models"][label] or {}).get("schema")
        if isinstance(schema, dict):
            export.schema_differences += compare(label, schema, model)
    field_names: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for n, line in _lines(data_path):
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise ImportInputError(
                f"Line {n} of {data_path.name} is not valid JSON ({exc}); the file is damaged. Nothing was imported."
            )
        if not (isinstance(obj, dict) and isinstance(obj.get("model"), str) and isinstance(obj.get("fields"), dict)):
            raise ImportInputError(
                f"Line {n} of {data_path.name} is not a serialized Django object (it needs 'model' and 'fields')."
            )
        label = obj["model"].lower()
        found_model = models.get(label)
        if found_model is None:
            if get_model(label) is None:
                raise ImportInputError(
                    f"Line {n} of {data_path.name} is a {obj['model']!r} object, a model this project does not "
                    "have. Nothing was imported."
                )
            raise ImportInputError(
                f"Line {n} of {data_path.name} is a {obj['model']!r} object, but the manifest does not list that "
                "model; the data and the manifest do not belong together."
            )
        names = field_names.get(label)
        if names is None:
            names = field_names[label] = {f.name for f in found_model._meta.get_fields()}
        extra = [k for k in obj["fields"] if k not in names]
        if extra:
            already = {(d.model, d.field) for d in export.schema_differences}
            for name in extra:
                if (label, name) not in already:
                    export.schema_differences.append(SchemaDifference(
                        label, name, "removed", "in the file, but the model has no such field any more"))
        pk = _pk_value(found_model, obj["pk"], label, n) if "pk" in obj and obj["pk"] is not None else None
        export.rows.setdefault(label, []).append(Row(label=label, pk=pk, fields=obj["fields"], line=n, key=pk))
        counts[label] = counts.get(label, 0) + 1
    for label, entry in manifest["models"].items():
        expected = (entry or {}).get("count")
        if isinstance(expected, int) and expected != counts.get(label, 0):
            raise ImportInputError(
                f"The manifest lists {expected:,} {label} objects, the data has {counts.get(label, 0):,}; the "
                "data and the manifest do not belong together. Nothing was imported."
            )
    total = manifest["data"].get("objects")
    if isinstance(total, int) and total != sum(counts.values()):
        raise ImportInputError(
            f"The manifest announces {total:,} objects, the data has {sum(counts.values()):,}. Nothing was imported."
        )
    return export
