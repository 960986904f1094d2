"""The one reader of the export format: the manifest and the data file, checked as they are read.

``verify`` and ``import`` both read an export through :class:`ExportReader`, so they accept
and refuse the same files with the same words. The reader trusts nothing it is given:

* paths: the manifest names its data file and its files folder by a plain name beside
  the manifest; a name with a separator or ``..`` is refused, and nothing outside the
  export's folder is ever opened (a symbolic link that leads out of it is refused too);
* what a path is: only regular files are read. A directory, FIFO, device or socket (or a
  symbolic link to one, such as ``/dev/zero``) is refused by saying what it is, before
  anything is read from it (a FIFO is opened non-blocking, so it cannot hang us);
* the manifest: every field the readers use has the type the format specifies (a count
  is an integer, a model entry is an object, the schema matches its fingerprint...);
* the data: streamed line by line with limits (:class:`Limits`): the longest line, the
  expansion of the compressed file (a gzip bomb is refused as one), a count per model
  that may not exceed the manifest's (reading stops at the first object too many).

Problems are reported through ``on_problem(kind, message)`` when the caller collects them
(``verify`` lists every problem) or raised as :class:`ExportFileError` (``import`` stops at
the first). Problems after which reading cannot go on are always raised.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from tenant_console.core.errors import ConsoleError
from tenant_console.core.export.schema import fingerprint

FORMAT = "tenant-console-export"
FORMAT_VERSION = 1
DATA_SUFFIXES = (".jsonl.gz", ".jsonl")
_CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LABEL = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
BOM = b"\xef\xbb\xbf"
_BLANK = re.compile(rb"[ \t\r\n]*\n")


@dataclass(frozen=True)
class Limits:
    """What a single export may cost to read. The defaults are far above any real export."""

    max_line: int = 16 << 20  # bytes of one serialized object
    max_ratio: int = 200  # decompressed / compressed bytes of a gzip data file (JSON lines: 5-20)
    ratio_floor: int = 8 << 20  # below this many decompressed bytes the ratio is not checked
    max_manifest: int = 64 << 20  # bytes of the manifest


LIMITS = Limits()


class ExportFileError(ConsoleError):
    """An export that cannot be read as one; ``kind`` names the class of problem (verify shows it)."""

    exit_code = 2

    def __init__(self, message: str, kind: str = "data") -> None:
        super().__init__(message)
        self.kind = kind


Problem = Callable[[str, str], None]


def _plain(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def what_is(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file (following links), or None when it is one."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    link = ""
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        link = f"a symbolic link to {target}, which is "
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return f"a symbolic link to {target}, which does not exist"
        except OSError as exc:
            return f"a symbolic link to {target} that cannot be followed ({exc.strerror})"
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return link + kind


def open_regular(path: Path, role: str) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file; otherwise say what it is."""
    kind = what_is(path)
    if kind == "missing":
        raise ExportFileError(f"The {role} {path} does not exist. An export is two files side by side (the data "
                              "and NAME.manifest.json); copy both.", "missing")
    if kind is not None:
        raise ExportFileError(f"The {role} {path} is {kind}, not a regular file; nothing was read from it.", "data")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ExportFileError(f"The {role} {path} cannot be opened ({exc.strerror}).", "data")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # replaced between the check and the open
        os.close(fd)
        raise ExportFileError(f"The {role} {path} is not a regular file; nothing was read from it.", "data")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _plain_name(value: Any, what: str, manifest: Path) -> str:
    """A file name beside the manifest: no directories, no ``..``."""
    if not isinstance(value, str) or not value:
        raise ExportFileError(f"The manifest {manifest} does not name its {what} (a non-empty string is needed); "
                              "it is incomplete or was edited.", "manifest")
    if "/" in value or "\\" in value or value in (".", "..") or "\x00" in value:
        raise ExportFileError(f"The manifest {manifest} names its {what} {value!r}, which is not a plain file name: "
                              "the files of an export are beside its manifest, and a manifest is never followed "
                              "out of the export's folder.", "manifest")
    return value


def inside(folder: Path, name: str) -> Path | None:
    """``folder / name`` if it stays inside ``folder`` once links are resolved, else None."""
    if not name or name.startswith(("/", "\\")) or "\x00" in name:
        return None
    candidate = folder / name
    try:
        candidate.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return None
    return candidate


def locate(path: str | Path) -> tuple[Path, Path]:
    """(data path, manifest path) for a path naming either file of an export."""
    p = Path(path).expanduser()
    if p.name.endswith(".manifest.json"):
        manifest = _read_manifest_json(p)
        data = manifest.get("data")
        name = _plain_name(data.get("path") if isinstance(data, dict) else None, "data file", p)
        return p.with_name(name), p
    kind = what_is(p)
    if kind is not None and kind != "missing" and "directory" in kind:
        raise ExportFileError(f"{p} is {kind}; name the export's .jsonl(.gz) file or its .manifest.json.", "data")
    for suffix in DATA_SUFFIXES:
        if p.name.endswith(suffix) and len(p.name) > len(suffix):
            beside = p.with_name(p.name[: -len(suffix)] + ".manifest.json")
            if kind == "missing" and what_is(beside) == "missing":  # a wrong path, not half an export
                raise ExportFileError(f"There is no file {p} (and no {beside.name} beside where it would be): "
                                      "check the path.", "missing")
            return p, beside
    if ".tmp-" in p.name:
        raise ExportFileError(
            f"{p} is the temporary file of an export that did not finish (exports are written to NAME.tmp-XXXX "
            "and renamed only when complete). It cannot be imported or verified; export again.", "data")
    raise ExportFileError(
        f"{p} does not look like an export: the data file of an export ends in .jsonl or .jsonl.gz and has a "
        "NAME.manifest.json beside it.", "data")


def _read_manifest_json(path: Path) -> dict[str, Any]:
    try:
        fh = open_regular(path, "manifest")
    except ExportFileError as exc:
        if exc.kind == "missing":
            raise ExportFileError(
                f"The manifest {path.name} is missing beside the data file. An export is only complete once its "
                "manifest is written (an interrupted export leaves none), and without it the data cannot be "
                "verified.", "manifest")
        exc.kind = "manifest"
        raise
    with fh:
        too_big = os.fstat(fh.fileno()).st_size > LIMITS.max_manifest
        raw = b"" if too_big else fh.read()  # (a read(n) would allocate n bytes up front)
    if too_big:
        raise ExportFileError(f"The manifest {path} is larger than {LIMITS.max_manifest:,} bytes; a manifest never "
                              "is (it holds counts and schemas, not data). It is not an export manifest.", "manifest")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportFileError(f"The manifest {path} is not text (not UTF-8); it is not an export manifest.",
                              "manifest")
    try:
        manifest = json.loads(text)
    except RecursionError:
        raise ExportFileError(f"The manifest {path} is nested too deeply to be a manifest.", "manifest")
    except json.JSONDecodeError as exc:
        raise ExportFileError(f"The manifest {path} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
                              f"{exc.colno}); it may be truncated or edited.", "manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise ExportFileError(f"{path} is not a tenant-console export manifest (its \"format\" is {found!r}, "
                              f"expected {FORMAT!r}).", "manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ExportFileError(f"{path} has export format version {version!r}; this tenant-console reads version "
                              f"{FORMAT_VERSION}. Upgrade tenant-console, or export again with this version.",
                              "manifest")
    return manifest


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def validate_manifest(manifest: dict[str, Any], path: Path, problem: Problem) -> None:
    """Check the fields every reader relies on; structural problems raise, edits are reported."""
    for key in ("models", "data"):
        if not isinstance(manifest.get(key), dict):
            raise ExportFileError(f"The manifest {path} has no {key!r} section (an object is needed); it is "
                                  "incomplete or was edited.", "manifest")
    data = manifest["data"]
    _plain_name(data.get("path"), "data file", path)
    if not (isinstance(data.get("sha256"), str) and _SHA256.match(data["sha256"])):
        raise ExportFileError(f"The manifest {path} records no valid SHA-256 of the data (data.sha256 is "
                              f"{data.get('sha256')!r}); the data cannot be verified.", "manifest")
    for key in ("bytes", "objects"):
        if not _count(data.get(key)):
            raise ExportFileError(f"The manifest {path} records data.{key} as {data.get(key)!r}; a whole number "
                                  "is needed. It was edited.", "manifest")
    if data.get("compression") not in (None, "gzip"):
        raise ExportFileError(f"The manifest {path} records the compression {data.get('compression')!r}; an "
                              "export is plain or gzip.", "manifest")
    for label, entry in manifest["models"].items():
        if not isinstance(entry, dict):
            raise ExportFileError(f"The manifest {path} lists the model {label!r} with {json.dumps(entry)} instead "
                                  "of its count and schema; it was edited.", "manifest")
        if not _LABEL.match(label):
            raise ExportFileError(f"The manifest {path} lists {label!r}, which is not a model label "
                                  "(app_label.model, lower case).", "manifest")
        if not _count(entry.get("count")):
            raise ExportFileError(f"The manifest {path} records the count of {label} as "
                                  f"{json.dumps(entry.get('count'))}; a whole number is needed. It was edited.",
                                  "manifest")
        schema = entry.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), dict):
            problem("manifest", f"{label}: no schema recorded in the manifest")
            continue
        if entry.get("fingerprint") != fingerprint(schema):
            problem("manifest", f"{label}: the recorded schema does not match its fingerprint (the manifest was "
                                "edited)")
    total = sum(e["count"] for e in manifest["models"].values())
    if total != data["objects"]:
        problem("counts", f"the manifest's counts per model add up to {total:,} objects, but it announces "
                          f"{data['objects']:,}")
    files = manifest.get("files")
    if files is not None and not isinstance(files, dict):
        raise ExportFileError(f"The manifest {path} has a 'files' entry that is not an object.", "manifest")
    if isinstance(files, dict) and files.get("included"):
        _plain_name(files.get("path"), "files folder", path)
        if not isinstance(files.get("sha256") or {}, dict):
            raise ExportFileError(f"The manifest {path} has files.sha256 that is not an object.", "manifest")
        for name in files.get("sha256") or {}:
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or "\x00" in name:
                raise ExportFileError(f"The manifest {path} names the file {name!r} in its files folder, which leads "
                                      "out of it: a manifest is never followed out of the export's folder.",
                                      "manifest")
    for key in ("scope", "cross_tenant"):
        if manifest.get(key) is not None and not isinstance(manifest[key], dict):
            raise ExportFileError(f"The manifest {path} has a {key!r} entry that is not an object.", "manifest")
    for key in ("dangling", "excluded_references"):
        if manifest.get(key) is not None and not isinstance(manifest[key], list):
            raise ExportFileError(f"The manifest {path} has a {key!r} entry that is not a list.", "manifest")
    _check_source(manifest.get("source"), path)
    _check_outside_links(manifest.get("outside_links"), path)


#: The most ``outside_links`` a manifest may list: one per field that links into the tenant (tens in real projects).
MAX_OUTSIDE_LINKS = 10_000
#: The longest text of a manifest's ``source`` or ``outside_links`` entry (names, labels, reasons).
MAX_TEXT = 1_000
_LINK_TEXT = ("kind", "model", "field", "to", "table", "verdict", "reason")
_LINK_COUNTS = ("rows", "owners")


def _text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _check_source(source: Any, path: Path) -> None:
    """``source``: where the export was made (``{"vendor", "alias", "settings"}``), shown by ``import``."""
    if source is None:
        return
    if not isinstance(source, dict):
        raise ExportFileError(f"The manifest {path} has a 'source' entry that is not an object (it is "
                              f"{type(source).__name__}); it was edited.", "manifest")
    for key in ("vendor", "alias", "settings"):
        if source.get(key) is not None and not _text(source[key]):
            raise ExportFileError(f"The manifest {path} records source.{key} as {json.dumps(source[key])[:200]}; "
                                  f"a name (text of at most {MAX_TEXT:,} characters) is needed. It was edited.",
                                  "manifest")


def _check_outside_links(links: Any, path: Path) -> None:
    """``outside_links``: rows outside the tenant that link into it (:class:`~tenant_console.core.tenancy.links.
    OutsideLink`), shown by ``import``: a list of objects with text and counts, and not a long one."""
    if links is None:
        return
    if not isinstance(links, list):
        raise ExportFileError(f"The manifest {path} has an 'outside_links' entry that is not a list.", "manifest")
    if len(links) > MAX_OUTSIDE_LINKS:
        raise ExportFileError(f"The manifest {path} lists {len(links):,} outside links; an export records one per "
                              f"field that links into the tenant, never more than {MAX_OUTSIDE_LINKS:,}. It was "
                              "edited.", "manifest")
    for i, link in enumerate(links):
        if not (isinstance(link, dict)
                and all(link.get(k) is None or _text(link[k]) for k in _LINK_TEXT)
                and all(link.get(k) is None or _count(link[k]) for k in _LINK_COUNTS)):
            raise ExportFileError(f"The manifest {path} records outside_links[{i}] as {json.dumps(link)[:200]}, "
                                  f"not a link (an object whose {', '.join(_LINK_TEXT)} are text of at most "
                                  f"{MAX_TEXT:,} characters and whose {' and '.join(_LINK_COUNTS)} are whole "
                                  "numbers). It was edited.", "manifest")


def gzip_end(path: Path, most: int) -> tuple[str, int]:
    """How the gzip stream of ``path`` ends, and the bytes decompressed: ``complete``, ``cut`` (the file stops
    before the stream does), or why it cannot be read to its end (damaged, or more than ``most`` bytes)."""
    expanded = 0
    with open_regular(path, "data file") as fh, gzip.GzipFile(fileobj=fh, mode="rb") as stream:
        try:
            while chunk := stream.read1(_CHUNK):
                expanded += len(chunk)
                if expanded > most:
                    return f"it expands to more than {most:,} bytes", expanded
        except EOFError:
            return "cut", expanded
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            return f"damaged after {expanded:,} bytes decompressed: {exc}", expanded
    return "complete", expanded


def _raise(kind: str, message: str) -> NoReturn:
    raise ExportFileError(message, kind)


@dataclass
class ExportReader:
    """Reads one export; see the module docstring. Use :meth:`open`, then :meth:`check_bytes`, :meth:`objects`."""

    path: str | Path
    limits: Limits = LIMITS
    on_problem: Problem | None = None
    data_path: Path = field(init=False)
    manifest_path: Path = field(init=False)
    manifest: dict[str, Any] = field(init=False, default_factory=dict)
    sha256: str = ""
    counts: dict[str, int] = field(init=False, default_factory=dict)
    lines: int = 0

    def __post_init__(self) -> None:
        self.data_path, self.manifest_path = locate(self.path)

    def problem(self, kind: str, message: str) -> None:
        (self.on_problem or _raise)(kind, message)

    # -- the manifest ----------------------------------------------------------
    def open(self) -> dict[str, Any]:
        """Read and validate the manifest, and check that the data file is a regular file beside it."""
        manifest = _read_manifest_json(self.manifest_path)
        validate_manifest(manifest, self.manifest_path, self.problem)
        self.manifest = manifest
        recorded = manifest["data"]["path"]
        if recorded != self.data_path.name:
            raise ExportFileError(
                f"The manifest {self.manifest_path.name} belongs to another export: it describes {recorded!r}, not "
                f"{self.data_path.name!r}. Use the manifest written with this data file.", "manifest")
        kind = what_is(self.data_path)
        if kind == "missing":
            raise ExportFileError(f"The data file {self.data_path} named by the manifest does not exist. An export "
                                  "is two files side by side; copy both.", "data")
        if kind is not None:
            raise ExportFileError(f"The data file {self.data_path} is {kind}, not a regular file; nothing was read "
                                  "from it.", "data")
        if self.data_path.is_symlink() and inside(self.manifest_path.parent, self.data_path.name) is None:
            raise ExportFileError(f"The data file {self.data_path} is a symbolic link that leads out of the "
                                  "export's folder; it is not read.", "data")
        return manifest

    @property
    def compressed(self) -> bool:
        return self.manifest["data"].get("compression") == "gzip" or self.data_path.name.endswith(".gz")

    # -- the bytes -------------------------------------------------------------
    def check_bytes(self) -> str:
        """Size and SHA-256 as recorded; returns the SHA-256.

        A file that does not match says how, as far as the bytes tell: cut off (shorter, and a gzip
        stream that stops before its end, or plain text that stops mid-line), or changed (a complete
        gzip stream of other content: edited and compressed again; or the same size, other bytes).
        """
        info = self.manifest["data"]
        with open_regular(self.data_path, "data file") as fh:
            size = os.fstat(fh.fileno()).st_size
            digest = hashlib.sha256()
            last = b""
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                last = chunk[-1:]
        self.sha256 = digest.hexdigest()
        expected = info["bytes"]
        name = self.data_path.name
        if size == expected and self.sha256 == info["sha256"]:
            return self.sha256
        sums = (f"SHA-256 {self.sha256}, the manifest records {info['sha256']}" if self.sha256 != info["sha256"]
                else "the same SHA-256 as recorded")
        if size != expected:
            self._size_problem(name, size, expected, last, sums)
        if self.sha256 != info["sha256"]:
            self.problem("checksum", f"the checksum of {name} does not match its manifest: {sums}. The data was "
                                     "changed or damaged after the export.")
        return self.sha256

    def _size_problem(self, name: str, size: int, expected: int, last: bytes, sums: str) -> None:
        sizes = f"it has {size:,} bytes, the manifest says {expected:,}"
        if size == 0:
            self.problem("size", f"the data file {name} is truncated: {sizes} (it is empty). The copy or the export "
                                 "was interrupted.")
            return
        if self.compressed:
            end, expanded = gzip_end(self.data_path, max(self.limits.ratio_floor, self.limits.max_ratio * size))
            if end == "cut":
                self.problem("size", f"the data file {name} is truncated: {sizes}, and its compressed stream is cut "
                                     f"off ({expanded:,} bytes decompressed before it stops). The copy or the export "
                                     "was interrupted.")
            elif end == "complete":
                self.problem("size", f"the data file {name} was changed after the export: it is a complete gzip "
                                     f"file ({expanded:,} bytes decompressed), but {sizes} ({sums}). It was edited "
                                     "and compressed again, or replaced by another file.")
            else:
                self.problem("size", f"the data file {name} does not match its manifest: {sizes} ({sums}), and it "
                                     f"cannot be decompressed to its end ({end}).")
            return
        if size < expected and last != b"\n":
            self.problem("size", f"the data file {name} is truncated: {sizes}, and it stops in the middle of a "
                                 "line. The copy or the export was interrupted.")
        elif size < expected:
            self.problem("size", f"the data file {name} does not match its manifest: {sizes} ({sums}); it was cut "
                                 "off at the end of a line or changed after the export.")
        else:
            self.problem("size", f"the data file {name} does not match its manifest: {sizes} ({sums}); data was "
                                 "added or changed after the export.")

    # -- the objects -----------------------------------------------------------
    def _raw_lines(self, fh: BinaryIO, size: int) -> Iterator[bytes]:
        """The lines of the data, read in blocks; runs of blank lines are skipped without a loop per line."""
        limits = self.limits
        name = self.data_path.name
        if self.compressed:
            magic = fh.read(2)
            fh.seek(0)
            if magic != b"\x1f\x8b":
                _raise("truncated" if not magic else "parse", f"the data file {name} is not gzip (it does not start "
                       "with the gzip magic bytes), although its name or manifest says it is compressed")
        stream: Any = gzip.GzipFile(fileobj=fh, mode="rb") if self.compressed else fh
        expanded = 0
        max_expanded = max(limits.ratio_floor, limits.max_ratio * size) if self.compressed else None
        pending = bytearray()
        first = True
        while True:
            try:
                # read1: what one step decompresses (read() would lose a cut file's last part, and its count)
                chunk = stream.read1(_CHUNK) if self.compressed else stream.read(_CHUNK)
            except EOFError:
                _raise("truncated", f"the compressed data file {name} is cut off: its {size:,} bytes end before "
                                    f"the gzip stream does ({expanded:,} bytes decompressed before it stops); the "
                                    "copy or the export was interrupted")
            except (gzip.BadGzipFile, zlib.error, OSError) as exc:
                _raise("truncated", f"the data file {name} is damaged: it cannot be decompressed past {expanded:,} "
                                    f"bytes ({exc})")
            if first and chunk:
                first = False
                if chunk.startswith(BOM):
                    _raise("parse", f"the data file {name} starts with a UTF-8 byte-order mark; an export never does "
                                    "(the file was re-saved by an editor), and loaddata cannot read it either")
            if not chunk:
                if pending:
                    self.lines += 1
                    yield bytes(pending)
                return
            expanded += len(chunk)
            if max_expanded is not None and expanded > max_expanded:
                _raise("limit", f"the data file {name} expands to more than {limits.max_ratio} times its compressed "
                                f"size ({size:,} bytes compressed, over {expanded:,} read so far): a JSON export never "
                                "compresses that well, so this is a decompression bomb; reading stopped")
            pos = 0
            end = len(chunk)
            while pos < end:
                if not pending:
                    blank = _BLANK.match(chunk, pos)
                    if blank is not None:
                        self.lines += chunk.count(b"\n", pos, blank.end())
                        pos = blank.end()
                        continue
                nl = chunk.find(b"\n", pos)
                if nl < 0:
                    pending += chunk[pos:]
                    if len(pending) > limits.max_line:
                        self._too_long(name)
                    break
                if pending:
                    pending += chunk[pos:nl + 1]
                    line = bytes(pending)
                    pending.clear()
                else:
                    line = chunk[pos:nl + 1]
                pos = nl + 1
                if len(line) > limits.max_line:
                    self._too_long(name)
                self.lines += 1
                yield line

    def _too_long(self, name: str) -> NoReturn:
        _raise("limit", f"line {self.lines + 1:,} of {name} is longer than {self.limits.max_line:,} bytes, the most "
                        "one serialized object may take; the file is not an export (or a value in it is far too "
                        "large)")

    def objects(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(line number, object)`` for each object of the data, checked against the manifest as read."""
        for n, obj, _raw in self.records():
            yield n, obj

    def records(self) -> Iterator[tuple[int, dict[str, Any], bytes]]:
        """``(line number, object, the line's bytes)``: :meth:`objects` with the text each object was read from
        (the importer keeps that text on disk instead of the parsed objects in memory)."""
        models: dict[str, Any] = self.manifest["models"]
        known = {label: set((entry.get("schema") or {}).get("fields") or {})
                 for label, entry in models.items()}
        allowed = {label: entry["count"] for label, entry in models.items()}
        counts = self.counts
        name = self.data_path.name
        complete = True
        with open_regular(self.data_path, "data file") as fh:
            size = os.fstat(fh.fileno()).st_size
            for raw in self._raw_lines(fh, size):
                complete = raw.endswith(b"\n")
                if not raw.strip():
                    continue
                n = self.lines
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    self.problem("parse", f"line {n:,} of {name} is not UTF-8 text ({exc.reason} at byte "
                                          f"{exc.start})")
                    continue
                except RecursionError:
                    self.problem("parse", f"line {n:,} of {name} is nested too deeply to be read")
                    continue
                except ValueError as exc:
                    where = "the last line, cut off," if not complete else f"line {n:,} of {name}"
                    self.problem("parse", f"{where} is not valid JSON ({getattr(exc, 'msg', exc)}); the file is "
                                          "damaged")
                    continue
                if not (isinstance(obj, dict) and isinstance(obj.get("model"), str)
                        and isinstance(obj.get("fields"), dict)):
                    self.problem("parse", f"line {n:,} of {name} is not a serialized Django object (it needs "
                                          "\"model\" and \"fields\")")
                    continue
                label = sys.intern(obj["model"].lower())  # one string per model, not one per object
                if label not in models:
                    self.problem("counts", f"line {n:,} of {name} is a {obj['model']!r} object, but the manifest "
                                           "does not list that model; the data and the manifest do not belong "
                                           "together")
                    continue
                counts[label] = counts.get(label, 0) + 1
                if counts[label] > allowed[label]:
                    _raise("counts", f"line {n:,} of {name} is {label} object number {counts[label]:,}, but the "
                                     f"manifest lists {allowed[label]:,}; the data and the manifest do not belong "
                                     "together, and reading stopped there")
                extra = set(obj["fields"]) - known[label] if known[label] else set()
                if extra:
                    self.problem("fields", f"line {n:,} of {name}: {label} has the field(s) "
                                           f"{', '.join(sorted(extra))} that the manifest's schema does not list")
                    continue
                yield n, obj, raw
        if self.lines and not complete:
            self.problem("truncated", f"line {self.lines:,} of {name}, the last one, has no newline: the file was "
                                      "cut off")
        for label, want in allowed.items():
            got = counts.get(label, 0)
            if got != want:
                self.problem("counts", f"the manifest lists {want:,} {label} objects, the data has {got:,}; the data "
                                       "and the manifest do not belong together")
        total = self.manifest["data"]["objects"]
        if sum(counts.values()) != total:
            self.problem("counts", f"the manifest announces {total:,} objects, the data has "
                                   f"{sum(counts.values()):,}")

    def check_files(self) -> None:
        """Copied files (``--with-files``): inside the export's folder, present, with the recorded SHA-256."""
        files = self.manifest.get("files") or {}
        if not files.get("included"):
            return
        base = self.manifest_path.parent
        folder = inside(base, str(files.get("path")))
        if folder is None:
            self.problem("files", f"the files folder {files.get('path')!r} leads out of the export's folder; it "
                                  "is not read")
            return
        for name, want in (files.get("sha256") or {}).items():
            p = inside(folder, str(name))
            if p is None:
                self.problem("files", f"{name!r}: the name leads out of the export's files folder; not read")
                continue
            kind = what_is(p)
            if kind == "missing":
                self.problem("files", f"{name}: missing from {folder}")
                continue
            if kind is not None:
                self.problem("files", f"{name}: {kind}, not a regular file; not read")
                continue
            digest = hashlib.sha256()
            with open_regular(p, "file") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != want:
                self.problem("files", f"{name}: SHA-256 {digest.hexdigest()} differs from the recorded {want}")
