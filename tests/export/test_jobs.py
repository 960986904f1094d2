"""``export --jobs N``: N connections on one PostgreSQL snapshot write the same file as one; refused elsewhere."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tenant_console.core.errors import Cancelled, ConsoleError, ReadOnlyViolation
from tenant_console.core.export import parallel
from tenant_console.core.export.runner import ExportJob
from tenant_console.core.export.verify import verify_export
from tests.export.conftest import leftovers
from tests.export.helpers import assert_round_trip, export, loaddata, read_lines

pytestmark = pytest.mark.mariadb


def _postgres() -> str:
    from tests.conftest import _alias_or_skip

    return _alias_or_skip("postgres")


def _event(alias: str, slug: str = "democon") -> int:
    from conference.models import Event

    pk = Event._base_manager.using(alias).get(slug=slug).pk
    connections[alias].close()
    return int(pk)


@pytest.mark.parametrize("name", ["democon.jsonl.gz", "democon.jsonl"])
def test_jobs_write_the_same_file_as_one_connection(project, out: Path, name: str) -> None:
    alias = _postgres()
    for d in ("one", "jobs2", "jobs4"):
        (out / d).mkdir()
    one = export(project, alias, out / "one" / name, tenant={"event": _event(alias)}, cross_tenant="omit")
    assert one.result is not None and one.result.jobs == 1
    for jobs in (2, 4):
        many = export(project, alias, out / f"jobs{jobs}" / name, tenant={"event": _event(alias)},
                      cross_tenant="omit", jobs=jobs)
        assert many.result is not None and many.result.jobs == jobs and many.result.snapshot
        assert many.result.sha256 == one.result.sha256  # byte for byte, whatever connection wrote which model
        assert many.result.counts == one.result.counts
        assert (out / f"jobs{jobs}" / name).read_bytes() == (out / "one" / name).read_bytes()
        assert verify_export(out / f"jobs{jobs}" / name).ok
        assert leftovers(out / f"jobs{jobs}") == sorted([name, name.split(".")[0] + ".manifest.json"])
    record = project.audit.outcomes()[-1]
    assert record["action"] == "export" and record["outcome"] == "ok" and record["jobs"] == 4
    assert record["snapshot"] == many.result.snapshot and record["sha256"] == one.result.sha256
    started = [r for r in project.audit.read() if r.get("act") == record["act"]]
    assert [r["outcome"] for r in started] == ["started", "ok"]  # one act, however many connections


def test_a_jobs_export_loads_into_another_database(project, out: Path) -> None:
    alias = _postgres()
    outcome = export(project, alias, out / "x.jsonl.gz", tenant={"event": _event(alias, "pycon-nordic")},
                     cross_tenant="omit", jobs=3)
    loaddata(out / "x.jsonl.gz", "postgres_target")
    try:
        assert_round_trip(outcome, alias, "postgres_target")
    finally:
        from conference.seeding import flush_all

        flush_all("postgres_target")
        connections["postgres_target"].close()


def test_every_connection_reads_the_one_snapshot(project, out: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows committed after the snapshot was exported, before any worker imported it, are in no part.

    A worker that read its own, later snapshot would write them (and the export would stop: the
    planned and written counts would differ).
    """
    alias = _postgres()
    from conference.models import Event, Room, Tag, TalkSlot, Track

    democon = Event._base_manager.using(alias).get(slug="democon").pk
    connections[alias].close()
    created: dict[type, list[Any]] = {}
    real_export_snapshot = parallel.export_snapshot

    def commit_elsewhere() -> None:
        # Another writer (as another process would be): while a session is open every connection of this
        # process is read-only, so this one is the deliberately writable kind.
        from tenant_console.core.lockdown import writable_connection

        connections[alias] = writable_connection(alias)
        for model, kwargs in ((TalkSlot, {}), (Track, {"name": "late track"}), (Tag, {"tag": "late-tag"}),
                              (Room, {"name": "late room"})):
            created.setdefault(model, []).append(
                model._base_manager.using(alias).create(event_id=democon, **kwargs).pk)
        connections[alias].close()

    def export_snapshot_then_write(a: str) -> str:
        snapshot = real_export_snapshot(a)
        t = threading.Thread(target=commit_elsewhere)
        t.start()
        t.join()
        return snapshot

    monkeypatch.setattr(parallel, "export_snapshot", export_snapshot_then_write)
    try:
        outcome = export(project, alias, out / "snap.jsonl", tenant={"event": democon}, cross_tenant="omit",
                         jobs=4)
        assert len(created) == 4, "the concurrent inserts did not run"
        lines = read_lines(out / "snap.jsonl")
        for model, pks in created.items():
            label = model._meta.label_lower
            written = [o["pk"] for o in lines if o["model"] == label]
            assert not set(pks) & set(written), label
            assert outcome.result is not None and outcome.result.counts[label] == len(written)
            assert model._base_manager.using(alias).filter(pk__in=pks).count() == len(pks)  # committed
    finally:
        for model, pks in created.items():
            model._base_manager.using(alias).filter(pk__in=pks).delete()
        connections[alias].close()


def test_a_worker_process_is_read_only_too(project, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Project code that writes while a worker process reads rows is refused there (by the statement guard, and
    below it by the server: the worker's session is read-only); the export fails and leaves nothing."""
    alias = _postgres()
    from conference.models import Event, Tag, Track

    democon = Event._base_manager.using(alias).get(slug="democon").pk
    before = Track._base_manager.using(alias).count()
    connections[alias].close()
    seen = out / "seen.json"

    def from_db_value(value: Any, expression: Any, connection: Any) -> Any:
        if not seen.exists():
            raw = connection.connection
            with raw.cursor() as cur:  # what the worker's session says of itself
                cur.execute("SELECT current_setting('default_transaction_read_only'), "
                            "current_setting('transaction_read_only'), current_setting('transaction_isolation')")
                settings = list(cur.fetchone())
            # Below every guard of ours (psycopg's own protocol call): the server itself refuses.
            raw.pgconn.exec_(b"SAVEPOINT tc_probe")
            refused = raw.pgconn.exec_(f"INSERT INTO {Track._meta.db_table} (name) VALUES ('x')".encode())
            raw.pgconn.exec_(b"ROLLBACK TO SAVEPOINT tc_probe")
            seen.write_text(json.dumps({"pid": os.getpid(), "thread": threading.current_thread().name,
                                        "settings": settings, "refused": (refused.error_message or b"").decode()}))
        Track._base_manager.create(event_id=democon, name="written by a worker")
        return value

    monkeypatch.setattr(Tag._meta.get_field("color"), "from_db_value", from_db_value, raising=False)
    monkeypatch.setattr(parallel._ParallelExport, "work", _session_takes_nothing)
    with pytest.raises(ReadOnlyViolation, match="INSERT refused"):
        export(project, alias, out / "x.jsonl.gz", tenant={"event": democon}, cross_tenant="omit", jobs=2)
    monkeypatch.undo()
    worker = json.loads(seen.read_text())
    seen.unlink()
    assert worker["pid"] != os.getpid() and worker["thread"].startswith("tenant-console-export-job-")
    assert worker["settings"] == ["on", "on", "repeatable read"]
    assert "read-only transaction" in worker["refused"]
    assert leftovers(out) == []
    assert Track._base_manager.using(alias).count() == before
    connections[alias].close()
    record = project.audit.outcomes()[-1]
    assert record["action"] == "export" and record["outcome"] in ("refused", "error")


def test_a_worker_process_that_dies_is_one_paragraph_and_leaves_nothing(
        project, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A worker killed in the middle of a model (SIGKILL: no word from it) stops the export at once, without a
    hang or a traceback; the part files and the data file are removed."""
    alias = _postgres()
    from conference.models import Tag

    from tenant_console.cli.main import main

    parent = os.getpid()

    def from_db_value(value: Any, expression: Any, connection: Any) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return value

    monkeypatch.setattr(Tag._meta.get_field("color"), "from_db_value", from_db_value, raising=False)
    monkeypatch.setattr(parallel._ParallelExport, "work", _session_takes_nothing)
    started = time.monotonic()
    code = main(["--settings", "tests.settings", "--database", alias, "export", "--event__slug=democon",
                 "--cross-tenant", "omit", "--jobs", "2", "-o", str(out / "x.jsonl.gz")])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code != 0 and time.monotonic() - started < 60
    assert "Export worker process 1" in err and "ended without a word" in err and "nothing was written" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert leftovers(out) == []
    assert project.audit.outcomes()[-1]["outcome"] == "error"


def _session_takes_nothing(self: Any, cache: Any, tick: Any = None) -> None:
    """``_ParallelExport.work`` for the session thread that leaves every model to the worker processes."""
    while not self.is_set() and not self.todo.empty():
        time.sleep(0.01)


def test_a_cancelled_jobs_export_leaves_nothing_behind(project, out: Path) -> None:
    alias = _postgres()
    job = ExportJob()
    job.progress = lambda p: job.cancel()
    with pytest.raises(Cancelled):
        export(project, alias, out / "x.jsonl.gz", tenant={"event": _event(alias)}, cross_tenant="omit",
               jobs=3, job=job)
    assert leftovers(out) == []
    assert project.audit.outcomes()[-1]["outcome"] == "interrupted"


@pytest.mark.parametrize("alias", ["default", "mariadb"])
def test_jobs_are_refused_where_connections_cannot_share_a_snapshot(project, out: Path,
                                                                    alias: str) -> None:
    from tests.conftest import _alias_or_skip

    _alias_or_skip(alias)
    name = {"default": "SQLite", "mariadb": "MariaDB/MySQL"}[alias]
    before = len(project.audit.read())
    with pytest.raises(ConsoleError) as err:
        export(project, alias, out / "x.jsonl.gz", tenant={"event": _event(alias)}, cross_tenant="omit",
               jobs=2)
    message = err.value.message
    assert f"{name} cannot share a snapshot between connections" in message
    assert "Nothing was exported" in message and "without --jobs" in message and "\n" not in message
    assert leftovers(out) == []
    assert [r["action"] for r in project.audit.read()[before:]] == ["scope_activated", "scope_activated"]


def test_cli_jobs(db_alias, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tenant_console.cli.main import main

    def cli(*args: str) -> int:
        return main(["--settings", "tests.settings", "--database", db_alias, *args])

    path = out / "x.jsonl.gz"
    code = cli("export", "--event__slug=democon", "--cross-tenant", "omit", "--jobs", "2", "-o", str(path), "--json")
    captured = capsys.readouterr()
    if db_alias != "postgres":
        assert code == 2 and "cannot share a snapshot between connections" in captured.err
        assert "Traceback" not in captured.err and leftovers(out) == []
    else:
        assert code == 0 and json.loads(captured.out)["ok"]
        assert cli("verify", str(path)) == 0
    assert cli("export", "--event__slug=democon", "--jobs", "0", "-o", str(out / "y.jsonl")) == 2
    assert "--jobs 0: choose between 1 and 32 connections." in capsys.readouterr().err


def test_files_named_by_a_worker_process_are_copied(project, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--with-files: the rows a worker process wrote name files; the session's process copies them (the same
    files, checksums and missing names as one connection)."""
    alias = _postgres()
    from conference.models import Resource
    from django.conf import settings

    democon = _event(alias)
    names = sorted(Resource._base_manager.using(alias).filter(submission__event_id=democon)
                   .values_list("resource", flat=True))
    connections[alias].close()
    media = Path(settings.MEDIA_ROOT)
    (media / names[0]).parent.mkdir(parents=True, exist_ok=True)
    (media / names[0]).write_bytes(b"%PDF-1.4 slides")
    manifests = {}
    for jobs in (1, 2):
        (out / f"j{jobs}").mkdir()
        if jobs == 2:
            monkeypatch.setattr(parallel._ParallelExport, "work", _session_takes_nothing)
        outcome = export(project, alias, out / f"j{jobs}" / "d.jsonl", tenant={"event": democon},
                         cross_tenant="omit", jobs=jobs, with_files=str(out / f"j{jobs}" / "files"))
        assert outcome.manifest is not None
        manifests[jobs] = outcome.manifest["files"]
        assert (out / f"j{jobs}" / "files" / names[0]).read_bytes() == b"%PDF-1.4 slides"
    monkeypatch.undo()
    assert manifests[2]["sha256"] == manifests[1]["sha256"] and names[0] in manifests[2]["sha256"]
    assert sorted(manifests[2]["missing"]) == sorted(manifests[1]["missing"]) and set(names[1:]) <= set(
        manifests[2]["missing"])
    assert verify_export(out / "j2" / "d.jsonl").ok


def test_an_idle_worker_process_whose_parent_is_gone_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker waiting for its next model when the session's process is killed (SIGKILL, the OOM killer) stops:
    its pipe never reports the end, since the other workers, forked while it was open, hold the parent's end
    too; waiting on it for ever would leave the process, its connection and its open snapshot behind."""
    import contextlib
    import multiprocessing
    from types import SimpleNamespace

    from tenant_console.core import lockdown

    monkeypatch.setattr(lockdown, "after_fork", lambda: None)
    monkeypatch.setattr(parallel, "read_only", lambda alias, snapshot=None: contextlib.nullcontext())
    monkeypatch.setattr(parallel, "only_this_database", lambda alias: contextlib.nullcontext())
    ex = SimpleNamespace(plan=SimpleNamespace(alias="default"), snapshot="x")
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()  # parent_end stays open here, as in a sibling worker
    not_our_parent = os.getpid() + 1_000_000  # _ParentGone: the worker's parent is not this one
    worker = ctx.Process(target=parallel._worker_main, args=(child_end, ex, 1, not_our_parent), daemon=True)
    worker.start()
    child_end.close()
    try:
        assert parent_end.poll(30) and parent_end.recv() == ("ready",)
        worker.join(10)
        assert not worker.is_alive(), "the worker waits for a parent that is gone"
    finally:
        if worker.is_alive():
            worker.kill()
            worker.join()
        parent_end.close()


def test_jobs_on_a_pooled_database(project, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's connection pool (``OPTIONS["pool"]``, psycopg 3): the pool is a class attribute that a worker
    process inherits with the parent's idle connections in it (their sockets shared with the parent); a worker
    opens a connection of its own, read-only from its first statement, and writes what one connection writes."""
    alias = _postgres()
    if not hasattr(type(connections[alias]), "_connection_pools") or os.environ.get("TC_PSYCOPG2") == "1":
        pytest.skip("Django's pool needs psycopg 3")
    pytest.importorskip("psycopg_pool", exc_type=ImportError)
    pk = _event(alias)
    opts = connections.settings[alias].setdefault("OPTIONS", {})
    monkeypatch.setitem(opts, "pool", {"min_size": 1, "max_size": 4})
    connections[alias].close()
    del connections[alias]
    pools = type(connections[alias])._connection_pools
    try:
        one = export(project, alias, out / "one.jsonl", tenant={"event": pk}, cross_tenant="omit")  # the pool fills
        many = export(project, alias, out / "many.jsonl", tenant={"event": pk}, cross_tenant="omit", jobs=2)
        assert many.result is not None and many.result.sha256 == one.result.sha256
    finally:
        pool = pools.pop(alias, None)
        if pool is not None:
            pool.close()
        connections[alias].close()
        del connections[alias]
