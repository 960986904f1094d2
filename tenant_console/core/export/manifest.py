"""The manifest beside every export: what it holds, where it came from, how to check it.

The format is specified in docs/export-format.md (version 1); this module is the
one place that writes it; :mod:`.reader` is the one place that reads it. It never records hosts, users or passwords
of the source database: only its vendor and alias.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import django

from tenant_console import __version__
from tenant_console.core.export.plan import ExportPlan
from tenant_console.core.export.reader import FORMAT, FORMAT_VERSION
from tenant_console.core.export.schema import fingerprint, model_schema
from tenant_console.core.export.writer import WriteResult
from tenant_console.core.private import open_private


def build_manifest(plan: ExportPlan, result: WriteResult, *, data_name: str, settings_module: str,
                   compressed: bool, files_dir: str | None = None) -> dict[str, Any]:
    models: dict[str, Any] = {}
    for sel in plan.selections:
        schema = model_schema(sel.model)
        models[sel.label] = {"count": result.counts.get(sel.label, 0), "role": sel.role, "foreign": sel.foreign,
                             "schema": schema, "fingerprint": fingerprint(schema)}
    policy = plan.policy
    dangling = [r.as_dict() for r in plan.references if r.reason == "missing" or policy == "omit"]
    names = sorted(set(result.file_names))
    files: dict[str, Any] = {"included": files_dir is not None, "names": names}
    if files_dir is not None:
        files.update({"path": os.path.basename(files_dir.rstrip("/")), "sha256": result.files_sha256,
                      "missing": sorted(result.files_missing)})
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "tool": {"name": "tenant-console", "version": __version__},
        "django": django.get_version(),
        "source": {"vendor": plan.vendor, "alias": plan.alias, "settings": settings_module},
        "scope": plan.scope,
        "kind": plan.kind,
        "roots": plan.roots,
        "rules": plan.rules,
        "models": models,
        "dangling": dangling,
        "cross_tenant": {"policy": policy, "references": [r.as_dict() for r in plan.cross_tenant],
                         "count": sum(1 for r in plan.references if r.reason == "cross-tenant")},
        "excluded_references": plan.excluded_references,
        "outside_links": [link.as_dict() for link in plan.outside_links],
        "files": files,
        "data": {"path": os.path.basename(data_name), "sha256": result.sha256, "bytes": result.bytes,
                 "objects": result.objects, "compression": "gzip" if compressed else None},
    }


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    with open_private(path, "w", encoding="utf-8", exclusive=True) as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
