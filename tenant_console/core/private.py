"""Files only their owner may read: exports, manifests, REPL history, recent tenants, the audit log.

They hold customer data and password hashes, so every file the console creates
is created ``0600`` and every directory it creates ``0700``, whatever the umask.
Directories that already exist (the user's working directory, say) are left
as they are: the console does not change permissions it did not choose.
Everything that writes a file asks this module; nothing calls ``open(..., "w")``
or ``mkdir`` on its own.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and any missing parents ``0700``; return it (existing ones are not touched)."""
    path = Path(path)
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, DIR_MODE)
            os.chmod(directory, DIR_MODE)  # the umask may have taken bits away; never added any
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def open_private(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = None,
                 exclusive: bool = False) -> IO[Any]:
    """``open(path, mode)`` for writing, creating the file ``0600`` (and its folder ``0700``).

    ``mode`` is ``w``/``a`` with an optional ``b``. ``exclusive`` refuses an existing file.
    """
    if mode.rstrip("b") not in {"w", "a"}:
        raise ValueError(f"open_private writes; mode {mode!r} is not w, wb, a or ab")
    path = Path(path)
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_APPEND if mode.startswith("a") else os.O_TRUNC
    if exclusive:
        flags |= os.O_EXCL
    fd = os.open(path, flags, FILE_MODE)
    try:
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding or "utf-8")
    except BaseException:
        os.close(fd)
        raise


def append_private(path: str | os.PathLike[str], data: bytes) -> None:
    """Append ``data`` with one ``write`` on an ``O_APPEND`` file, so concurrent writers never interleave."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileNotFoundError:  # the folder is missing: create it (0700) once, then the file
        private_dir(Path(path).parent)
        fd = os.open(path, flags, FILE_MODE)
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(28, f"short write ({written} of {len(data)} bytes)", str(path))
    finally:
        os.close(fd)


@contextlib.contextmanager
def replace_private(path: str | os.PathLike[str], mode: str = "w", *,
                    encoding: str | None = None) -> Iterator[IO[Any]]:
    """Write a private temporary file beside ``path`` and move it into place when the block succeeds."""
    path = Path(path)
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates 0600
    try:
        with (os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding=encoding or "utf-8")) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_private_text(path: str | os.PathLike[str], text: str) -> Path:
    """Replace ``path`` atomically with ``text``, private to its owner."""
    with replace_private(path) as fh:
        fh.write(text)
    return Path(path)
