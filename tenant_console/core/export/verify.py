"""Checking an export against its manifest and against the models as they are now.

An export may be copied, truncated by a full disk, edited by hand, or read by a
project whose models moved on. ``verify`` reports each of these precisely (which
model, which field, which line) instead of a checksum mismatch nobody can act on:

The file is read by :mod:`tenant_console.core.export.reader`, as ``import`` reads it:

* the manifest: present, readable, of a known format version, every field of its type;
* the data bytes: size and SHA-256 as recorded;
* the content: gzip intact, every line JSON, a newline after the last one, counts
  per model as recorded, field names as in the recorded schema;
* the schema: each recorded schema still matches its fingerprint, and each
  model still exists with the same fields (reported field by field);
* copied files (``--with-files``): present, with the recorded SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps

from tenant_console.core.export.loading import LoadingNeeds, loading_needs
from tenant_console.core.export.reader import ExportFileError, ExportReader
from tenant_console.core.export.schema import compare_schema

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


def verify_export(path: str | Path, *, check_models: bool = True) -> VerifyReport:
    """Verify the export at ``path`` (data file or manifest). Problems are collected, not raised.

    The file is read by :class:`~tenant_console.core.export.reader.ExportReader`, the reader
    ``import`` uses too, so both accept and refuse the same files.
    """
    try:
        reader = ExportReader(path)
    except ExportFileError as exc:
        if exc.kind == "manifest":  # the manifest was named and could not be read
            report = VerifyReport(str(path), str(path))
            report.add(exc.kind, exc.message)
            return report
        raise
    report = VerifyReport(str(reader.data_path), str(reader.manifest_path))
    reader.on_problem = report.add
    try:
        reader.open()
        report.manifest = reader.manifest
        reader.check_bytes()
        for _line, _obj in reader.objects():
            pass
    except ExportFileError as exc:
        report.add(exc.kind, exc.message)
    report.counts = dict(reader.counts)
    report.objects = sum(reader.counts.values())
    if report.manifest is None:
        return report
    _check_schema(reader.manifest, report, check_models)
    reader.check_files()
    return report


def _check_schema(manifest: dict[str, Any], report: VerifyReport, check_models: bool) -> None:
    for label, entry in manifest["models"].items():
        schema = entry.get("schema")
        if not isinstance(schema, dict) or not check_models:
            continue
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            report.add("schema", f"{label}: the model does not exist in this project")
            continue
        for diff in compare_schema(label, schema, model):
            report.add("schema", diff)
