"""Regenerate the bad-input corpus: ``python -m tests.importer.corpus.make_corpus`` (from the repo root).

Every case is a small export of a made-up event (organiser, event, tracks, tags, rooms) with one
defect; ``cases.json`` lists each case with the exit code and the message the import must give.
The files are committed: the tests read them as they are, like files a user would bring.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent


def _objects() -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = [
        {"model": "conference.organiser", "fields": {"name": "Corpus Org", "slug": "corpus-org", "members": []}},
        {"model": "conference.event", "pk": 9001, "fields": {
            "organiser": ["corpus-org"], "name": "Corpus Event", "slug": "corpus-event", "date_from": "2026-06-01",
            "date_to": "2026-06-02", "is_public": True, "settings": {"timezone": "UTC"}}},
    ]
    for i, name in enumerate(["Web", "Data"]):
        objs.append({"model": "conference.track", "pk": 9101 + i,
                     "fields": {"event": 9001, "name": name, "color": "#3aa57c"}})
    for i, tag in enumerate(["python", "django"]):
        objs.append({"model": "conference.tag", "pk": 9201 + i,
                     "fields": {"event": 9001, "tag": tag, "color": "#1e90ff"}})
    objs.append({"model": "conference.room", "pk": 9301, "fields": {"event": 9001, "name": "Hall", "capacity": 100,
                                                                    "position": 0}})
    return objs


def _schema(label: str) -> dict[str, Any]:
    from django.apps import apps

    from tenant_console.core.importer.schema import fingerprint, schema_of

    s = schema_of(apps.get_model(label))
    return {"schema": s, "fingerprint": fingerprint(s)}


def write(name: str, objs: list[dict[str, Any]], *, gz: bool = False, manifest_edit: Any = None,
          data_edit: Any = None, models: dict[str, Any] | None = None) -> None:
    data = ("\n".join(json.dumps(o, sort_keys=True) for o in objs) + "\n").encode()
    if gz:
        data = gzip.compress(data, mtime=0)
    file_name = f"{name}.jsonl" + (".gz" if gz else "")
    counts: dict[str, int] = {}
    for o in objs:
        counts[o["model"]] = counts.get(o["model"], 0) + 1
    manifest = {
        "format": "tenant-console-export", "format_version": 1, "created": "2026-11-23T05:00:00+00:00",
        "tool": {"name": "tenant-console", "version": "0.1.0"}, "django": "5.2",
        "source": {"vendor": "sqlite", "alias": "default", "settings": "demo.settings"},
        "scope": {"event": {"pk": "9001", "label": "Corpus Event (corpus-event)", "model": "conference.Event"}},
        "kind": "tenant", "roots": [], "rules": {"cross_tenant": "refuse"},
        "models": models if models is not None else {lb: {"count": n, **_schema(lb)} for lb, n in counts.items()},
        "dangling": [], "files": {"included": False, "names": []},
        "data": {"path": file_name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                 "objects": len(objs), "compression": "gzip" if gz else None},
    }
    if manifest_edit:
        manifest_edit(manifest)
    if data_edit:
        data = data_edit(data)
    (HERE / file_name).write_bytes(data)
    (HERE / f"{name}.manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    import django

    django.setup()
    base = _objects()
    write("valid", base)
    write("truncated", base, data_edit=lambda d: d[: len(d) // 2])
    write("truncated-gzip", base, gz=True, data_edit=lambda d: d[: len(d) - 20])

    text = ("\n".join(json.dumps(o, sort_keys=True) for o in base) + "\n").replace('"name": "Hall"', '"name": Hall"')
    raw = text.encode()
    write("invalid-json", base, data_edit=lambda d: raw,
          manifest_edit=lambda m: m["data"].update(sha256=hashlib.sha256(raw).hexdigest(), bytes=len(raw)))
    write("checksum-mismatch", base, data_edit=lambda d: d.replace(b'"Data"', b'"Date"'))
    other = [{"model": "shop.order", "pk": 1, "fields": {"total": "9.90"}}]
    write("other-project", other, models={"shop.order": {"count": 1, "schema": {"pk": "id", "fields": {
        "total": {"type": "DecimalField", "null": False}}}, "fingerprint": "0" * 64}},
          manifest_edit=lambda m: m["source"].update(settings="shop.settings"))
    badge = [*base, {"model": "conference.speakerbadge", "pk": 1, "fields": {"event": 9001, "label": "VIP"}}]
    models = {lb: {"count": n, **_schema(lb)} for lb, n in
              {"conference.organiser": 1, "conference.event": 1, "conference.track": 2, "conference.tag": 2,
               "conference.room": 1}.items()}
    models["conference.speakerbadge"] = {"count": 1, "schema": {"pk": "id", "fields": {}}, "fingerprint": "0" * 64}
    write("unknown-model", badge, models=models)

    def drift(m: dict[str, Any]) -> None:
        fields = m["models"]["conference.room"]["schema"]["fields"]
        fields["name"]["type"] = "TextField"
        fields["floor"] = {"type": "IntegerField", "null": False}
        del fields["position"]

    drifted = [dict(o, fields={**o["fields"], "floor": 2}) if o["model"] == "conference.room" else o for o in base]
    for o in drifted:
        if o["model"] == "conference.room":
            o["fields"].pop("position")
    write("schema-difference", drifted, manifest_edit=drift)
    missing = [o for o in base if o["model"] != "conference.event"]
    missing = [o for o in missing if o["model"] != "conference.organiser"]
    write("missing-references", missing, manifest_edit=lambda m: m.update(scope={}))
    write("wrong-format", base, manifest_edit=lambda m: m.update(format="django-fixture"))
    write("newer-version", base, manifest_edit=lambda m: m.update(format_version=7))
    write("count-mismatch", base, manifest_edit=lambda m: m["models"]["conference.track"].update(count=5))
    # A manifest that is not JSON, and a data file without a manifest.
    write("manifest-not-json", base)
    (HERE / "manifest-not-json.manifest.json").write_text('{"format": "tenant-console-export", "models": {')
    write("no-manifest", base)
    (HERE / "no-manifest.manifest.json").unlink()
    (HERE / "interrupted.jsonl.tmp-1a2b3c4d").write_text('{"model": "conference.event"')
    _decisions()


def _decisions() -> None:
    sha = json.loads((HERE / "valid.manifest.json").read_text())["data"]["sha256"]

    def dec(name: str, objects: dict[str, Any], *, sha256: str = sha, **extra: Any) -> None:
        doc = {"format": "tenant-console-import-decisions", "version": 1,
               "export": {"file": "valid.jsonl", "sha256": sha256},
               "target": {"database": "target", "vendor": "sqlite", "retarget": {"mode": "same"}},
               "default": {}, "models": {}, "objects": objects, **extra}
        (HERE / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")

    dec("decisions-other-export", {}, sha256="f" * 64)
    dec("decisions-unknown-object", {"conference.track:1": {"decision": "skip", "class": "new"}})
    dec("decisions-impossible", {"conference.track:9101": {"decision": "use_existing", "class": "new"}})
    dec("decisions-class-changed", {"conference.track:9101": {"decision": "overwrite", "class": "changed"}})
    dec("decisions-unknown-decision", {}, default={"*": "merge"})
    dec("decisions-other-target", {}, target={"retarget": {"mode": "new", "tenants": {"event": {"slug": "x"}}}})
    (HERE / "decisions-not-json.json").write_text("{decisions: yes}\n")


if __name__ == "__main__":
    main()
