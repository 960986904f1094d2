"""Streaming the planned rows into a fixture file, hashing the bytes as they are written.

Rows are read a chunk at a time (server-side cursors on PostgreSQL), turned into lines
by :class:`~tenant_console.core.export.serializer.RowEncoder` and written at once, so
memory does not depend on the size of the export. The SHA-256 is taken over the bytes
as stored (after gzip), which is what ``verify`` and the import recompute.

Each model is one *part*: in a ``.jsonl.gz`` file, one gzip member per model (with a
fixed mtime and no file name), concatenated, which every gzip reader reads as one
stream (``gzip``, ``loaddata``, ``zcat``). So the same rows give the same bytes whether
one connection wrote every part in order or several wrote them side by side
(``jobs``, PostgreSQL only: :mod:`tenant_console.core.export.parallel`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from tenant_console.core.errors import Cancelled
from tenant_console.core.export.files import FileCopier
from tenant_console.core.export.plan import ExportPlan, Selection
from tenant_console.core.export.serializer import NaturalKeyCache, RowEncoder
from tenant_console.core.private import open_private

Progress = Callable[["WriteProgress"], None]
#: gzip level of the data file (6: zlib's default, what ``gzip`` writes).
GZIP_LEVEL = 6


@dataclass
class WriteProgress:
    done: int
    total: int
    model: str
    started: float

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 and self.total >= self.done else None


@dataclass
class WriteResult:
    counts: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    bytes: int = 0
    sha256: str = ""
    file_names: list[str] = field(default_factory=list)
    files_missing: list[str] = field(default_factory=list)
    files_sha256: dict[str, str] = field(default_factory=dict)
    #: How many connections wrote the file, and the PostgreSQL snapshot they shared (``jobs`` > 1).
    jobs: int = 1
    snapshot: str | None = None


class HashingWriter(io.RawIOBase):
    """A binary sink that hashes and counts what passes through to ``raw``."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.sha.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)


class Counter:
    """Rows written so far, by every writer of an export (read by the one that reports progress)."""

    def __init__(self) -> None:
        self.done = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.done += n


class StopFlag(Protocol):
    """What tells a writer to stop (a ``threading.Event``, or an export's combined flag)."""

    def is_set(self) -> bool: ...


def write_part(sel: Selection, alias: str, out: BinaryIO, *, compressed: bool, chunk: int, cache: NaturalKeyCache,
               file_names: list[str], files: FileCopier | None = None, cancel: StopFlag | None = None,
               counter: Counter | None = None, tick: Callable[[str], None] | None = None,
               file_refs: list[tuple[str, str]] | None = None) -> int:
    """Write every row of ``sel`` to ``out`` (one gzip member when ``compressed``); returns the row count.

    ``file_refs`` collects ``(field name, file name)`` for every file the rows name (a worker process
    of ``export --jobs`` has them copied by the parent).

    Runs inside a read-only block on ``alias`` (on any thread that has one).
    """
    encoder = RowEncoder(sel.model, alias, cache)
    gz: gzip.GzipFile | None = None
    sink: Any = out
    written = 0
    try:
        for qs in sel.querysets(alias, chunk):
            for rows in encoder.batches(qs, chunk):
                names: list[tuple[Any, str]] = []
                data = encoder.encode(rows, names).encode("utf-8")
                if compressed and gz is None:
                    sink = gz = gzip_member(out)
                sink.write(data)
                written += len(rows)
                for f, name in names:
                    file_names.append(name)
                    if file_refs is not None:
                        file_refs.append((f.name, name))
                    if files is not None:
                        files.copy(f.storage, name)
                if counter is not None:
                    counter.add(len(rows))
                if cancel is not None and cancel.is_set():
                    raise Cancelled("The export was cancelled; nothing was written.")
                if tick is not None:
                    tick(sel.label)
    finally:
        if gz is not None:
            gz.close()  # the member's trailer; ``out`` stays open
    return written


def gzip_member(out: BinaryIO) -> gzip.GzipFile:
    """A gzip member written to ``out`` (fixed mtime, no file name: the same rows give the same bytes)."""
    return gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="", compresslevel=GZIP_LEVEL)


def empty_gzip() -> bytes:
    """One empty gzip member: the whole data file of an export without rows (a valid, empty gzip stream)."""
    buf = io.BytesIO()
    gzip_member(buf).close()
    return buf.getvalue()


def write_data(plan: ExportPlan, path: Path, *, compressed: bool, chunk: int,
               progress: Progress | None = None, cancel: threading.Event | None = None,
               files: FileCopier | None = None, jobs: int = 1) -> WriteResult:
    """Write every selected row of ``plan`` to ``path``; call on the session thread, in its read-only block.

    ``jobs`` > 1 (PostgreSQL) writes the models on that many connections sharing this
    block's snapshot (:func:`tenant_console.core.export.parallel.write_parallel`); the
    file is the same.
    """
    if jobs > 1:
        from tenant_console.core.export.parallel import write_parallel

        return write_parallel(plan, path, compressed=compressed, chunk=chunk, progress=progress, cancel=cancel,
                              files=files, jobs=jobs)
    result = WriteResult()
    cache = NaturalKeyCache(plan.alias)
    counter = Counter()
    started = time.monotonic()
    last = [0.0]

    def tick(label: str) -> None:
        now = time.monotonic()
        if progress is not None and now - last[0] > 0.1:
            last[0] = now
            progress(WriteProgress(counter.done, plan.total, label, started))

    with open_private(path, "wb", exclusive=True) as raw:
        sink = HashingWriter(cast(BinaryIO, raw))
        buffered = io.BufferedWriter(sink, buffer_size=1 << 20)
        try:
            for sel in plan.selections:
                n = write_part(sel, plan.alias, cast(BinaryIO, buffered), compressed=compressed, chunk=chunk,
                               cache=cache, file_names=result.file_names, files=files, cancel=cancel,
                               counter=counter, tick=tick)
                result.counts[sel.label] = n
                result.objects += n
                if cancel is not None and cancel.is_set():
                    raise Cancelled("The export was cancelled; nothing was written.")
                if progress is not None:
                    progress(WriteProgress(result.objects, plan.total, sel.label, started))
            if compressed and result.objects == 0:
                buffered.write(empty_gzip())
            buffered.flush()
            raw.flush()
        except BaseException:
            raw.close()
            raise
    result.bytes = sink.size
    result.sha256 = sink.sha.hexdigest()
    return result
