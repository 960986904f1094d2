"""Where the file's rows wait during an import: on disk, not in memory.

An import reads every object of the file, but it needs the values of one object only
now and then (to validate it, to compare it with the target, to follow its references,
to write it). Held as Python dicts, the values cost about 600 bytes per object, most of
an import's memory (a million objects: 600 MB). :class:`RowStore` keeps each object's
line, as the file has it, in a temporary SQLite database instead, keyed by its line
number, and parses lines again when asked, a window of lines at a time for the passes
that go through a model in file order. What stays in memory per object is its
:class:`~tenant_console.core.importer.reader.Row` (model, key, line).

The database is private: created ``0600`` in a ``0700`` directory and unlinked at once,
so the data (a customer's) is gone when the import ends, however it ends (a SIGKILL
included); only the open connection still reaches it. One connection, shared by the
threads that read an export (the reader's, the session's, the review screen's), under a lock.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from typing import Any

#: Lines read (and parsed) at once when a pass goes through the rows in file order.
WINDOW = 512
#: Parsed rows kept (two generations of this many): the rows a pass is at, and those it just left.
CACHE = 2048
#: Lines written to the database at once while the file is read.
WRITE_BATCH = 4096


class RowStore:
    """The lines of one export by line number; :meth:`fields` gives an object's fields (see the module docstring)."""

    def __init__(self) -> None:
        folder = tempfile.mkdtemp(prefix="tc-import-")  # 0700
        path = os.path.join(folder, "rows.sqlite")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            # No journal and no syncs: the database lives as long as this import and is never reopened.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("CREATE TABLE line (n INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        finally:
            # Unlinked while open: nothing is left on disk once the connection closes or the process dies.
            shutil.rmtree(folder, ignore_errors=True)
        self._conn = conn
        self._lock = threading.Lock()
        self._pending: list[tuple[int, bytes]] = []
        self._new: dict[int, dict[str, Any]] = {}
        self._old: dict[int, dict[str, Any]] = {}
        self._last_miss = -2
        self.count = 0
        self._finalizer = weakref.finalize(self, conn.close)

    # -- writing (while the file is read) ----------------------------------------------
    def add(self, n: int, raw: bytes) -> None:
        self._pending.append((n, raw))
        self.count += 1
        if len(self._pending) >= WRITE_BATCH:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def finish(self) -> None:
        """Everything added is readable (call once the file has been read)."""
        self._flush()

    # -- reading -------------------------------------------------------------------
    def fields(self, n: int) -> dict[str, Any]:
        """The ``fields`` of the object on line ``n``."""
        got = self._new.get(n)
        if got is not None:
            return got
        with self._lock:
            got = self._old.get(n)
            if got is None:
                # In file order (this miss follows the last one closely): read a window; elsewhere: the line alone.
                sequential = 0 < n - self._last_miss <= 8
                self._last_miss = n
                self._flush_locked()
                rows = self._conn.execute("SELECT n, data FROM line WHERE n >= ? AND n < ?",
                                          (n, n + (WINDOW if sequential else 1))).fetchall()
                if len(self._new) + len(rows) > CACHE:
                    self._old, self._new = self._new, {}
                for m, data in rows:
                    self._new[m] = json.loads(data)["fields"]
                got = self._new.get(n)
                if got is None:
                    raise KeyError(f"line {n} is not in the import's row store")
            else:
                self._new[n] = got
            return got

    def _flush_locked(self) -> None:
        if not self._pending:
            return
        self._conn.execute("BEGIN")
        self._conn.executemany("INSERT INTO line (n, data) VALUES (?, ?)", self._pending)
        self._conn.execute("COMMIT")
        self._pending.clear()

    def close(self) -> None:
        self._finalizer()
