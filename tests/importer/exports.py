"""Making export files for the import tests.

``export_tenant`` uses the real exporter (``tenant_console.core.export``) when it is
available and falls back to Django's own serializer following docs/export-format.md,
so the importer is tested against the format contract either way. ``rewrite`` edits
an export (data lines and manifest) consistently, for building bad or odd files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import connections
from django_scopes import scopes_disabled


def _schema(model: Any) -> dict[str, Any]:
    from tenant_console.core.importer.schema import fingerprint, schema_of

    s = schema_of(model)
    return {"schema": s, "fingerprint": fingerprint(s)}


def serializer_export(alias: str, slug: str, path: Path) -> Path:
    """A tenant export written with Django's serializer (the format contract, without the exporter)."""
    from tenant_console.core.project import load_project

    project = load_project("tests.settings")
    registry = project.registry
    Event = apps.get_model("conference", "Event")
    with scopes_disabled():
        event = Event._base_manager.using(alias).get(slug=slug)
        objs: dict[Any, list[Any]] = {}
        for model, _scope in registry.scoped.items():
            q = registry.tenant_q(model, {"event": event.pk})
            objs[model] = list(model._base_manager.using(alias).filter(q).order_by("pk"))
        objs[Event] = [event]
        User = apps.get_model("auth", "User")
        Organiser = apps.get_model("conference", "Organiser")
        ContentType = apps.get_model("contenttypes", "ContentType")
        objs[User] = list(User._base_manager.using(alias).order_by("pk"))
        objs[Organiser] = list(Organiser._base_manager.using(alias).filter(pk=event.organiser_id))
        objs[ContentType] = list(ContentType._base_manager.using(alias).filter(app_label="conference"))
        # MTI: ChoiceQuestion rows come as their own model (local fields only).
        ordered = serializers.sort_dependencies([(None, list(objs))], allow_cycles=True)
        lines: list[str] = []
        counts: dict[str, int] = {}
        for model in ordered:
            rows = objs.get(model, [])
            if not rows:
                continue
            text = serializers.serialize("jsonl", rows, use_natural_foreign_keys=True,
                                         use_natural_primary_keys=True)
            lines += [ln for ln in text.splitlines() if ln.strip()]
            counts[model._meta.label_lower] = len(rows)
    connections[alias].close()
    data = ("\n".join(lines) + "\n").encode()
    path = Path(path)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    models = {label: {"count": n, **_schema(apps.get_model(label))} for label, n in counts.items()}
    manifest = {
        "format": "tenant-console-export", "format_version": 1, "created": "2026-11-23T05:00:00+00:00",
        "tool": {"name": "tenant-console", "version": "0.1.0"}, "django": "5.2",
        "source": {"vendor": connections[alias].vendor, "alias": alias, "settings": "tests.settings"},
        "scope": {"event": {"pk": str(event.pk), "label": event.name, "model": "conference.Event"}},
        "kind": "tenant", "roots": [], "rules": {"cross_tenant": "omit"}, "models": models, "dangling": [],
        "files": {"included": False, "names": []},
        "data": {"path": path.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                 "objects": sum(counts.values()), "compression": "gzip" if path.name.endswith(".gz") else None},
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=2))
    return path


def real_export(alias: str, slug: str, path: Path) -> Path | None:
    """The real exporter, if it is there (else None)."""
    try:
        from tenant_console.core.export import ExportRequest, run_export
        from tenant_console.core.export.storage import LocalOutput
    except ImportError:
        return None
    from tenant_console.core.project import load_project

    project = load_project("tests.settings")
    Event = apps.get_model("conference", "Event")
    pk = Event._base_manager.using(alias).get(slug=slug).pk
    connections[alias].close()
    request = ExportRequest(tenant_pks={"event": pk}, output=LocalOutput(str(path)), cross_tenant="omit",
                            overwrite=True)
    with project.session("export", alias=alias) as s:
        s.run(run_export, project, request, alias=alias)
    return Path(path)


def export_tenant(alias: str, slug: str, path: Path) -> Path:
    return real_export(alias, slug, path) or serializer_export(alias, slug, path)


def manifest_path(path: Path) -> Path:
    name = path.name
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            return path.with_name(name[: -len(suffix)] + ".manifest.json")
    raise ValueError(path)


def read_lines(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return [json.loads(ln) for ln in raw.decode().splitlines() if ln.strip()]


def rewrite(src: Path, dst: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
            manifest_edit: Callable[[dict[str, Any]], None] | None = None, *, reseal: bool = True) -> Path:
    """Copy an export with edited objects; ``reseal`` recomputes counts and checksum (a valid file)."""
    objs = read_lines(src)
    if edit is not None:
        objs = edit(objs)
    data = ("\n".join(json.dumps(o) for o in objs) + "\n").encode()
    if dst.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    dst.write_bytes(data)
    manifest = json.loads(manifest_path(src).read_text())
    manifest["data"]["path"] = dst.name
    if reseal:
        counts: dict[str, int] = {}
        for o in objs:
            counts[o["model"]] = counts.get(o["model"], 0) + 1
        for label, entry in list(manifest["models"].items()):
            if label in counts:
                entry["count"] = counts[label]
            else:
                del manifest["models"][label]
        manifest["data"].update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), objects=len(objs))
    if manifest_edit is not None:
        manifest_edit(manifest)
    manifest_path(dst).write_text(json.dumps(manifest, indent=2))
    return dst
