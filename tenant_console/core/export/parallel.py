"""``export --jobs N`` on PostgreSQL: N connections, one snapshot, one file.

The session's read-only block exports its snapshot (``pg_export_snapshot()``); N - 1
worker threads each open a connection of their own (made read-only by the process's
lockdown, :mod:`tenant_console.core.lockdown`, like every connection of a session) and
begin their own read-only block on that snapshot (``SET TRANSACTION SNAPSHOT``,
``REPEATABLE READ, READ ONLY``, the statement guard, the end-of-block proof:
:func:`tenant_console.core.readonly.read_only`). All N see the database at the same
instant, as ``pg_dump -j`` does; the session's block stays open until every worker is
done, so the snapshot stays valid.

Every connection, the session's included, takes whole models from one queue (the largest
first) and writes each to a part file of its own (one gzip member per model, see
:mod:`~tenant_console.core.export.writer`). The session thread then appends the parts in
the plan's dependency order to the data file, hashing as it goes: the file has the same
bytes as with one connection. Part files are temporary files of the export
(:func:`~tenant_console.core.export.storage.part_path`): removed on any failure or cancel,
and by the next export into the folder if the process was killed.

SQLite and MariaDB/MySQL cannot share a snapshot between connections (see :func:`check_jobs`).
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.db import connections

from tenant_console.core import lockdown
from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.export.files import FileCopier
from tenant_console.core.export.plan import ExportPlan
from tenant_console.core.export.serializer import NaturalKeyCache
from tenant_console.core.export.storage import discard_part, part_path
from tenant_console.core.export.writer import (
    Counter,
    HashingWriter,
    Progress,
    WriteProgress,
    WriteResult,
    empty_gzip,
    write_part,
)
from tenant_console.core.private import open_private
from tenant_console.core.readonly import export_snapshot, only_this_database, read_only

#: The most connections one export may open (each is a PostgreSQL backend of its own).
MAX_JOBS = 32


def check_jobs(vendor: str, jobs: int) -> None:
    """Refuse a ``jobs`` value the database cannot honour, in one paragraph, before anything is done."""
    if jobs < 1 or jobs > MAX_JOBS:
        raise ConsoleError(f"--jobs {jobs}: choose between 1 and {MAX_JOBS} connections.")
    if jobs > 1 and vendor != "postgresql":
        name = {"sqlite": "SQLite", "mysql": "MariaDB/MySQL"}.get(vendor, vendor)
        raise ConsoleError(
            f"--jobs {jobs} needs several connections that see one snapshot of the database, and {name} cannot "
            "share a snapshot between connections (only PostgreSQL can: pg_export_snapshot); separate connections "
            "would each read a different moment, so the parts of the file could disagree (a row written between "
            "two reads would be in one model and missing from another). Nothing was exported. Run the export "
            "without --jobs: one connection, one consistent snapshot."
        )


class _Worker(threading.Thread):
    """Writes whole models on a connection of its own, in a read-only block on the shared snapshot."""

    def __init__(self, n: int, export: _ParallelExport) -> None:
        super().__init__(name=f"tenant-console-export-job-{n}", daemon=True)
        self.export = export
        self.connection: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        ex = self.export
        try:
            self.connection = connections[ex.plan.alias]
            with only_this_database(ex.plan.alias), read_only(ex.plan.alias, snapshot=ex.snapshot):
                ex.started.release()
                ex.work(NaturalKeyCache(ex.plan.alias))
        except BaseException as exc:  # reported by the session thread, which raises the first one
            self.error = exc
            ex.stop.set()
        finally:
            ex.started.release()  # never leave the session thread waiting (released twice at most)
            with contextlib.suppress(Exception):
                connections[ex.plan.alias].close()

    def cancel_query(self) -> None:
        raw = getattr(self.connection, "connection", None)
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.cancel()


class _ParallelExport:
    def __init__(self, plan: ExportPlan, path: Path, *, compressed: bool, chunk: int, files: FileCopier | None,
                 cancel: threading.Event | None, snapshot: str) -> None:
        self.plan = plan
        self.path = path
        self.compressed = compressed
        self.chunk = chunk
        self.files = files
        self.cancel = cancel
        self.snapshot = snapshot
        self.stop = threading.Event()
        self.started = threading.Semaphore(0)
        self.counter = Counter()
        n = len(plan.selections)
        self.parts: list[Path | None] = [None] * n
        self.counts: list[int] = [0] * n
        self.names: list[list[str]] = [[] for _ in range(n)]
        self.done = [threading.Event() for _ in range(n)]
        self.todo: queue.Queue[int] = queue.Queue()
        for i in sorted(range(n), key=lambda i: -plan.selections[i].count):
            self.todo.put(i)

    def is_set(self) -> bool:
        """Whether the export stops: cancelled by the user, or another connection failed."""
        return self.stop.is_set() or (self.cancel is not None and self.cancel.is_set())

    def work(self, cache: NaturalKeyCache, tick: Callable[[str], None] | None = None) -> None:
        """Take models from the queue until it is empty (or the export stops)."""
        while not self.is_set():
            try:
                i = self.todo.get_nowait()
            except queue.Empty:
                return
            sel = self.plan.selections[i]
            part = self.parts[i] = part_path(self.path)
            with open_private(part, "wb") as fh:
                buffered = io.BufferedWriter(cast(BinaryIO, fh), buffer_size=1 << 20)
                self.counts[i] = write_part(sel, self.plan.alias, cast(BinaryIO, buffered),
                                            compressed=self.compressed, chunk=self.chunk, cache=cache,
                                            file_names=self.names[i], files=self.files, cancel=self,
                                            counter=self.counter, tick=tick)
                buffered.flush()
            self.done[i].set()


def write_parallel(plan: ExportPlan, path: Path, *, compressed: bool, chunk: int, jobs: int,
                   progress: Progress | None = None, cancel: threading.Event | None = None,
                   files: FileCopier | None = None) -> WriteResult:
    """Write ``plan`` to ``path`` on ``jobs`` connections sharing this block's snapshot (see the module doc).

    Call on the session thread inside its read-only block on ``plan.alias`` (PostgreSQL).
    """
    check_jobs(plan.vendor, jobs)
    snapshot = export_snapshot(plan.alias)
    ex = _ParallelExport(plan, path, compressed=compressed, chunk=chunk, files=files, cancel=cancel,
                         snapshot=snapshot)
    workers = [_Worker(n, ex) for n in range(1, min(jobs, len(plan.selections)))]
    started = time.monotonic()
    result = WriteResult(jobs=jobs, snapshot=snapshot)
    last = [0.0]

    def tick(label: str) -> None:
        now = time.monotonic()
        if progress is not None and now - last[0] > 0.1:
            last[0] = now
            progress(WriteProgress(ex.counter.done, plan.total, label, started))

    try:
        with lockdown.armed():  # the workers' connections are read-only from their first statement
            for w in workers:
                w.start()
            for _ in workers:  # every worker has taken the snapshot (or failed) before this block goes on
                ex.started.acquire()
            ex.work(NaturalKeyCache(plan.alias), tick)
            _merge(ex, plan, path, result, progress, started)
            for w in workers:
                w.join()
        _raise_first(ex, workers)
    except BaseException as exc:
        ex.stop.set()
        for w in workers:
            w.cancel_query()
        for w in workers:
            w.join()
        # The session thread stopped because a worker failed (or its own writing saw the stop): the worker's error
        # is the news. A cancel by the user stays a cancel.
        failed = [w.error for w in workers if w.error is not None and not isinstance(w.error, Cancelled)]
        consequence = isinstance(exc, (_Stopped, Cancelled)) and not (ex.cancel is not None and ex.cancel.is_set())
        if failed and consequence and exc is not failed[0]:
            raise failed[0] from None
        raise
    finally:
        for part in ex.parts:
            if part is not None:
                discard_part(part)
    return result


def _merge(ex: _ParallelExport, plan: ExportPlan, path: Path, result: WriteResult, progress: Progress | None,
           started: float) -> None:
    """Append the parts to ``path`` in the plan's order as each is finished; hash the bytes as stored."""
    with open_private(path, "wb") as raw:
        sink = HashingWriter(cast(BinaryIO, raw))
        for i, sel in enumerate(plan.selections):
            while not ex.done[i].wait(0.1):
                _check(ex)
                if progress is not None:
                    progress(WriteProgress(ex.counter.done, plan.total, sel.label, started))
            _check(ex)
            part = ex.parts[i]
            assert part is not None
            with part.open("rb") as fh:
                while block := fh.read(1 << 20):
                    sink.write(block)
            discard_part(part)
            ex.parts[i] = None
            result.counts[sel.label] = ex.counts[i]
            result.objects += ex.counts[i]
            result.file_names.extend(ex.names[i])
            if progress is not None:
                progress(WriteProgress(result.objects, plan.total, sel.label, started))
        if ex.compressed and result.objects == 0:
            sink.write(empty_gzip())
        raw.flush()
    result.bytes = sink.size
    result.sha256 = sink.sha.hexdigest()


def _check(ex: _ParallelExport) -> None:
    if ex.cancel is not None and ex.cancel.is_set():
        raise Cancelled("The export was cancelled; nothing was written.")
    if ex.stop.is_set():
        raise _Stopped()


class _Stopped(Exception):
    """A worker failed; the session thread raises the worker's own error instead."""


def _raise_first(ex: _ParallelExport, workers: list[_Worker]) -> None:
    for w in workers:
        if w.error is not None:
            raise w.error
    if ex.stop.is_set():
        raise _Stopped()
    if ex.cancel is not None and ex.cancel.is_set():
        raise Cancelled("The export was cancelled; nothing was written.")
