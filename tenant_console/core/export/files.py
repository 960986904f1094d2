"""Copying the files that FileFields name, beside the data (``--with-files DIR``).

The fixture always carries the names; the files live in a storage and are only
copied when asked. They go to a temporary directory that is renamed to ``DIR``
when the export completes, and each file's SHA-256 goes into the manifest so
``verify`` can check them. A name whose file is missing is recorded, not fatal:
real media folders have holes, and the user should see them rather than lose the export.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

from tenant_console.core.errors import ConsoleError
from tenant_console.core.private import DIR_MODE, open_private, private_dir


class FileCopier:
    def __init__(self, directory: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.final = Path(directory).expanduser().absolute()
        if os.path.lexists(self.final) and not self.final.is_dir():
            raise ConsoleError(f"--with-files {self.final}: that is a file, not a directory; the copied files go to "
                               "a directory. Choose another name. Nothing was written.")
        if self.final.exists() and any(self.final.iterdir()) and not overwrite:
            raise ConsoleError(f"--with-files {self.final}: the directory exists and is not empty; choose a new one "
                               "or pass --overwrite.")
        if not self.final.parent.is_dir():
            raise ConsoleError(f"--with-files {self.final}: the directory {self.final.parent} does not exist.")
        self.tmp = self.final.with_name(f"{self.final.name}.tmp-{secrets.token_hex(4)}")
        os.mkdir(self.tmp, DIR_MODE)  # not there yet (random name): created private, never reused
        self.previous: Path | None = None  # the folder --overwrite replaces, kept aside until the export is in place
        self.sha256: dict[str, str] = {}
        self.missing: list[str] = []
        self._lock = threading.Lock()  # export --jobs: several connections' rows name files

    def copy(self, storage: Any, name: str) -> None:
        with self._lock:
            self._copy(storage, name)

    def _copy(self, storage: Any, name: str) -> None:
        if name in self.sha256 or name in self.missing:
            return
        dest = (self.tmp / name).resolve()
        if self.tmp.resolve() not in dest.parents:
            self.missing.append(name)  # "../" in a stored name: never write outside the folder
            return
        try:
            src = storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            self.missing.append(name)
            return
        private_dir(dest.parent)
        sha = hashlib.sha256()
        with src, open_private(dest, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                sha.update(block)
                out.write(block)
        self.sha256[name] = sha.hexdigest()

    def commit(self) -> None:
        """The copied files into place; a previous folder (``--overwrite``) is renamed aside, not removed, until
        :meth:`finish` (the export's data and manifest are committed between the two) or :meth:`restore`."""
        if os.path.lexists(self.final):
            self.previous = self.final.with_name(f"{self.final.name}.previous-{secrets.token_hex(4)}")
            os.replace(self.final, self.previous)
        try:
            os.replace(self.tmp, self.final)
        except OSError:
            self.restore()
            raise

    def restore(self) -> None:
        """Undo :meth:`commit`: the new files back to their temporary folder (discarded), the previous ones back."""
        if os.path.lexists(self.final) and not os.path.lexists(self.tmp):
            os.replace(self.final, self.tmp)
        if self.previous is not None:
            os.replace(self.previous, self.final)
            self.previous = None

    def finish(self) -> None:
        """The export is in place: the previous files folder goes."""
        if self.previous is not None:
            shutil.rmtree(self.previous, ignore_errors=True)
            self.previous = None

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.tmp)
