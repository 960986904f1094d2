"""The hostile-input corpus: small exports of a made-up event, each with one defect, generated at test time.

``build(folder)`` writes every case into ``folder`` (files a user could bring: truncated, edited,
bombs, devices, links out of the folder, values no database should get...) and returns the cases
with what ``verify``, ``import`` (plan) and ``import --apply`` must answer: the exit code and a
pattern of the one-paragraph message. Nothing here is committed as data: binary cases (gzip bombs,
FIFOs, links to ``/dev/zero``) are made fresh, so that the tests read exactly what the generator says.

    python -m tests.importer.corpus.make_corpus /tmp/corpus     # to look at the files
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: (exit code, pattern of the message) per vendor ("*" for any); the pattern is searched in the
#: last line of stderr (an error) or in stdout (success).
Outcome = tuple[int, str]


@dataclass
class Case:
    name: str
    file: str  # what is given on the command line (relative to the corpus folder)
    verify: Outcome | dict[str, Outcome]
    plan: Outcome | dict[str, Outcome]
    apply: Outcome | dict[str, Outcome] | None = None  # None: as plan
    decisions: str | None = None
    #: A pattern the plan's stdout must show (the line, model, field and why of a conflict).
    detail: str | None = None
    #: Text no output may contain (the hash of a file outside the export, say).
    absent: list[str] = field(default_factory=list)

    def expect(self, mode: str, vendor: str) -> Outcome:
        value = {"verify": self.verify, "plan": self.plan, "apply": self.apply or self.plan}[mode]
        if isinstance(value, dict):
            return value.get(vendor) or value["*"]
        return value


OK_VERIFY: Outcome = (0, r"OK")
OK_PLAN: Outcome = (0, r"Every conflict has a decision")
OK_APPLY: Outcome = (0, r"Imported: ")


def objects() -> list[dict[str, Any]]:
    """organiser (line 1), event (2), tracks 9101, 9102 (3, 4), tags 9201, 9202 (5, 6), room 9301 (7)."""
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


def with_review(score: Any = "4.5", created: str = "2026-05-01T10:00:00Z") -> list[dict[str, Any]]:
    """The base plus a submission (line 8) and a review of it (line 9)."""
    return [*objects(),
            {"model": "conference.submission", "pk": 9401, "fields": {
                "event": 9001, "code": "CORPUS1", "title": "A talk", "abstract": "", "state": "submitted",
                "track": 9101, "tags": [9201], "duplicate_of": None, "duration": 30, "custom_data": {},
                "created": "2026-05-01T09:00:00Z"}},
            {"model": "conference.review", "pk": 9501, "fields": {
                "event": 9001, "submission": 9401, "user": None, "score": score, "text": "ok", "created": created}}]


def _schema(label: str) -> dict[str, Any]:
    from django.apps import apps

    from tenant_console.core.importer.schema import fingerprint, schema_of

    s = schema_of(apps.get_model(label))
    return {"schema": s, "fingerprint": fingerprint(s)}


def _refingerprint(m: dict[str, Any]) -> None:
    from tenant_console.core.importer.schema import fingerprint

    for entry in m["models"].values():
        if isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            entry["fingerprint"] = fingerprint(entry["schema"])


def _lines(objs: list[Any]) -> bytes:
    return ("\n".join(o if isinstance(o, str) else json.dumps(o, sort_keys=True) for o in objs) + "\n").encode()


class Corpus:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cases: list[Case] = []

    def write(self, name: str, objs: list[Any], *, gz: bool = False, data: bytes | None = None,
              manifest_edit: Callable[[dict[str, Any]], None] | None = None,
              models: dict[str, Any] | None = None, counts: dict[str, int] | None = None,
              after: Callable[[Path, Path], None] | None = None) -> str:
        """Write NAME.jsonl[.gz] and NAME.manifest.json (checksum of the bytes written); returns the data name."""
        raw = data if data is not None else _lines(objs)
        if gz and data is None:
            raw = gzip.compress(raw, mtime=0)
        file_name = f"{name}.jsonl" + (".gz" if gz else "")
        if counts is None:
            counts = {}
            for o in objs:
                if isinstance(o, dict):
                    counts[o["model"]] = counts.get(o["model"], 0) + 1
        manifest: dict[str, Any] = {
            "format": "tenant-console-export", "format_version": 1, "created": "2026-11-23T05:00:00+00:00",
            "tool": {"name": "tenant-console", "version": "0.1.0"}, "django": "5.2",
            "source": {"vendor": "sqlite", "alias": "default", "settings": "demo.settings"},
            "scope": {"event": {"pk": "9001", "label": "Corpus Event (corpus-event)", "model": "conference.Event"}},
            "kind": "tenant", "roots": [], "rules": {"cross_tenant": "refuse"},
            "models": models if models is not None else {lb: {"count": n, **_schema(lb)} for lb, n in counts.items()},
            "dangling": [], "files": {"included": False, "names": []},
            "data": {"path": file_name, "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw),
                     "objects": sum(counts.values()), "compression": "gzip" if gz else None},
        }
        if manifest_edit:
            manifest_edit(manifest)
        data_path = self.folder / file_name
        manifest_path = self.folder / f"{name}.manifest.json"
        data_path.write_bytes(raw)
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if after:
            after(data_path, manifest_path)
        return file_name

    def add(self, name: str, verify: Any, plan: Any, apply: Any = None, *, file: str | None = None,
            **kw: Any) -> None:
        self.cases.append(Case(name, file or f"{name}.jsonl", verify, plan, apply, **kw))

    def refused(self, name: str, pattern: str, *, verify: Outcome | None = None, file: str | None = None,
                **kw: Any) -> None:
        """A file both commands refuse with the same words (verify: exit 1 listing it, import: exit 2)."""
        self.add(name, verify or (1, pattern), (2, pattern), file=file, **kw)

    def invalid(self, name: str, objs: list[Any], detail: str, **kw: Any) -> None:
        """A sound file with a value the target must not get: the plan names it; nothing is written."""
        self.write(name, objs)
        self.add(name, OK_VERIFY, (1, r"conflicts have no decision \(.*(invalid_value|duplicate) 1"),
                 detail=detail, **kw)


def _edit(objs: list[dict[str, Any]], index: int, **fields: Any) -> list[dict[str, Any]]:
    out = copy.deepcopy(objs)
    out[index]["fields"].update(fields)
    return out


def build(folder: Path) -> list[Case]:
    """Write the corpus into ``folder`` (which must exist) and return its cases."""
    c = Corpus(folder)
    base = objects()

    # -- sound files -------------------------------------------------------------------------------------
    c.write("valid", base)
    c.add("valid", OK_VERIFY, OK_PLAN, OK_APPLY)
    c.write("manifest-bom", base, after=lambda d, m: m.write_bytes(b"\xef\xbb\xbf" + m.read_bytes()))
    c.add("manifest-bom", OK_VERIFY, OK_PLAN, OK_APPLY)
    c.write("gzip-valid", base, gz=True)
    c.add("gzip-valid", OK_VERIFY, OK_PLAN, OK_APPLY, file="gzip-valid.jsonl.gz")
    c.write("dangling-generic-fk", [*base, {"model": "conference.activitylog", "pk": 9601, "fields": {
        "event": 9001, "content_type": ["conference", "submission"], "object_id": 987654, "user": None,
        "action_type": "submission.deleted", "timestamp": "2026-05-01T10:00:00Z", "data": None}}])
    c.add("dangling-generic-fk", OK_VERIFY, (0, r"generic foreign key to an object that exists neither"),
          (0, r"(?s)Imported: .*conference.activitylog:9601: object_id -> conference.submission 987654, which "
              r"no longer exists \(kept, as loaddata keeps it"))

    # -- the bytes -----------------------------------------------------------------------------------------
    text = _lines(base)
    c.write("truncated", base, data=text[: len(text) // 2], manifest_edit=lambda m: m["data"].update(
        bytes=len(text), sha256=hashlib.sha256(text).hexdigest()))
    c.refused("truncated", r"is truncated: it has \d+ bytes, the manifest says")
    zipped = gzip.compress(text, mtime=0)
    c.write("truncated-gzip", base, gz=True, data=zipped[:-20], manifest_edit=lambda m: m["data"].update(
        bytes=len(zipped), sha256=hashlib.sha256(zipped).hexdigest()))
    c.refused("truncated-gzip", r"is truncated: it has \d+ bytes, the manifest says \d+, and its compressed stream is "
              r"cut off \([1-9][\d,]* bytes decompressed before it stops\)", file="truncated-gzip.jsonl.gz")
    # A cut gzip file whose manifest was written for the cut bytes: reading says where the stream stops.
    c.write("truncated-gzip-own-manifest", base, gz=True, data=zipped[:-8])
    c.refused("truncated-gzip-own-manifest", r"truncated-gzip-own-manifest.jsonl.gz is cut off: its \d+ bytes end "
              r"before the gzip stream does \([1-9][\d,]* bytes decompressed before it stops\)",
              file="truncated-gzip-own-manifest.jsonl.gz")
    # Edited and compressed again: a complete gzip file that its manifest does not describe (not "truncated").
    edited = gzip.compress(text.replace(b'"Data"', b'"Data science"'), compresslevel=1, mtime=0)
    c.write("regzipped", base, gz=True, data=edited, manifest_edit=lambda m: m["data"].update(
        bytes=len(zipped), sha256=hashlib.sha256(zipped).hexdigest()))
    c.refused("regzipped", r"regzipped.jsonl.gz was changed after the export: it is a complete gzip file \(\d[\d,]* "
              r"bytes decompressed\), but it has \d+ bytes, the manifest says \d+ \(SHA-256 ",
              file="regzipped.jsonl.gz", absent=["truncated"])
    c.write("checksum-mismatch", base, after=lambda d, m: d.write_bytes(d.read_bytes().replace(b'"Data"', b'"Date"')))
    c.refused("checksum-mismatch", r"checksum of checksum-mismatch.jsonl does not match its manifest")
    c.write("empty-data", base, data=b"", manifest_edit=lambda m: m["data"].update(
        bytes=len(text), sha256=hashlib.sha256(text).hexdigest()))
    c.refused("empty-data", r"is truncated: it has 0 bytes")
    c.write("data-added", base, after=lambda d, m: d.write_bytes(d.read_bytes() + text))
    c.refused("data-added", r"data was added or changed after the export")

    # -- the content ---------------------------------------------------------------------------------------
    broken = text.replace(b'"name": "Hall"', b'"name": Hall"')
    c.write("invalid-json", base, data=broken)
    c.refused("invalid-json", r"line 7 of invalid-json.jsonl is not valid JSON")
    c.write("no-final-newline", base, data=text[:-1])
    c.refused("no-final-newline", r"line 7 of no-final-newline.jsonl, the last one, has no newline")
    c.write("data-bom", base, data=b"\xef\xbb\xbf" + text)
    c.refused("data-bom", r"starts with a UTF-8 byte-order mark")
    c.write("not-utf8", base, data=text.replace(b"Corpus Org", b"Corpus \xff\xfeOrg"))
    c.refused("not-utf8", r"line 1 of not-utf8.jsonl is not UTF-8 text")
    c.write("json-array-line", [*base[:-1], "[1, 2, 3]"], counts={"conference.organiser": 1, "conference.event": 1,
                                                                  "conference.track": 2, "conference.tag": 2})
    c.refused("json-array-line", r"line 7 of json-array-line.jsonl is not a serialized Django object")
    c.write("no-fields-key", [*base[:-1], {"model": "conference.room", "pk": 9301}],
            counts={"conference.organiser": 1, "conference.event": 1, "conference.track": 2, "conference.tag": 2,
                    "conference.room": 1})
    c.refused("no-fields-key", r"line 7 of no-fields-key.jsonl is not a serialized Django object")
    c.write("deep-line", [*base, "[" * 200_000 + "]" * 200_000])
    c.refused("deep-line", r"line 8 of deep-line.jsonl is nested too deeply to be read")
    c.write("huge-int-literal", [*base[:-1], json.dumps({"model": "conference.room", "pk": 9301, "fields": {
        "event": 9001, "name": "Hall", "capacity": 0, "position": 0}}).replace('"capacity": 0', '"capacity": '
                                                                                 + "9" * 5000)],
            counts={"conference.organiser": 1, "conference.event": 1, "conference.track": 2, "conference.tag": 2,
                    "conference.room": 1})
    c.refused("huge-int-literal", r"line 7 of huge-int-literal.jsonl is not valid JSON \(Exceeds the limit")
    extra = _edit(base, 6, floor=3)
    c.write("field-not-in-schema", extra)
    c.refused("field-not-in-schema", r"line 7 of field-not-in-schema.jsonl: conference.room has the field\(s\) floor "
                                     r"that the manifest's schema does not list", verify=(1, r"\[fields\] line 7"))
    c.write("model-not-in-manifest", base, models={lb: {"count": n, **_schema(lb)} for lb, n in {
        "conference.organiser": 1, "conference.event": 1, "conference.track": 2, "conference.tag": 2}.items()},
        manifest_edit=lambda m: m["data"].update(objects=6))
    c.refused("model-not-in-manifest", r"line 7 of model-not-in-manifest.jsonl is a 'conference.room' object, but the "
                                       r"manifest does not list that model")

    # -- counts ---------------------------------------------------------------------------------------------
    def more_tracks(m: dict[str, Any]) -> None:
        m["models"]["conference.track"]["count"] = 5
        m["data"]["objects"] = 10

    c.write("count-mismatch", base, manifest_edit=more_tracks)
    c.refused("count-mismatch", r"lists 5 conference.track objects, the data has 2")

    def fewer_tracks(m: dict[str, Any]) -> None:
        m["models"]["conference.track"]["count"] = 1
        m["data"]["objects"] = 6

    c.write("count-exceeded", base, manifest_edit=fewer_tracks)
    c.refused("count-exceeded", r"line 4 of count-exceeded.jsonl is conference.track object number 2, but the manifest "
                                r"lists 1; .* reading stopped there")
    many = [*base, *({"model": "conference.track", "pk": 20000 + i, "fields": {
        "event": 9001, "name": f"T{i}", "color": "#3aa57c"}} for i in range(300_000))]
    c.write("many-lines", many, counts={"conference.organiser": 1, "conference.event": 1, "conference.track": 2,
                                        "conference.tag": 2, "conference.room": 1})
    c.refused("many-lines", r"line 8 of many-lines.jsonl is conference.track object number 3, but the manifest lists 2")
    c.write("objects-total-mismatch", base, manifest_edit=lambda m: m["data"].update(objects=8))
    c.refused("objects-total-mismatch", r"counts per model add up to 7 objects, but it announces 8")

    # -- the manifest ---------------------------------------------------------------------------------------
    c.write("wrong-format", base, manifest_edit=lambda m: m.update(format="django-fixture"))
    c.refused("wrong-format", r"is not a tenant-console export manifest")
    c.write("newer-version", base, manifest_edit=lambda m: m.update(format_version=7))
    c.refused("newer-version", r"format version 7")
    cut = '{"format": "tenant-console-export", "models": {'
    c.write("manifest-not-json", base, after=lambda d, m: m.write_text(cut))
    c.refused("manifest-not-json", r"manifest-not-json.manifest.json is not valid JSON")
    c.write("manifest-array", base, after=lambda d, m: m.write_text("[1, 2]\n"))
    c.refused("manifest-array", r"is not a tenant-console export manifest \(its \"format\" is 'list'")
    c.write("manifest-not-utf8", base, after=lambda d, m: m.write_bytes(b"\xff\xfe{}"))
    c.refused("manifest-not-utf8", r"is not text \(not UTF-8\)")
    c.write("no-manifest", base, after=lambda d, m: m.unlink())
    c.refused("no-manifest", r"manifest no-manifest.manifest.json is missing")
    # A mistyped path (neither file exists) is said as such, not as a missing manifest (operator trial).
    c.add("no-such-file", (1, r"no-such-file.jsonl.gz does not exist"), (2, r"There is no file .*no-such-file"
          r".jsonl.gz \(and no no-such-file.manifest.json beside"), file="no-such-file.jsonl.gz")

    def edit_schema(m: dict[str, Any]) -> None:
        m["models"]["conference.tag"]["schema"]["fields"]["tag"]["max_length"] = 10

    c.write("fingerprint-edited", base, manifest_edit=edit_schema)
    c.refused("fingerprint-edited", r"conference.tag: the recorded schema does not match its fingerprint")
    c.write("null-model-entry", base, manifest_edit=lambda m: m["models"].update({"conference.room": None}))
    c.refused("null-model-entry", r"lists the model 'conference.room' with null instead of its count and schema")
    c.write("string-count", base, manifest_edit=lambda m: m["models"]["conference.track"].update(count="2"))
    c.refused("string-count", r"records the count of conference.track as \"2\"; a whole number is needed")
    c.write("bool-count", base, manifest_edit=lambda m: m["models"]["conference.room"].update(count=True))
    c.refused("bool-count", r"records the count of conference.room as true")
    c.write("bad-sha256", base, manifest_edit=lambda m: m["data"].update(sha256="not-a-hash"))
    c.refused("bad-sha256", r"records no valid SHA-256 of the data")
    c.write("string-bytes", base, manifest_edit=lambda m: m["data"].update(bytes="873"))
    c.refused("string-bytes", r"records data.bytes as '873'")
    c.write("models-list", base, manifest_edit=lambda m: m.update(models=["conference.track"]))
    c.refused("models-list", r"has no 'models' section")
    c.write("bad-label", base, manifest_edit=lambda m: m["models"].update(
        {"Conference.Room": m["models"].pop("conference.room")}))
    c.refused("bad-label", r"lists 'Conference.Room', which is not a model label")
    c.write("bad-compression", base, manifest_edit=lambda m: m["data"].update(compression="bzip2"))
    c.refused("bad-compression", r"records the compression 'bzip2'")
    c.write("scope-not-object", base, manifest_edit=lambda m: m.update(scope="event 9001"))
    c.refused("scope-not-object", r"has a 'scope' entry that is not an object")
    c.write("source-not-object", base, manifest_edit=lambda m: m.update(source="not an object"))
    c.refused("source-not-object", r"has a 'source' entry that is not an object \(it is str\)")
    c.write("source-alias-not-text", base, manifest_edit=lambda m: m["source"].update(alias=["default"]))
    c.refused("source-alias-not-text", r"records source.alias as \[\"default\"\]; a name")
    c.write("outside-links-not-list", base, manifest_edit=lambda m: m.update(outside_links={"kind": "m2m"}))
    c.refused("outside-links-not-list", r"has an 'outside_links' entry that is not a list")
    link = {"kind": "m2m", "model": "conference.organiser", "field": "events", "to": "conference.event",
            "table": "conference_organiser_events", "rows": 2, "owners": 1, "verdict": "shared", "reason": ""}
    c.write("outside-link-string-rows", base, manifest_edit=lambda m: m.update(outside_links=[{**link, "rows": "2"}]))
    c.refused("outside-link-string-rows", r"records outside_links\[0\] as .*\"rows\": \"2\".*, not a link")
    c.write("outside-link-not-object", base, manifest_edit=lambda m: m.update(outside_links=[link, "m2m"]))
    c.refused("outside-link-not-object", r"records outside_links\[1\] as \"m2m\", not a link")
    c.write("outside-links-too-many", base, manifest_edit=lambda m: m.update(outside_links=[link] * 10_001))
    c.refused("outside-links-too-many", r"lists 10,001 outside links; .* never more than 10,000")
    # Sound links are shown by the plan, at most LIST_LIMIT of them, control characters escaped.
    shown = {**link, "verdict": "ambiguous", "reason": "\x1b[2J\x1b[31mpwned"}
    c.write("outside-links-shown", base, manifest_edit=lambda m: m.update(outside_links=[shown] * 60))
    c.add("outside-links-shown", OK_VERIFY, OK_PLAN, OK_APPLY, absent=["\x1b"],
          detail=r"(?s)Not in this export: .*\\x1b\[2J\\x1b\[31mpwned.*\.\.\. and 10 more \(--json lists them all\)")
    c.write("other-pair", base, manifest_edit=lambda m: m["data"].update(path="another.jsonl"),
            after=lambda d, m: (folder / "another.jsonl").write_bytes(d.read_bytes()))
    c.refused("other-pair", r"belongs to another export: it describes 'another.jsonl', not 'other-pair.jsonl'")
    c.write("data-missing", base, after=lambda d, m: d.unlink())
    c.refused("data-missing", r"The data file .*data-missing.jsonl named by the manifest does not exist",
              file="data-missing.manifest.json")

    # -- paths out of the export's folder -------------------------------------------------------------------
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() if Path("/etc/passwd").is_file() else "-"
    c.write("data-path-traversal", base, manifest_edit=lambda m: m["data"].update(path="../../../../etc/passwd"))
    c.refused("data-path-traversal", r"names its data file '../../../../etc/passwd', which is not a plain file name",
              file="data-path-traversal.manifest.json", absent=[passwd])

    def files_out(m: dict[str, Any]) -> None:
        m["files"] = {"included": True, "names": ["passwd"], "path": "../../../../etc", "sha256": {"passwd": "0" * 64}}

    c.write("files-path-traversal", base, manifest_edit=files_out)
    c.refused("files-path-traversal", r"names its files folder '../../../../etc', which is not a plain file name",
              absent=[passwd])

    def file_name_out(m: dict[str, Any]) -> None:
        m["files"] = {"included": True, "names": ["x"], "path": "files",
                      "sha256": {"../../../../../etc/passwd": "0" * 64}}

    c.write("files-name-traversal", base, manifest_edit=file_name_out)
    c.refused("files-name-traversal", r"names the file '../../../../../etc/passwd' in its files folder",
              absent=[passwd])

    # -- what the path is -------------------------------------------------------------------------------------
    def replace_data(make: Callable[[Path], None]) -> Callable[[Path, Path], None]:
        def after(d: Path, m: Path) -> None:
            d.unlink()
            make(d)
        return after

    c.write("data-directory", base, after=replace_data(lambda d: d.mkdir()))
    c.add("data-directory", (2, r"data-directory.jsonl is a directory; name the export's"),
          (2, r"data-directory.jsonl is a directory; name the export's"))
    c.write("data-directory-named", base, after=replace_data(lambda d: d.mkdir()))
    c.refused("data-directory-named", r"data-directory-named.jsonl is a directory, not a regular file",
              file="data-directory-named.manifest.json")
    c.write("data-fifo", base, after=replace_data(lambda d: os.mkfifo(d)))
    c.refused("data-fifo", r"data-fifo.jsonl is a FIFO \(named pipe\), not a regular file")
    c.write("data-dev-zero", base, after=replace_data(lambda d: d.symlink_to("/dev/zero")))
    c.refused("data-dev-zero", r"is a symbolic link to /dev/zero, which is a character device, not a regular file")
    c.write("data-link-to-dir", base, after=replace_data(lambda d: d.symlink_to("/tmp")))
    c.add("data-link-to-dir", (2, r"is a symbolic link to /tmp, which is a directory; name the export's"),
          (2, r"is a symbolic link to /tmp, which is a directory; name the export's"))
    c.write("data-dangling-link", base, after=replace_data(lambda d: d.symlink_to(folder / "nowhere.jsonl")))
    c.refused("data-dangling-link", r"is a symbolic link to .*nowhere.jsonl, which does not exist",
              file="data-dangling-link.manifest.json")

    def replace_manifest(make: Callable[[Path], None]) -> Callable[[Path, Path], None]:
        def after(d: Path, m: Path) -> None:
            m.unlink()
            make(m)
        return after

    c.write("manifest-directory", base, after=replace_manifest(lambda m: m.mkdir()))
    c.refused("manifest-directory", r"manifest-directory.manifest.json is a directory, not a regular file")
    c.write("manifest-fifo", base, after=replace_manifest(lambda m: os.mkfifo(m)))
    c.refused("manifest-fifo", r"manifest-fifo.manifest.json is a FIFO \(named pipe\)")
    c.write("manifest-dev-zero", base, after=replace_manifest(lambda m: m.symlink_to("/dev/zero")))
    c.refused("manifest-dev-zero", r"is a symbolic link to /dev/zero, which is a character device")
    (folder / "interrupted.jsonl.tmp-1a2b3c4d").write_text('{"model": "conference.event"')
    c.add("interrupted", (2, r"did not finish"), (2, r"did not finish"), file="interrupted.jsonl.tmp-1a2b3c4d")

    # -- compression ------------------------------------------------------------------------------------------
    bomb = gzip.compress(b"\n" * (200 << 20), compresslevel=9, mtime=0)
    c.write("gzip-bomb", [], data=bomb, gz=True, counts={"conference.track": 2})
    c.refused("gzip-bomb", r"expands to more than 200 times its compressed size .* decompression bomb",
              file="gzip-bomb.jsonl.gz")
    one_line = gzip.compress(b'{"model": "conference.track", "fields": {"name": "' + b"a" * (40 << 20) + b'"}}\n',
                             compresslevel=9, mtime=0)
    c.write("gzip-bomb-one-line", [], data=one_line, gz=True, counts={"conference.track": 1})
    c.refused("gzip-bomb-one-line", r"gzip-bomb-one-line.jsonl.gz expands to more than 200 times .* bomb",
              file="gzip-bomb-one-line.jsonl.gz")
    long_line = b'{"model": "conference.track", "pk": 1, "fields": {"name": "' + b"a" * (17 << 20) + b'"}}\n'
    c.write("long-line", [], data=long_line, counts={"conference.track": 1})
    c.refused("long-line", r"line 1 of long-line.jsonl is longer than 16,777,216 bytes")
    c.write("not-gzip", base, gz=True, data=text)
    c.refused("not-gzip", r"the data file not-gzip.jsonl.gz is not gzip \(it does not start with the gzip magic",
              file="not-gzip.jsonl.gz")
    c.write("gzip-trailing-garbage", base, gz=True, data=zipped + b"garbage!")
    c.refused("gzip-trailing-garbage", r"gzip-trailing-garbage.jsonl.gz is damaged: it cannot be decompressed past "
                                       r"\d+ bytes",
              file="gzip-trailing-garbage.jsonl.gz")

    # -- another project, other models ----------------------------------------------------------------------
    other = [{"model": "shop.order", "pk": 1, "fields": {"total": "9.90"}}]

    def shop(m: dict[str, Any]) -> None:
        m["source"].update(settings="shop.settings")
        m["models"] = {"shop.order": {"count": 1, "schema": {"pk": "id", "fields": {
            "total": {"type": "DecimalField", "null": False}}}}}
        _refingerprint(m)

    c.write("other-project", other, manifest_edit=shop, models={})
    c.add("other-project", (1, r"\[schema\] shop.order: the model does not exist in this project"),
          (2, r"exported from another project \(settings 'shop.settings'\): the apps shop"))
    badge = [*base, {"model": "conference.speakerbadge", "pk": 1, "fields": {"event": 9001, "label": "VIP"}}]

    def with_badge(m: dict[str, Any]) -> None:
        m["models"]["conference.speakerbadge"] = {"count": 1, "schema": {"pk": "id", "fields": {
            "event": {"type": "ForeignKey", "null": False, "to": "conference.event"},
            "label": {"type": "CharField", "null": False}}}}
        m["data"]["objects"] = 8
        _refingerprint(m)

    c.write("unknown-model", base, manifest_edit=with_badge, data=_lines(badge))
    c.add("unknown-model", (1, r"conference.speakerbadge: the model does not exist"),
          (2, r"models this project does not have: conference.speakerbadge"))

    def drift(m: dict[str, Any]) -> None:
        fields = m["models"]["conference.room"]["schema"]["fields"]
        fields["name"]["type"] = "TextField"
        fields["floor"] = {"type": "IntegerField", "null": False}
        del fields["position"]
        _refingerprint(m)

    drifted = copy.deepcopy(base)
    drifted[6]["fields"]["floor"] = 2
    drifted[6]["fields"].pop("position")
    c.write("schema-difference", drifted, manifest_edit=drift)
    c.add("schema-difference", (1, r"\[schema\] conference.room"),
          (2, r"models changed since .*conference.room.floor: in the file, but the model has no such field any more; "
              r"conference.room.name: type is 'TextField' in the file, 'CharField' here; conference.room.position: "
              r"PositiveIntegerField on the model, not in the file"))
    missing = [o for o in base if o["model"] not in ("conference.event", "conference.organiser")]
    c.write("missing-references", missing, manifest_edit=lambda m: m.update(scope={}))
    c.add("missing-references", OK_VERIFY, (1, r"neither in the file nor in the target"))
    c.write("pk-not-a-key", _edit_pk(base, 2, "abc"))
    c.add("pk-not-a-key", OK_VERIFY, (2, r"Line 3 \(conference.track\) has the primary key 'abc', which is not valid"))

    # -- values the target must not get (the plan names them; nothing is written) -----------------------------
    c.invalid("value-text-in-integer", _edit(base, 6, capacity="lots"),
              r"conference.room:9301 +invalid_value: line 7: capacity: 'lots' is not a valid PositiveIntegerField")
    c.invalid("value-bad-date", _edit(base, 1, date_from="2026-02-30"),
              r"conference.event:9001 +invalid_value: line 2: date_from: '2026-02-30' is not a valid DateField")
    c.invalid("value-bad-boolean", _edit(base, 1, is_public="maybe"),
              r"line 2: is_public: 'maybe' is not a valid BooleanField")
    c.invalid("value-boolean-number", _edit(base, 1, is_public=2), r"line 2: is_public: 2 is not a valid BooleanField")
    c.invalid("value-integer-out-of-range", _edit(base, 6, capacity=2**63),
              r"line 7: capacity: 9223372036854775808 is outside the range of a PositiveIntegerField")
    c.invalid("value-negative-positive", _edit(base, 6, position=-1),
              r"line 7: position: -1 is outside the range of a PositiveIntegerField")
    nan = json.dumps(base[-1]).replace('"capacity": 100', '"capacity": NaN')
    c.write("value-nan-integer", [*base[:-1], nan], counts={"conference.organiser": 1, "conference.event": 1,
                                                           "conference.track": 2, "conference.tag": 2,
                                                           "conference.room": 1})
    c.add("value-nan-integer", OK_VERIFY, (1, r"conflicts have no decision \(.*invalid_value 1"),
          detail=r"line 7: capacity: nan is not a valid PositiveIntegerField")
    c.invalid("value-too-long", _edit(base, 2, name="x" * 201),
              r"line 3: name: 201 characters, the field holds at most 200")
    c.invalid("value-null-not-nullable", _edit(base, 2, name=None),
              r"line 3: name: null, but the field is not nullable")
    missing_color = copy.deepcopy(base)
    del missing_color[3]["fields"]["color"]
    c.invalid("value-missing-field", missing_color, r"line 4: color: the line has no value for this field")
    c.invalid("value-fk-not-a-key", _edit(base, 2, event="abc"), r"line 3: event: 'abc' is not a valid (Big)?AutoField")
    c.invalid("value-fk-null", _edit(base, 2, event=None), r"line 3: event: null, but the field is not nullable")
    c.invalid("value-m2m-not-a-list", _edit(base, 0, members="alice"),
              r"line 1: members: 'alice' is not a list of keys")
    deep: Any = "bottom"
    for _ in range(150):
        deep = {"d": deep}
    c.invalid("value-deep-json", _edit(base, 1, settings=deep),
              r"line 2: settings: the JSON value is nested more than 100 levels deep")
    c.invalid("value-pk-out-of-range", _edit_pk(base, 2, 2**63),
              r"line 3: id \(the primary key\): 9223372036854775808 is outside the range")
    c.invalid("value-decimal-overflow", with_review(score="12345.6"),
              r"line 9: score: '12345.6': Ensure that there are no more than 4 digits in total")
    c.invalid("value-decimal-places", with_review(score="4.25"),
              r"line 9: score: '4.25': Ensure that there are no more than 1 decimal place")
    c.invalid("value-bad-datetime", with_review(created="2026-13-01T10:00:00Z"),
              r"line 9: created: '2026-13-01T10:00:00Z' is not a valid DateTimeField")
    c.write("value-nul-in-text", _edit(base, 2, name="Web\x00"))
    c.add("value-nul-in-text", OK_VERIFY,
          {"postgresql": (1, r"conflicts have no decision \(.*invalid_value 1"), "*": OK_PLAN},
          {"postgresql": (1, r"conflicts have no decision \(.*invalid_value 1"), "*": OK_APPLY},
          detail=r"line 3: name: the text contains U\+0000 \(a NUL character\), which PostgreSQL cannot store|"
                 r"Every conflict has a decision")
    c.write("value-nul-in-json", _edit(base, 1, settings={"tz": "U\x00TC"}))
    c.add("value-nul-in-json", OK_VERIFY,
          {"postgresql": (1, r"conflicts have no decision \(.*invalid_value 1"), "*": OK_PLAN},
          {"postgresql": (1, r"conflicts have no decision \(.*invalid_value 1"), "*": OK_APPLY},
          detail=r"line 2: settings: a JSON string contains U\+0000|Every conflict has a decision")
    dup = [*base, copy.deepcopy(base[2])]
    c.invalid("duplicate-key", dup, r"conference.track:9101@line8 +duplicate: line 8 repeats conference.track 9101 of "
                                    r"line 3")
    c.invalid("duplicate-unique", _edit(base, 5, tag="python"),
              r"conference.tag:9202 +duplicate: line 6 has event=9001, tag='python', as line 5 \(conference.tag 9201\)")

    # -- decisions files -------------------------------------------------------------------------------------
    _decisions(c)
    return c.cases


def _edit_pk(objs: list[dict[str, Any]], index: int, pk: Any) -> list[dict[str, Any]]:
    out = copy.deepcopy(objs)
    out[index]["pk"] = pk
    return out


def _decisions(c: Corpus) -> None:
    sha = json.loads((c.folder / "valid.manifest.json").read_text())["data"]["sha256"]

    def dec(name: str, objects: dict[str, Any], pattern: str, *, sha256: str = sha, **extra: Any) -> None:
        doc = {"format": "tenant-console-import-decisions", "version": 1,
               "export": {"file": "valid.jsonl", "sha256": sha256},
               "target": {"database": "target", "vendor": "sqlite", "retarget": {"mode": "same"}},
               "default": {}, "models": {}, "objects": objects, **extra}
        (c.folder / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")
        c.add(name, OK_VERIFY, (2, pattern), file="valid.jsonl", decisions=f"{name}.json")

    dec("decisions-other-export", {}, r"made for another export", sha256="f" * 64)
    dec("decisions-unknown-object", {"conference.track:1": {"decision": "skip", "class": "new"}},
        r"conference.track:1, which is not in the file")
    dec("decisions-impossible", {"conference.track:9101": {"decision": "use_existing", "class": "new"}},
        r"'use_existing' is not possible for conference.track:9101 \(new\)")
    dec("decisions-class-changed", {"conference.track:9101": {"decision": "overwrite", "class": "changed"}},
        r"was 'changed' when the decisions were made and is 'new' now")
    dec("decisions-unknown-decision", {}, r"'merge' in the default is not a decision", default={"*": "merge"})
    dec("decisions-other-target", {}, r"made for importing",
        target={"retarget": {"mode": "new", "tenants": {"event": {"slug": "x"}}}})
    (c.folder / "decisions-not-json.json").write_text("{decisions: yes}\n")
    c.add("decisions-not-json", OK_VERIFY, (2, r"is not valid JSON"), file="valid.jsonl",
          decisions="decisions-not-json.json")


def main() -> None:
    root = Path(__file__).resolve().parent.parent.parent.parent
    sys.path[:0] = [str(root), str(root / "demo_project")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    import django

    django.setup()
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    folder.mkdir(parents=True, exist_ok=True)
    for case in build(folder):
        print(f"{case.name:<32} {case.file}")


if __name__ == "__main__":
    main()
