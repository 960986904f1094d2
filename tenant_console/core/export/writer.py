"""Streaming the planned rows into a fixture file, hashing the bytes as they are written.

Rows are read with ``.iterator(chunk_size=...)`` (server-side cursors on
PostgreSQL), serialized a chunk at a time and written at once, so memory does not
depend on the size of the export. The SHA-256 is taken over the bytes as stored
(after gzip), which is what ``verify`` and the import recompute. gzip is written
with a fixed mtime and no file name, so the same rows give the same bytes.
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
from typing import Any, BinaryIO, cast

from django.db.models import FileField, Model

from tenant_console.core.errors import Cancelled
from tenant_console.core.export.files import FileCopier
from tenant_console.core.export.plan import ExportPlan
from tenant_console.core.export.serializer import ExportSerializer, NaturalKeyCache, fetch_links, m2m_fields
from tenant_console.core.private import open_private

Progress = Callable[["WriteProgress"], None]


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


def write_data(plan: ExportPlan, path: Path, *, compressed: bool, chunk: int,
               progress: Progress | None = None, cancel: threading.Event | None = None,
               files: FileCopier | None = None) -> WriteResult:
    """Write every selected row of ``plan`` to ``path``; call on the session thread."""
    result = WriteResult()
    cache = NaturalKeyCache(plan.alias)
    started = time.monotonic()
    last_report = 0.0
    with open_private(path, "wb") as raw:
        sink = HashingWriter(cast(BinaryIO, raw))
        buffered = io.BufferedWriter(sink, buffer_size=1 << 20)
        gz = gzip.GzipFile(fileobj=buffered, mode="wb", mtime=0, filename="", compresslevel=6) if compressed else None
        text = io.TextIOWrapper(gz if gz is not None else buffered, encoding="utf-8", newline="\n",
                                write_through=False)
        try:
            for sel in plan.selections:
                model = sel.model
                fk_fields = cache.natural_fk_fields(model)
                file_fields = [f for f in model._meta.concrete_fields if isinstance(f, FileField)]
                m2m = m2m_fields(model)
                written = 0
                for qs in sel.querysets(plan.alias, chunk):
                    batch: list[Model] = []
                    rows: Any = qs.iterator(chunk_size=chunk)
                    try:
                        for obj in rows:
                            batch.append(obj)
                            if len(batch) < chunk:
                                continue
                            written += _write_batch(batch, text, cache, fk_fields, m2m, file_fields, files, result,
                                                    plan.alias)
                            batch = []
                            if cancel is not None and cancel.is_set():
                                raise Cancelled("The export was cancelled; nothing was written.")
                            now = time.monotonic()
                            if progress is not None and now - last_report > 0.1:
                                last_report = now
                                progress(WriteProgress(result.objects + written, plan.total, sel.label, started))
                    finally:
                        rows.close()  # release the server-side cursor now, not at garbage collection
                    if batch:
                        written += _write_batch(batch, text, cache, fk_fields, m2m, file_fields, files, result,
                                                    plan.alias)
                result.counts[sel.label] = written
                result.objects += written
                if cancel is not None and cancel.is_set():
                    raise Cancelled("The export was cancelled; nothing was written.")
                if progress is not None:
                    progress(WriteProgress(result.objects, plan.total, sel.label, started))
            text.flush()
            text.detach()
            if gz is not None:
                gz.close()
            buffered.flush()
            raw.flush()
        except BaseException:
            raw.close()
            raise
    result.bytes = sink.size
    result.sha256 = sink.sha.hexdigest()
    return result


def _write_batch(batch: list[Model], text: io.TextIOWrapper, cache: NaturalKeyCache, fk_fields: list[Any],
                 m2m: list[Any], file_fields: list[Any], files: FileCopier | None, result: WriteResult,
                 alias: str) -> int:
    if fk_fields:
        cache.prefill(batch, fk_fields)
    links = fetch_links(batch, m2m, cache, alias) if m2m else None
    ExportSerializer(cache, links).serialize(batch, stream=text, use_natural_foreign_keys=True,
                                      use_natural_primary_keys=True)
    for f in file_fields:
        for obj in batch:
            name = getattr(obj, f.attname)
            if name:
                result.file_names.append(str(name))
                if files is not None:
                    files.copy(f.storage, str(name))
    return len(batch)
