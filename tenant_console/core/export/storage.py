"""Where finished exports go: a local path, or a Django storage backend.

Both are written in two steps. The data and the manifest are first written to
temporary local files (``NAME.tmp-XXXX``, beside the destination for local
output so the final step is an atomic ``rename``); only a complete export is
moved into place, the data first and the manifest last. A file without its
manifest is therefore never a finished export, and an interrupted one leaves
nothing behind: the writer removes its temporary files on any error or cancel (the
CLI turns ``SIGTERM``/``SIGHUP``/``SIGINT`` into a cancel), whatever is left at
interpreter exit is removed then, and those left by a process that
could not clean up (``SIGKILL``, a power cut) are removed by the next export to the
same folder (their names carry the writer's pid: ``NAME.tmp-PID-XXXX``). A storage
backend (S3/GCS through django-storages, or any other) receives the finished files
through ``storage.save``, so no cloud CLI is needed.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path

from tenant_console.core.errors import ConsoleError

DATA_SUFFIXES = (".jsonl.gz", ".jsonl")


def split_name(name: str) -> tuple[str, str]:
    """``("dir/NAME", ".jsonl.gz")``; a name without a data suffix is a user mistake."""
    for suffix in DATA_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    raise ConsoleError(
        f"The export file name {name!r} must end in .jsonl or .jsonl.gz, the suffixes loaddata reads "
        "(the manifest is written beside it as NAME.manifest.json)."
    )


def default_name(selection: dict[str, object], objects: list[str]) -> str:
    """``export-event-3-20261123T054800Z.jsonl.gz``: what, and when, in a file name."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if objects:
        what = objects[0] + (f"-and-{len(objects) - 1}" if len(objects) > 1 else "")
    else:
        what = "-".join(f"{d}-{pk}" for d, pk in selection.items())
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"export-{what}-{stamp}").lower() + ".jsonl.gz"


def manifest_name(data_name: str) -> str:
    stem, _ = split_name(data_name)
    return stem + ".manifest.json"


# -- temporary files: removed on every exit this process sees, and by the next export when it could not -----

#: Temporary files this process is writing (removed by :func:`remove_pending` at interpreter exit).
_pending: set[Path] = set()
_pending_lock = threading.Lock()
#: ``NAME.jsonl.gz.tmp-PID-XXXX``, ``NAME.manifest.json.tmp-XXXX`` (older versions wrote no pid).
TMP_PATTERN = re.compile(r"^.+(?:\.jsonl|\.jsonl\.gz|\.manifest\.json)\.tmp-(?:(?P<pid>\d+)-)?[0-9a-f]{8}$")
#: A temporary file without a pid is an earlier version's; stale once it has not been written to for this long.
STALE_WITHOUT_PID = 3600.0


def tmp_suffix() -> str:
    return f".tmp-{os.getpid()}-{secrets.token_hex(4)}"


def _track(*paths: Path) -> None:
    with _pending_lock:
        _pending.update(paths)


def _untrack(*paths: Path) -> None:
    with _pending_lock:
        _pending.difference_update(paths)


def remove_pending() -> None:
    """Remove every temporary export file this process still has (at interpreter exit)."""
    with _pending_lock:
        paths = list(_pending)
        _pending.clear()
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


atexit.register(remove_pending)


def part_path(data_tmp: Path) -> Path:
    """A new temporary file beside ``data_tmp`` for one part of it (``export --jobs``), named and tracked as the
    export's own temporary files are (removed at exit, and by the next export if the process was killed)."""
    stem = re.sub(r"\.tmp-[0-9a-f-]+$", "", data_tmp.name)
    path = data_tmp.with_name(f"{stem}{tmp_suffix()}")
    _track(path)
    return path


def discard_part(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    _untrack(path)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files of interrupted exports in ``folder``: those whose writer (the pid in the
    name) is gone, and pid-less ones (earlier versions) untouched for an hour. Another export that is
    still running keeps its files. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = TMP_PATTERN.match(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = m.group("pid")
        try:
            stale = (not _pid_alive(int(pid))) if pid else now - entry.stat().st_mtime > STALE_WITHOUT_PID
        except (OSError, ValueError, OverflowError):
            continue
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed



class OutputExists(ConsoleError):
    """The output (or its manifest) exists and overwriting was not asked for. ``existing`` names it, so
    that a caller other than the CLI (the console's export screen) can say how *it* overwrites."""

    def __init__(self, message: str, existing: str) -> None:
        super().__init__(message)
        self.existing = existing

class Output:
    """A destination: temporary files to write, then :meth:`commit` or :meth:`discard`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.compressed = split_name(name)[1] == ".jsonl.gz"
        self.data_tmp: Path
        self.manifest_tmp: Path

    @property
    def display(self) -> str:
        return self.name

    def check(self, overwrite: bool) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        for p in (getattr(self, "data_tmp", None), getattr(self, "manifest_tmp", None)):
            if p is not None:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
                _untrack(p)


class LocalOutput(Output):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().absolute()
        super().__init__(str(self.path))
        self.manifest_path = Path(manifest_name(str(self.path)))
        suffix = tmp_suffix()
        self.data_tmp = self.path.with_name(f"{self.path.name}{suffix}")
        self.manifest_tmp = self.manifest_path.with_name(f"{self.manifest_path.name}{suffix}")
        _track(self.data_tmp, self.manifest_tmp)
        #: Temporary files of interrupted exports that :meth:`check` removed from the folder.
        self.removed_stale: list[Path] = []

    def check(self, overwrite: bool) -> None:
        if not self.path.parent.is_dir():
            raise ConsoleError(f"Cannot write {self.path}: the directory {self.path.parent} does not exist.")
        if not os.access(self.path.parent, os.W_OK):
            raise ConsoleError(f"Cannot write {self.path}: the directory {self.path.parent} is not writable.")
        self.removed_stale += remove_stale(self.path.parent)
        if not overwrite:
            for p in (self.path, self.manifest_path):
                if p.exists():
                    raise OutputExists(f"{p} already exists; choose another name or pass --overwrite.", str(p))

    def commit(self) -> None:
        os.replace(self.data_tmp, self.path)
        _untrack(self.data_tmp)
        os.replace(self.manifest_tmp, self.manifest_path)
        _untrack(self.manifest_tmp)


class StorageOutput(Output):
    """A Django storage alias (``STORAGES``); files are uploaded once complete."""

    def __init__(self, storage_alias: str, name: str) -> None:
        from django.core.files.storage import InvalidStorageError, storages

        try:
            self.storage = storages[storage_alias]
        except InvalidStorageError:
            from django.conf import settings

            known = ", ".join(getattr(settings, "STORAGES", {})) or "none"
            raise ConsoleError(f"--storage {storage_alias}: there is no such storage in STORAGES (known: {known}).")
        super().__init__(name)
        self.storage_alias = storage_alias
        self.manifest_name = manifest_name(name)
        tmpdir = Path(tempfile.mkdtemp(prefix="tc-export-"))
        token = secrets.token_hex(4)
        self._tmpdir = tmpdir
        self.data_tmp = tmpdir / f"data.tmp-{token}"
        self.manifest_tmp = tmpdir / f"manifest.tmp-{token}"
        _track(self.data_tmp, self.manifest_tmp)

    @property
    def display(self) -> str:
        return f"{self.storage_alias}:{self.name}"

    def check(self, overwrite: bool) -> None:
        for n in (self.name, self.manifest_name):
            if self.storage.exists(n) and not overwrite:
                raise OutputExists(f"{n} already exists in the storage {self.storage_alias!r}; choose another "
                                   "name or pass --overwrite.", n)

    def commit(self) -> None:
        from django.core.files import File

        for local, name in ((self.data_tmp, self.name), (self.manifest_tmp, self.manifest_name)):
            if self.storage.exists(name):
                self.storage.delete(name)
            with local.open("rb") as fh:
                saved = self.storage.save(name, File(fh, name=os.path.basename(name)))
            if saved != name:
                raise ConsoleError(f"The storage {self.storage_alias!r} saved {name!r} as {saved!r}; the manifest "
                                   "would not find its data.")
        self.discard()

    def discard(self) -> None:
        super().discard()
        with contextlib.suppress(OSError):
            self._tmpdir.rmdir()
