"""Where finished exports go: a local path, or a Django storage backend.

Both are written in two steps. The data and the manifest are first written to
temporary local files (``NAME.tmp-XXXX``, beside the destination for local
output so the final step is an atomic ``rename``); only a complete export is
moved into place, the data first and the manifest last. A file without its
manifest is therefore never a finished export; a previous export that
``--overwrite`` replaces is renamed aside first and put back if the new one cannot
be put in place whole (see :meth:`LocalOutput.commit`). An interrupted one leaves
nothing behind: the writer removes its temporary files on any error or cancel (the
CLI turns ``SIGTERM``/``SIGHUP``/``SIGINT`` into a cancel), whatever is left at
interpreter exit is removed then, and those left by a process that
could not clean up (``SIGKILL``, a power cut) are removed by the next export to the
same folder (their names carry the writer's pid: ``NAME.tmp-PID-XXXX``). A storage
backend (S3/GCS through django-storages, or any other) receives the finished files
through ``storage.save``, so no cloud CLI is needed; having no rename, it gets them under temporary names first,
and the previous export is copied aside and copied back if the new one cannot be put in place whole (see
:meth:`StorageOutput.commit`).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import NoReturn

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



class CommitFailed(ConsoleError):
    """Moving a finished export into place failed. The message says what is in place; ``written`` is True when
    something of the new export was left there (the audit trail records it)."""

    def __init__(self, message: str, *, written: bool) -> None:
        super().__init__(message)
        self.written = written


def _refuse_folders(*paths: Path) -> None:
    """An export's files are regular files: a folder at one of their names is refused before anything is written
    (replacing the data and then failing on the manifest would leave the data without its manifest)."""
    for p in paths:
        try:
            is_dir = stat.S_ISDIR(os.lstat(p).st_mode)
        except OSError:
            continue
        if is_dir:
            raise CommitFailed(f"Cannot write the export: {p} is a directory. An export is two regular files, "
                               "and a folder is never replaced or written into; choose another name or move the "
                               "folder. Nothing was written.", written=False)


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
        _refuse_folders(self.path, self.manifest_path)
        if not overwrite:
            for p in (self.path, self.manifest_path):
                if p.exists():
                    raise OutputExists(f"{p} already exists; choose another name or pass --overwrite.", str(p))

    def commit(self) -> None:
        """The data, then the manifest, into place; a failure leaves the previous export as it was.

        Both destinations are checked first (a folder at either name is refused before anything moves).
        The previous data (``--overwrite``) is renamed aside, not replaced, and put back when the new data
        or the manifest cannot follow (the previous manifest is only replaced by the last, atomic, rename).
        Raises :class:`CommitFailed`, whose message says what is in place.
        """
        _refuse_folders(self.path, self.manifest_path)  # again: one may have appeared since check()
        previous: Path | None = None
        if os.path.lexists(self.path):
            aside = self.path.with_name(f"{self.path.name}.previous-{os.getpid()}-{secrets.token_hex(4)}")
            try:
                os.replace(self.path, aside)
            except OSError as exc:
                raise CommitFailed(f"Cannot write the export: the previous {self.path} could not be moved aside to "
                                   f"be replaced ({exc.strerror or exc}). Nothing was written; the previous export "
                                   "is as it was and the temporary files were removed.", written=False) from exc
            except BaseException as exc:  # ctrl+c or SIGTERM, perhaps raised just after the rename was done
                if os.path.lexists(aside) and not os.path.lexists(self.path):
                    self._undo(aside, exc, self.path, placed=False)
                raise
            previous = aside
        failed = self.path
        try:
            os.replace(self.data_tmp, self.path)
            failed = self.manifest_path
            os.replace(self.manifest_tmp, self.manifest_path)
        except BaseException as exc:
            # An interrupt (ctrl+c, or SIGTERM/SIGHUP turned into KeyboardInterrupt) is undone like an error. It
            # is raised once the rename in progress has returned: if that was the manifest's, the export is whole
            # and in place, and the commit is finished rather than undone.
            if isinstance(exc, Exception) or os.path.lexists(self.manifest_tmp):
                self._undo(previous, exc, failed, placed=not os.path.lexists(self.data_tmp))
        _untrack(self.data_tmp, self.manifest_tmp)
        if previous is not None:
            with contextlib.suppress(OSError):
                previous.unlink()

    def _undo(self, previous: Path | None, exc: BaseException, failed: Path, *, placed: bool) -> NoReturn:
        """Put the previous data back after a failed or interrupted step of :meth:`commit`, and say what is in
        place. An interrupt whose undo succeeds is raised again as it was (the export stops as interrupted)."""
        why = _why(exc, f"moving {failed.name} into place failed",
                   f"the export was interrupted while {failed.name} was being moved into place")
        if placed:
            try:
                os.replace(self.path, self.data_tmp)  # the new data goes back to its temporary name (discarded)
            except OSError as undo:
                kept = (f"; the previous data is kept as {previous}" if previous is not None else "")
                raise CommitFailed(f"Cannot write the export: {why}, and the new data could not be taken back "
                                   f"({undo.strerror or undo}). {self.path} now holds the new data WITHOUT its "
                                   f"manifest (it cannot be imported or verified){kept}. Export again once "
                                   f"{failed} can be written.", written=True) from exc
        if previous is not None:
            try:
                os.replace(previous, self.path)
            except OSError as undo:
                raise CommitFailed(f"Cannot write the export: {why}, and the previous data could not be put back "
                                   f"({undo.strerror or undo}): it is kept as {previous}; rename it to "
                                   f"{self.path.name} to restore the previous export. The new export was not "
                                   "written; the temporary files were removed.", written=False) from exc
            state = f"the previous export {self.path.name} is in place as it was"
        else:
            state = "no file was put in place"
        if not isinstance(exc, Exception):
            raise exc
        raise CommitFailed(f"Cannot write the export: {why}. Nothing was written: {state}, and the temporary files "
                           "were removed.", written=False) from exc


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
        """Put the data, then the manifest, in place; a failure leaves the previous export as it was.

        A storage has no rename, so each step is a copy: the new data and manifest are first uploaded under
        temporary names (``NAME.tmp-PID-XXXX``; a storage that refuses them has not been touched), the previous
        export (``--overwrite``) is copied aside (``NAME.previous-PID-XXXX``), and only then is each final name
        deleted and the new file saved under it. When a step fails or is interrupted, the new files are removed
        from the final names and the previous ones copied back; the temporary uploads and copies are removed
        when everything is back. Raises :class:`CommitFailed`, whose message says what is in the storage (or
        the interrupt again, once the previous export is back).
        """
        suffix = tmp_suffix()
        pairs = ((self.data_tmp, self.name), (self.manifest_tmp, self.manifest_name))
        uploads = {final: final + suffix for _, final in pairs}
        previous: dict[str, str] = {}  # final name -> the copy of what was there
        touched: list[str] = []  # final names whose previous content was deleted (or may have been)
        saving: set[str] = set()  # final names the new content was (perhaps partly) saved under
        try:
            for local, final in pairs:
                self._save(uploads[final], local)
            for _, final in pairs:
                if self.storage.exists(final):
                    copy = f"{final}.previous-{os.getpid()}-{secrets.token_hex(4)}"
                    previous[final] = copy
                    self._save(copy, final, from_storage=True)
            for local, final in pairs:
                touched.append(final)
                if self.storage.exists(final):
                    self.storage.delete(final)
                saving.add(final)
                self._save(final, local)
        except BaseException as exc:
            self._undo(exc, uploads, previous, touched, saving)
        self._remove(*uploads.values(), *previous.values())
        self.discard()

    def _save(self, name: str, source: Path | str, *, from_storage: bool = False) -> None:
        """Save ``source`` (a local file, or a file of the storage) as ``name``, exactly that name."""
        from django.core.files import File

        with (self.storage.open(str(source), "rb") if from_storage else Path(source).open("rb")) as fh:
            saved = self.storage.save(name, File(fh, name=os.path.basename(name)))
        if saved != name:
            self._remove(saved)
            raise ConsoleError(f"the storage saved {name!r} as {saved!r} (another file took that name meanwhile)")

    def _remove(self, *names: str) -> list[str]:
        """Delete what of ``names`` exists; returns those that could not be deleted."""
        left: list[str] = []
        for name in names:
            try:
                if self.storage.exists(name):
                    self.storage.delete(name)
            except Exception:
                left.append(name)
        return left

    def _undo(self, exc: BaseException, uploads: dict[str, str], previous: dict[str, str],
              touched: list[str], saving: set[str]) -> NoReturn:
        """Put the previous export back after a failed or interrupted step of :meth:`commit`, and say what is in
        the storage. An interrupt whose undo succeeds is raised again as it was."""
        where = f"the storage {self.storage_alias!r}"
        why = _why(exc, f"writing to {where} failed",
                   f"the export was interrupted while it was being written to {where}")
        problems: list[str] = []
        for final in touched:
            try:
                if final not in saving and self.storage.exists(final):
                    continue  # its deletion failed: the previous file is still there
                if self.storage.exists(final):
                    self.storage.delete(final)
            except Exception as undo:
                problems.append(f"{final} holds the new file, or part of it, which could not be removed ({undo})")
                continue
            if final in previous:
                try:
                    self._save(final, previous[final], from_storage=True)
                except Exception as undo:
                    self._remove(final)
                    problems.append(f"{final} is missing: the previous one could not be copied back ({undo})")
        if problems:
            complete = " and ".join(uploads[final] for final in (self.name, self.manifest_name))
            kept = (f" The previous export is kept as {' and '.join(previous.values())}." if previous else "")
            raise CommitFailed(f"Cannot write the export: {why}, and the previous export could not be put back "
                               f"as it was: {'; '.join(problems)}.{kept} The new export is complete in {where} as "
                               f"{complete} (copy them to {self.name} and {self.manifest_name} to use it).",
                               written=True) from exc
        left = self._remove(*uploads.values(), *previous.values())
        if not isinstance(exc, Exception):
            raise exc
        try:
            had_previous = self.storage.exists(self.name)
        except Exception:
            had_previous = bool(previous)
        state = (f"the previous export {self.name} is in place as it was" if had_previous
                 else "no file was put in place")
        cleaned = (f"; these temporary files could not be removed from {where}: {', '.join(left)}" if left
                   else ", and the temporary files were removed")
        raise CommitFailed(f"Cannot write the export: {why}. Nothing was written: {state}{cleaned}.",
                           written=False) from exc

    def discard(self) -> None:
        super().discard()
        with contextlib.suppress(OSError):
            self._tmpdir.rmdir()


def _why(exc: BaseException, failed: str, interrupted: str) -> str:
    """Why a commit step stopped, for its one-paragraph error: ``failed (the cause)``, or ``interrupted``
    for ctrl+c and the signals that stop an export."""
    if isinstance(exc, OSError):
        return f"{failed} ({exc.strerror or exc})"
    if isinstance(exc, ConsoleError):
        return f"{failed} ({exc.message})"
    if isinstance(exc, Exception):
        return f"{failed} ({type(exc).__name__}: {exc})"
    return interrupted
