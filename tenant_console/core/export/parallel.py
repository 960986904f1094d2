"""``export --jobs N`` on PostgreSQL: N connections, one snapshot, one file.

The session's read-only block exports its snapshot (``pg_export_snapshot()``); N - 1
worker *processes* (forked from the session thread, so that the Python encoding, the
bulk of an export's time, runs on N cores rather than taking turns under one GIL) each
open a connection of their own and begin their own read-only block on that snapshot
(``SET TRANSACTION SNAPSHOT``, ``REPEATABLE READ, READ ONLY``, the statement guard, the
end-of-block proof: :func:`tenant_console.core.readonly.read_only`). A worker never uses
the connections it inherited (they share their sockets with the session's process) and its
own is read-only from its first statement: the lockdown's armed state is inherited
(:func:`tenant_console.core.lockdown.after_fork`). All N see the database at the same
instant, as ``pg_dump -j`` does; the session's block stays open until every worker is
done, so the snapshot stays valid.

Every connection, the session's included, takes whole models from one queue (the largest
first; a thread of the session's process feeds each worker through a pipe) and writes each
to a part file of its own (one gzip member per model, see
:mod:`~tenant_console.core.export.writer`). The session thread then appends the parts in
the plan's dependency order to the data file, hashing as it goes: the file has the same
bytes as with one connection. Part files are private temporary files of the export
(:func:`~tenant_console.core.export.storage.part_path`, ``0600``): removed on any failure or
cancel (a cancel, a ``SIGINT``/``SIGTERM`` of the CLI, terminates the workers), and by the
next export into the folder if the process was killed (a worker whose parent is gone stops
at its next chunk). A worker's error is raised in the session thread as the exception it
raised there; a worker that dies without one is one paragraph too.

SQLite and MariaDB/MySQL cannot share a snapshot between connections (see :func:`check_jobs`).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import pickle
import queue
import signal
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
    """One worker process, fed whole models from the queue by a thread of the session's process.

    The process is forked from the session thread before anything else starts (:meth:`fork`); it
    opens a connection of its own, begins its read-only block on the shared snapshot, says
    ``ready``, then writes each model it is sent into the part file named with it and answers
    ``done`` (rows, file names). Its error comes back as the exception it raised; a worker that dies
    without one (killed, out of memory) is reported in one paragraph. Stopping the export (a cancel,
    another worker's failure) terminates the process.
    """

    def __init__(self, n: int, export: _ParallelExport) -> None:
        super().__init__(name=f"tenant-console-export-job-{n}", daemon=True)
        self.n = n
        self.export = export
        self.error: BaseException | None = None
        ctx = multiprocessing.get_context("fork")
        self.pipe, child_end = ctx.Pipe()
        self._child_end = child_end
        self.process = ctx.Process(target=_worker_main, args=(child_end, export, n, os.getpid()),
                                   name=f"tenant-console-export-job-{n}", daemon=True)

    def fork(self) -> None:
        """Start the worker process (on the session thread, before any other thread of the export runs)."""
        self.process.start()
        self._child_end.close()

    def run(self) -> None:
        ex = self.export
        try:
            self._receive()  # ready: its block is open on the snapshot
            ex.started.release()
            while not ex.is_set():
                try:
                    i = ex.todo.get_nowait()
                except queue.Empty:
                    break
                part = ex.parts[i] = part_path(ex.path)
                self.pipe.send((i, str(part)))
                _, count, names, refs = self._receive()
                ex.counts[i], ex.names[i], ex.refs[i] = count, names, refs
                ex.done[i].set()
            self.pipe.send(None)
            self._receive()  # closed: its block ended with the proof that it wrote nothing
        except BaseException as exc:  # reported by the session thread, which raises the first one
            self.error = exc
            ex.stop.set()
        finally:
            ex.started.release()  # never leave the session thread waiting (released twice at most)
            self.end()

    def _receive(self) -> tuple[Any, ...]:
        ex = self.export
        while True:
            while not self.pipe.poll(0.05):
                if ex.is_set():
                    raise _Stopped()
                if not self.process.is_alive() and not self.pipe.poll():
                    raise self._died()
            try:
                msg: tuple[Any, ...] = self.pipe.recv()
            except EOFError:  # the process is gone, without a word
                self.process.join(1)
                raise self._died() from None
            if msg[0] == "rows":
                ex.counter.add(msg[1])
            elif msg[0] == "error":
                raise _rebuilt(msg[1])
            else:
                return msg

    def _died(self) -> ConsoleError:
        return ConsoleError(
            f"Export worker process {self.n} (pid {self.process.pid}) ended without a word (exit code "
            f"{self.process.exitcode}: killed, or out of memory?); the export was stopped and nothing was written.")

    def end(self) -> None:
        """The process is gone when this returns (terminated if it had not finished)."""
        if self.process.pid is None:
            return
        self.process.join(0.5 if not self.export.stop.is_set() else 0)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        with contextlib.suppress(Exception):
            self.pipe.close()


class _ParentGone:
    """A worker's stop flag: its parent (the session's process) is gone (killed): stop writing."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def is_set(self) -> bool:
        return os.getppid() != self.parent


class _PipeCounter(Counter):
    """A worker's rows, reported to the parent (its progress display)."""

    def __init__(self, pipe: Any) -> None:
        super().__init__()
        self.pipe = pipe

    def add(self, n: int) -> None:
        self.pipe.send(("rows", n))


def _worker_main(pipe: Any, ex: _ParallelExport, n: int, parent: int) -> None:
    """The worker process (forked): its own read-only connection on the snapshot, models on request."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides (a ^C reaches the whole process group)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)  # the parent's terminate() ends it at once
    threading.current_thread().name = f"tenant-console-export-job-{n}"
    part: Path | None = None
    own: Any = None
    code = 0
    try:
        lockdown.after_fork()  # never the parent's connections; this one is read-only from its first statement
        alias = ex.plan.alias
        own = connections[alias]
        with only_this_database(alias), read_only(alias, snapshot=ex.snapshot):
            pipe.send(("ready",))
            cache = NaturalKeyCache(alias)
            stop = _ParentGone(parent)
            counter = _PipeCounter(pipe)
            while (msg := _next_request(pipe, stop)) is not None:
                i, name = msg
                part = Path(name)
                names: list[str] = []
                refs: list[tuple[str, str]] = []
                with open_private(part, "wb", exclusive=True) as fh:
                    buffered = io.BufferedWriter(cast(BinaryIO, fh), buffer_size=1 << 20)
                    count = write_part(ex.plan.selections[i], alias, cast(BinaryIO, buffered),
                                       compressed=ex.compressed, chunk=ex.chunk, cache=cache, file_names=names,
                                       cancel=stop, counter=counter, file_refs=refs)
                    buffered.flush()
                part = None
                pipe.send(("done", count, names, refs))
        pipe.send(("closed",))
    except BaseException as exc:
        code = 1
        if part is not None:  # the parent removes it too, unless the parent is gone
            with contextlib.suppress(OSError):
                part.unlink()
        with contextlib.suppress(Exception):
            pipe.send(("error", _portable(exc)))
    finally:
        if own is not None:  # only this process's own connection: closing an inherited one would end the parent's
            with contextlib.suppress(Exception):
                own.close()
        os._exit(code)  # no atexit (the parent's temporary files are the parent's), no finalizers


def _next_request(pipe: Any, stop: _ParentGone) -> Any:
    """The parent's next message, or ``None`` (stop) once the parent is gone. The pipe alone would not say so:
    the other workers, forked while this one's pipe was open, hold the parent's end of it too."""
    while not pipe.poll(0.5):
        if stop.is_set():
            return None
    return pipe.recv()


def _portable(exc: BaseException) -> Any:
    """``exc`` in a form that crosses the pipe and is rebuilt as the same exception in the parent."""
    with contextlib.suppress(Exception):
        data = pickle.dumps(exc)
        pickle.loads(data)
        return ("pickle", data)
    with contextlib.suppress(Exception):  # an exception whose __init__ takes other arguments than its args
        return ("state", pickle.dumps((type(exc), exc.args, dict(vars(exc)))))
    message = str(exc) if isinstance(exc, ConsoleError) else f"{type(exc).__name__}: {exc}"
    return ("message", message)


def _rebuilt(payload: Any) -> BaseException:
    how, data = payload
    if how == "pickle":
        return cast(BaseException, pickle.loads(data))
    if how == "state":
        cls, args, state = pickle.loads(data)
        exc = cast(BaseException, cls.__new__(cls))
        exc.args = args
        exc.__dict__.update(state)
        return exc
    return ConsoleError(f"An export worker process failed: {data}; the export was stopped and nothing was written.")


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
        #: ``(field name, file name)`` of the files named by the models a worker process wrote (copied by the merge).
        self.refs: list[list[tuple[str, str]]] = [[] for _ in range(n)]
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
            with open_private(part, "wb", exclusive=True) as fh:
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
            for w in workers:  # forked before any thread of the export runs
                w.fork()
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
            if w.is_alive():
                w.join()
            w.end()  # also one whose thread never started (the fork of a later one failed)
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
    with open_private(path, "wb", exclusive=True) as raw:
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
            if ex.files is not None:
                for field_name, name in ex.refs[i]:
                    ex.files.copy(cast(Any, sel.model._meta.get_field(field_name)).storage, name)
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
