"""Checking an export against its manifest and against the models as they are now.

An export may be copied, truncated by a full disk, edited by hand, or read by a
project whose models moved on. ``verify`` reports each of these precisely (which
model, which field, which line) instead of a checksum mismatch nobody can act on:

* the manifest: present, readable, of a known format version;
* the data bytes: size and SHA-256 as recorded;
* the content: gzip intact, every line JSON, a newline after the last one, counts
  per model as recorded, field names as in the recorded schema;
* the schema: each recorded schema still matches its fingerprint, and each
  model still exists with the same fields (reported field by field);
* copied files (``--with-files``): present, with the recorded SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps

from tenant_console.core.errors import ConsoleError
from tenant_console.core.export.loading import LoadingNeeds, loading_needs
from tenant_console.core.export.manifest import read_manifest
from tenant_console.core.export.schema import compare_schema, fingerprint
from tenant_console.core.export.storage import manifest_name

#: Problems listed per kind before the rest are only counted.
MAX_PER_KIND = 20


@dataclass
class VerifyReport:
    data_path: str
    manifest_path: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    counts: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, message: str) -> None:
        same = sum(1 for k, _ in self.problems if k == kind)
        if same < MAX_PER_KIND:
            self.problems.append((kind, message))
        elif same == MAX_PER_KIND:
            self.problems.append((kind, f"(further {kind} problems not listed)"))

    @property
    def loading(self) -> LoadingNeeds | None:
        """The file's dangling references: sound as a file, but ``loaddata`` alone will not load it."""
        if self.manifest is None:
            return None
        return loading_needs(self.manifest, self.manifest_path)

    def as_dict(self) -> dict[str, Any]:
        loading = self.loading
        return {"ok": self.ok, "data": self.data_path, "manifest": self.manifest_path, "objects": self.objects,
                "counts": self.counts, "problems": [{"kind": k, "message": m} for k, m in self.problems],
                "dangling": loading.as_dict() if loading else {"count": 0}}

    def summary(self) -> str:
        if self.ok:
            loading = self.loading
            if loading is not None:
                return (f"{self.data_path}: OK as a file ({self.objects:,} objects, checksum and schema match), but "
                        f"it has {loading.summary()}\n{loading.advice(Path(self.data_path).name)}")
            return f"{self.data_path}: OK ({self.objects:,} objects, checksum and schema match)."
        return f"{self.data_path}: {len(self.problems)} problem(s): " + " ".join(
            f"[{k}] {m}" for k, m in self.problems)


def locate(path: str | Path) -> tuple[Path, Path]:
    """(data file, manifest) for a path naming either of them."""
    p = Path(path).expanduser()
    if p.name.endswith(".manifest.json"):
        manifest = read_manifest(p)
        data = p.with_name(str(manifest["data"].get("path") or ""))
        return data, p
    if p.is_dir():
        raise ConsoleError(f"{p} is a directory; name the export's .jsonl(.gz) file or its .manifest.json.")
    return p, Path(manifest_name(str(p)))


def verify_export(path: str | Path, *, check_models: bool = True) -> VerifyReport:
    """Verify the export at ``path`` (data file or manifest). Problems are collected, not raised."""
    data_path, manifest_path = locate(path)
    report = VerifyReport(str(data_path), str(manifest_path))
    try:
        manifest = read_manifest(manifest_path)
    except ConsoleError as exc:
        report.add("manifest", exc.message)
        return report
    report.manifest = manifest
    info = manifest["data"]
    if info.get("path") and info["path"] != data_path.name:
        report.add("manifest", f"the manifest describes the data file {info['path']!r}, not {data_path.name!r}")
    if not data_path.is_file():
        report.add("data", f"the data file {data_path} does not exist")
        return report
    _check_bytes(data_path, info, report)
    _check_content(data_path, manifest, report)
    _check_schema(manifest, report, check_models)
    _check_files(manifest_path.parent, manifest, report)
    return report


def _check_bytes(path: Path, info: dict[str, Any], report: VerifyReport) -> None:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
            size += len(block)
    if info.get("bytes") is not None and size != info["bytes"]:
        hint = " (truncated)" if size < info["bytes"] else " (data was added)"
        report.add("size", f"the data file has {size:,} bytes, the manifest records {info['bytes']:,}{hint}")
    if sha.hexdigest() != info.get("sha256"):
        report.add("checksum", f"SHA-256 of the data is {sha.hexdigest()}, the manifest records "
                               f"{info.get('sha256')}: the data was changed or damaged after the export")


def _check_content(path: Path, manifest: dict[str, Any], report: VerifyReport) -> None:
    compressed = manifest["data"].get("compression") == "gzip" or path.name.endswith(".gz")
    models: dict[str, Any] = manifest["models"]
    known_fields = {label: set((m.get("schema") or {}).get("fields") or {}) for label, m in models.items()}
    counts: Counter[str] = Counter()
    line_no = 0
    last_line_complete = True
    try:
        with (gzip.open(path, "rb") if compressed else path.open("rb")) as fh:
            for raw in fh:
                line_no += 1
                last_line_complete = raw.endswith(b"\n")
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    where = "the last line, cut off" if not last_line_complete else f"line {line_no}"
                    report.add("parse", f"{where} is not valid JSON ({getattr(exc, 'msg', exc)})")
                    continue
                if not isinstance(obj, dict) or not isinstance(obj.get("model"), str) or \
                        not isinstance(obj.get("fields"), dict):
                    report.add("parse", f"line {line_no} is not a fixture object (needs \"model\" and \"fields\")")
                    continue
                label = obj["model"].lower()
                counts[label] += 1
                if label not in models:
                    report.add("counts", f"line {line_no}: model {obj['model']!r} is not listed in the manifest")
                    continue
                extra = set(obj["fields"]) - known_fields[label]
                if extra:
                    report.add("fields", f"line {line_no}: {label} has field(s) {', '.join(sorted(extra))} that the "
                                         "manifest schema does not list")
    except EOFError:
        report.add("truncated", f"the compressed data ends early after line {line_no} (the file was cut off)")
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        report.add("truncated" if "end" in str(exc).lower() else "parse",
                   f"the data cannot be decompressed after line {line_no}: {exc}")
    if line_no and not last_line_complete:
        report.add("truncated", f"line {line_no}, the last one, has no newline: the file was cut off")
    report.counts = dict(counts)
    report.objects = sum(counts.values())
    for label, entry in models.items():
        want = entry.get("count")
        if want is not None and counts.get(label, 0) != want:
            report.add("counts", f"{label}: {counts.get(label, 0):,} object(s) in the data, {want:,} in the manifest")
    total = manifest["data"].get("objects")
    if total is not None and report.objects != total:
        report.add("counts", f"{report.objects:,} object(s) in the data, {total:,} in the manifest")


def _check_schema(manifest: dict[str, Any], report: VerifyReport, check_models: bool) -> None:
    for label, entry in manifest["models"].items():
        schema = entry.get("schema")
        if not isinstance(schema, dict):
            report.add("manifest", f"{label}: no schema recorded")
            continue
        if entry.get("fingerprint") != fingerprint(schema):
            report.add("manifest", f"{label}: the recorded schema does not match its fingerprint (the manifest "
                                   "was edited)")
        if not check_models:
            continue
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            report.add("schema", f"{label}: the model does not exist in this project")
            continue
        for diff in compare_schema(label, schema, model):
            report.add("schema", diff)


def _check_files(base: Path, manifest: dict[str, Any], report: VerifyReport) -> None:
    files = manifest.get("files") or {}
    if not files.get("included"):
        return
    folder = base / str(files.get("path") or "")
    for name, want in (files.get("sha256") or {}).items():
        p = folder / name
        if not p.is_file():
            report.add("files", f"{name}: missing from {folder}")
            continue
        got = hashlib.sha256(p.read_bytes()).hexdigest()
        if got != want:
            report.add("files", f"{name}: SHA-256 {got} differs from the recorded {want}")
