"""Export benchmark: our export of the large demo tenant vs ``dumpdata`` and vs raw SQL.

    .venv/bin/python -m benchmarks.export               # ~200,000 rows; memory at 20,000 and 200,000
    .venv/bin/python -m benchmarks.export --full        # 1,000,000 rows; memory at 100,000 and 1,000,000
    .venv/bin/python -m benchmarks.export --pg          # the same on PostgreSQL too (and --jobs 1, 2, 4)
    .venv/bin/python -m benchmarks.export --full --pg --no-dumpdata --skip-memory   # 1M rows, figures of issue 15

What is compared, on the same rows of the tenant ``megacon`` in one run:

* **ours**: ``run_export`` in a read-only session (plan + write, natural keys, manifest), plain
  ``.jsonl`` like the peers (and ``.jsonl.gz`` separately, our default).
* **dumpdata**: Django's ``dumpdata --format jsonl --natural-foreign --natural-primary`` (the flags
  that make a fixture loadable into another database, which is what an export is for) of every
  model we export, run inside ``scope(event=megacon)`` so the scoped default managers select
  exactly the tenant's rows, plus ``--pks`` runs for the tenant row and the shared rows we export.
  It writes the same objects (checked). Also ``dumpdata`` without natural keys, its fastest mode.
* **raw floor**: the same rows of every exported model and m2m table read with a plain cursor
  (``fetchmany``) and written to a file with ``json.dumps`` (one line per row, ``default=str``):
  what any export must at least do. The goal is ours ≤ 1.5x this floor (issue 15). The fetch alone
  (nothing serialized or written) is printed too.
* **--jobs** (PostgreSQL): ours with 1, 2 and 4 connections sharing one snapshot (``--jobs-list``).

Queries are counted with an execute wrapper (server-side cursor fetches are not statements).
Peak memory of our export is measured in a fresh subprocess per size (tracemalloc peak of Python
allocations and the growth of the resident set), each on its own database built once under
``.bench/export-<rows>/``; it should not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup(rows: int, tenants: int, aliases: tuple[str, ...]) -> Any:
    os.environ["TC_BENCH_DIR"] = str(ROOT / ".bench" / f"export-{rows}")
    # One PostgreSQL database per size and checkout (the marker of what is seeded lives in TC_BENCH_DIR).
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
    os.environ["TC_BENCH_PG_DB"] = f"tc_bench_export_{rows}_{checkout}"
    from benchmarks.common import prepare

    return prepare(rows=rows, tenants=tenants, aliases=aliases)


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def _megacon(alias: str) -> int:
    from conference.models import Event

    return Event._base_manager.using(alias).get(slug="megacon").pk


#: Ours at most this many times the raw floor (issue 15).
GOAL = 1.5


def run_ours(project: Any, alias: str, path: Path, jobs: int = 1) -> tuple[float, int, Any]:
    from django.db import connections

    from tenant_console.core.export.runner import ExportRequest, run_export
    from tenant_console.core.export.storage import LocalOutput

    for p in (path, Path(str(path).replace(".jsonl.gz", ".manifest.json").replace(".jsonl", ".manifest.json"))):
        if p.exists():
            p.unlink()
    tenant = {"event": _megacon(alias)}
    counter = Counter()
    session = project.session("bench", alias=alias)
    try:
        session.activate(tenant)

        def go() -> Any:
            with connections[alias].execute_wrapper(counter):
                return run_export(project, ExportRequest(tenant_pks=tenant, output=LocalOutput(path),
                                                         cross_tenant="omit", jobs=jobs), None, alias)

        start, cpu = time.perf_counter(), time.process_time()
        outcome = session.run(go)
        seconds = time.perf_counter() - start
        outcome.cpu_seconds = time.process_time() - cpu  # this process, every thread (SQLite's work too)
    finally:
        session.close()
    return seconds, counter.n, outcome


def run_dumpdata(outcome: Any, alias: str, path: Path, natural: bool) -> tuple[float, int, int]:
    """dumpdata of the same rows; returns (seconds, queries, objects written)."""
    from conference.models import Event
    from django.core.management import call_command
    from django.db import connections
    from django_scopes import scope

    plan = outcome.plan
    event = Event._base_manager.using(alias).get(pk=_megacon(alias))
    tenant_labels = [s.model._meta.label for s in plan.selections if s.q is not None and s.model is not Event]
    by_pks = [(s.model._meta.label, sorted(s.pks)) for s in plan.selections if s.pks]
    by_pks.append((Event._meta.label, [event.pk]))
    counter = Counter()
    objects = 0
    start = time.perf_counter()
    with connections[alias].execute_wrapper(counter), scope(event=event):
        for i, (labels, pks) in enumerate([(tenant_labels, None), *[([m], p) for m, p in by_pks]]):
            out = path.with_name(f"{path.stem}.{i}.jsonl")
            kwargs: dict[str, Any] = {"format": "jsonl", "database": alias, "output": str(out), "verbosity": 0}
            if natural:
                kwargs.update(natural_foreign=True, natural_primary=True)
            if pks is not None:
                kwargs["primary_keys"] = ",".join(str(p) for p in pks)
            call_command("dumpdata", *labels, **kwargs)
    seconds = time.perf_counter() - start
    for i in range(len(by_pks) + 1):
        out = path.with_name(f"{path.stem}.{i}.jsonl")
        with out.open("rb") as fh:
            objects += sum(1 for _ in fh)
        out.unlink()
    return seconds, counter.n, objects


def _floor_queries(outcome: Any, alias: str) -> list[tuple[str, Any]]:
    """The SQL of the same rows: every concrete column of every exported row, and the m2m links."""
    queries: list[tuple[str, Any]] = []
    for sel in outcome.plan.selections:
        model = sel.model
        cols = [f.attname for f in model._meta.concrete_fields]
        for qs in sel.querysets(alias, 2000):
            queries.append(qs.values_list(*cols).query.get_compiler(using=alias).as_sql())
            for f in model._meta.many_to_many:
                through = f.remote_field.through
                if through._meta.auto_created:
                    src = through._meta.get_field(f.m2m_field_name()).attname
                    links = through._base_manager.using(alias).filter(**{f"{src}__in": qs.values("pk")})
                    queries.append(links.values_list(*[c.attname for c in through._meta.concrete_fields])
                                   .query.get_compiler(using=alias).as_sql())
    return queries


def run_raw(outcome: Any, alias: str, path: Path | None = None) -> tuple[float, int, int]:
    """The floor: the same rows (and m2m links) read with a plain cursor and, with ``path``, written there
    with ``json.dumps``, one line per row. Returns (seconds, queries, rows)."""
    from django.db import connections

    queries = _floor_queries(outcome, alias)
    rows = 0
    start, cpu = time.perf_counter(), time.process_time()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(path.open("w", encoding="utf-8")) if path is not None else None
        cur = stack.enter_context(connections[alias].cursor())
        for sql, params in queries:
            cur.execute(sql, params)
            while batch := cur.fetchmany(2000):
                rows += len(batch)
                if out is not None:
                    out.write("".join(json.dumps(row, default=str, ensure_ascii=False) + "\n" for row in batch))
    global LAST_FLOOR_CPU
    LAST_FLOOR_CPU = time.process_time() - cpu
    return time.perf_counter() - start, len(queries), rows


#: CPU seconds of the last :func:`run_raw` (this process).
LAST_FLOOR_CPU = 0.0


def goal(ours: float, floor: float) -> str:
    """``1.32x the floor (goal <= 1.5x: met)``."""
    r = ours / floor if floor > 0 else float("inf")
    return f"{r:.2f}x the floor (goal <= {GOAL}x: {'met' if r <= GOAL else 'NOT met'})"


def _rss_peak_reset() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def probe_memory(rows: int, tenants: int, alias: str) -> dict[str, Any]:
    """In this (fresh) process: export megacon twice (peak RSS, then under tracemalloc); report peaks."""
    import resource
    import tracemalloc

    project = _setup(rows, tenants, (alias,))
    from django.db import connections

    connections[alias].ensure_connection()
    with tempfile.TemporaryDirectory() as tmp:
        # Peak RSS of the export alone (high-water mark reset first), then tracemalloc in a second run.
        exact = _rss_peak_reset()
        rss0 = _rss_mib("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        seconds, _queries, outcome = run_ours(project, alias, Path(tmp) / "m.jsonl.gz")
        rss1 = _rss_mib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        run_ours(project, alias, Path(tmp) / "t.jsonl.gz")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"rows": outcome.result.objects, "tracemalloc_peak_mb": peak / 2**20,
            "rss_growth_mb": rss1 - rss0, "rss_before_mb": rss0, "seconds": seconds}


def _memory_in_subprocess(rows: int, tenants: int, alias: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.export", "--probe-memory", str(rows), "--tenants", str(tenants),
           "--alias", alias]
    if alias.startswith("postgres"):
        cmd.append("--pg")
    # Build the database in its own process first, so seeding does not count in the probe's peak RSS.
    subprocess.run([*cmd, "--prepare-only"], cwd=ROOT, capture_output=True, text=True, check=True)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"memory probe failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="Rows in the large tenant (default 200,000).")
    parser.add_argument("--full", action="store_true", help="1,000,000 rows; memory at 100,000 and 1,000,000.")
    parser.add_argument("--memory-sizes", default=None, help="Comma-separated tenant sizes for the memory probe.")
    parser.add_argument("--tenants", type=int, default=1000, help="Extra small tenants in the database.")
    parser.add_argument("--pg", action="store_true", help="Also on PostgreSQL (127.0.0.1:5432).")
    parser.add_argument("--alias", default="default", help=argparse.SUPPRESS)
    parser.add_argument("--probe-memory", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-only", action="store_true", help="Only the memory probes.")
    parser.add_argument("--skip-dumpdata-plain", action="store_true", help="Skip dumpdata without natural keys.")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Interleaved runs of ours and the floor; the best of each is reported (default 1).")
    parser.add_argument("--jobs-list", default="1,2,4",
                        help="PostgreSQL: also export with these --jobs values (default 1,2,4).")
    parser.add_argument("--skip-memory", action="store_true", help="Skip the memory probes.")
    parser.add_argument("--pg-only", action="store_true", help="Only PostgreSQL (implies --pg).")
    parser.add_argument("--no-dumpdata", action="store_true",
                        help="Skip both dumpdata runs (at 1,000,000 rows dumpdata --natural-foreign takes most of "
                             "an hour: one query per row).")
    args = parser.parse_args()
    if args.probe_memory is not None:
        if args.prepare_only:
            _setup(args.probe_memory, args.tenants, (args.alias,))
            return
        print(json.dumps(probe_memory(args.probe_memory, args.tenants, args.alias)))
        return
    rows = 1_000_000 if args.full else args.rows
    sizes = [int(s) for s in args.memory_sizes.split(",")] if args.memory_sizes else (
        [100_000, 1_000_000] if args.full else [rows // 10, rows])
    aliases = ("postgres",) if args.pg_only else ("default", "postgres") if args.pg else ("default",)
    from benchmarks.common import ratio

    project = None if args.memory_only else _setup(rows, args.tenants, aliases)
    for alias in () if args.memory_only else aliases:
        from django.db import connections

        vendor = connections[alias].vendor
        print(f"\n== export of the tenant 'megacon' on {alias} ({vendor}), database built with rows={rows:,} ==")
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            ours_s = gz_s = raw_s = fetch_s = ours_cpu = raw_cpu = float("inf")
            for _ in range(max(1, args.repeat)):  # interleaved, best of each: the machine is shared
                s_, ours_q, outcome = run_ours(project, alias, t / "ours.jsonl")
                ours_s, ours_cpu = min(ours_s, s_), min(ours_cpu, outcome.cpu_seconds)
                s_, _, gz = run_ours(project, alias, t / "ours.jsonl.gz")
                gz_s = min(gz_s, s_)
                s_, raw_q, raw_n = run_raw(outcome, alias, t / "floor.jsonl")
                raw_s, raw_cpu = min(raw_s, s_), min(raw_cpu, LAST_FLOOR_CPU)
                s_, _, _ = run_raw(outcome, alias)
                fetch_s = min(fetch_s, s_)
            n = outcome.result.objects
            jobs_runs: list[tuple[int, float, float]] = []
            if vendor == "postgresql":
                for jobs in [int(j) for j in args.jobs_list.split(",") if j.strip()]:
                    best_plain = best_gz = float("inf")
                    for _ in range(max(1, args.repeat)):
                        s_, _, o = run_ours(project, alias, t / f"jobs{jobs}.jsonl", jobs=jobs)
                        assert o.result.sha256 == outcome.result.sha256, "--jobs wrote other bytes"
                        best_plain = min(best_plain, s_)
                        s_, _, o = run_ours(project, alias, t / f"jobs{jobs}.jsonl.gz", jobs=jobs)
                        assert o.result.sha256 == gz.result.sha256, "--jobs wrote other bytes"
                        best_gz = min(best_gz, s_)
                    jobs_runs.append((jobs, best_plain, best_gz))
            if args.no_dumpdata:
                args.skip_dumpdata_plain = True
            else:
                dd_s, dd_q, dd_n = run_dumpdata(outcome, alias, t / "dd.jsonl", natural=True)
            if not args.skip_dumpdata_plain:
                ddp_s, ddp_q, ddp_n = run_dumpdata(outcome, alias, t / "ddp.jsonl", natural=False)
        print(f"rows exported: {n:,} objects in {len(outcome.plan.selections)} models "
              f"({outcome.result.bytes / 2**20:.1f} MiB plain, {gz.result.bytes / 2**20:.1f} MiB gzip); "
              f"best of {max(1, args.repeat)}, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"ours (.jsonl):                      {ours_s:8.2f} s  {n / ours_s:>9,.0f} rows/s  {ours_q:>9,} queries"
              f"  (plan + write + manifest)")
        print(f"ours (.jsonl.gz):                   {gz_s:8.2f} s  {n / gz_s:>9,.0f} rows/s")
        if not args.no_dumpdata:
            print(f"dumpdata --natural-foreign/primary: {dd_s:8.2f} s  {dd_n / dd_s:>9,.0f} rows/s  "
                  f"{dd_q:>9,} queries  ({dd_n:,} objects{'' if dd_n == n else ' - DIFFERS'})")
        if not args.skip_dumpdata_plain:
            print(f"dumpdata (no natural keys):         {ddp_s:8.2f} s  {ddp_n / ddp_s:>9,.0f} rows/s  "
                  f"{ddp_q:>9,} queries")
        print(f"raw floor (cursor + json.dumps):    {raw_s:8.2f} s  {raw_n / raw_s:>9,.0f} rows/s  {raw_q:>9,} queries"
              f"  ({raw_n:,} rows incl. m2m links)")
        print(f"raw fetch only (nothing written):   {fetch_s:8.2f} s  {raw_n / fetch_s:>9,.0f} rows/s")
        if not args.no_dumpdata:
            print(f"ratio ours vs dumpdata (natural keys): {ratio(ours_s, dd_s)}; queries "
                  f"{dd_q / max(ours_q, 1):,.0f}x fewer")
        if not args.skip_dumpdata_plain:
            print(f"ratio ours vs dumpdata (no natural keys): {ratio(ours_s, ddp_s)}")
        print(f"ratio ours vs raw floor: {goal(ours_s, raw_s)}; vs the fetch alone {ours_s / fetch_s:.2f}x")
        print(f"  in CPU seconds of this process ({ours_cpu:.2f} s vs {raw_cpu:.2f} s; the measure that a shared "
              f"machine disturbs least{', without the server' if vendor != 'sqlite' else ''}): "
              f"{goal(ours_cpu, raw_cpu)}")
        for jobs, plain_s, gz_s_ in jobs_runs:
            print(f"--jobs {jobs}: {plain_s:8.2f} s .jsonl ({goal(plain_s, raw_s)}; {ours_s / plain_s:.2f}x the "
                  f"speed of one connection), {gz_s_:8.2f} s .jsonl.gz ({gz_s / gz_s_:.2f}x); same bytes")
    if project is not None:
        from django.db import connections

        connections.close_all()
    if args.skip_memory:
        return
    print("\n== peak memory of our export (fresh subprocess per size, .jsonl.gz) ==")
    for alias in aliases:
        results = []
        for size in sizes:
            r = _memory_in_subprocess(size, args.tenants, alias)
            results.append(r)
            print(f"{alias}: {r['rows']:>10,} rows: tracemalloc peak {r['tracemalloc_peak_mb']:7.1f} MiB, "
                  f"peak RSS during the export {r['rss_growth_mb']:+7.1f} MiB over {r['rss_before_mb']:.0f} MiB "
                  f"before it ({r['seconds']:.1f}s)")
        if len(results) >= 2 and results[0]["tracemalloc_peak_mb"] > 0:
            grow = results[-1]["tracemalloc_peak_mb"] / results[0]["tracemalloc_peak_mb"]
            print(f"{alias}: rows x{results[-1]['rows'] / max(results[0]['rows'], 1):.0f} -> peak memory x{grow:.2f}")


if __name__ == "__main__":
    main()
