"""Import benchmark: plan + apply of the large demo tenant's export, vs ``loaddata`` of the same file.

    .venv/bin/python -m benchmarks.importer            # ~50,000 rows in the tenant (a quick run)
    .venv/bin/python -m benchmarks.importer --full     # ~1,000,000 rows
    .venv/bin/python -m benchmarks.importer --pg       # on PostgreSQL as well

In one run, on the same export file (``megacon`` exported with the real exporter, plain ``.jsonl``):

* **ours, empty target**: read + verify, plan (every object classified against the target), resolve,
  apply (one transaction, bulk inserts, constraint check, sequences on PostgreSQL).
* **ours, 10% conflicts**: the target already holds every tenth submission with everything hanging
  off it (about 10% of the objects), edited so that they differ: those are ``changed`` conflicts,
  decided ``overwrite``; the rest is new.
* **loaddata, empty target**: Django's ``loaddata`` of the same file into the same empty database
  (no plan, no conflict detection; it overwrites silently).

Ratios are ours vs loaddata from this run. The planner's queries are counted to show it works in
batches (one query per model and chunk), not per object.

Memory: the import into the empty target and ``loaddata`` each run in a child process of their own,
which reports its peak resident set size (``ru_maxrss``: Python, Django and the driver included, about
50 MB before any row is read), so that the figure is the import's and not the seeding's.

    .venv/bin/python -m benchmarks.importer --sizes 20000 200000 1000000   # memory at three sizes (#12, #15)

``--sizes``: for each size (rows seeded in the tenant; the database and its export are built once and
cached in ``.bench/import-ROWS/``), the import into an empty target and ``loaddata`` of the same file, each in
a process of its own, with their peak RSS and times, and the ratios beside the goals: peak RSS of a
valid import sub-linear in the objects, under 400 MB at 1M objects (#12), at most 1.5x ``loaddata``'s
peak RSS (#15), time at most 0.15x ``loaddata``'s. ``loaddata`` saves object by object (about 600 objects
a second here): above ``--loaddata-max`` objects (default 200,000 rows) it is not run, and the largest
size is compared with the ``loaddata`` run of the largest size that was measured (its peak RSS, which is
flat in the file's size, and its time per object), which the output says.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup(rows: int, aliases: tuple[str, ...]) -> Any:
    os.environ["TC_BENCH_DIR"] = str(ROOT / ".bench" / f"import-{rows}")
    from benchmarks.common import prepare

    return prepare(rows=rows, tenants=10, aliases=aliases)


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def export(project: Any, alias: str, path: Path) -> None:
    from conference.models import Event

    from tenant_console.core.export.runner import ExportRequest, run_export
    from tenant_console.core.export.storage import LocalOutput

    pk = Event._base_manager.using(alias).get(slug="megacon").pk
    with project.session("bench-export", alias=alias) as s:
        s.run(run_export, project, ExportRequest(tenant_pks={"event": pk}, output=LocalOutput(path),
                                                 cross_tenant="omit", overwrite=True), None, alias)


def flush(alias: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("flush", database=alias, interactive=False, verbosity=0)
    connections[alias].close()


def ours(project: Any, alias: str, path: Path, defaults: dict[str, str]) -> dict[str, Any]:
    from django.db import connections

    from tenant_console.core.importer import Decisions, apply_import, build_plan, read_export, resolve

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    export_ = read_export(path)
    out["read"] = time.perf_counter() - t0
    counter = Counter()
    with project.session("bench-import", alias=alias) as s:
        def plan_counted() -> Any:
            with connections[alias].execute_wrapper(counter):
                return build_plan(export_, alias, project.registry)

        t1 = time.perf_counter()
        plan = s.run(plan_counted, readonly=True, scoped=False)
        out["plan"] = time.perf_counter() - t1
        d = Decisions()
        for sel, dec in defaults.items():
            d.set_default(dec, sel)
        t2 = time.perf_counter()
        res = resolve(plan, d)
        out["resolve"] = time.perf_counter() - t2
        assert res.complete, [u.reason for u in res.undecided[:5]]
        t3 = time.perf_counter()
        report = s.run(apply_import, plan, res, readonly=False, scoped=False)
        out["apply"] = time.perf_counter() - t3
    out["total"] = time.perf_counter() - t0
    out["objects"] = export_.count
    out["plan_queries"] = counter.n
    out["classes"] = {k: v for k, v in plan.totals().items() if v}
    out["written"] = sum(report.written.values())
    return out


def loaddata(alias: str, path: Path) -> float:
    from django.core.management import call_command
    from django.db import connections
    from django_scopes import scopes_disabled

    t0 = time.perf_counter()
    with scopes_disabled():  # m2m .set() goes through the scoped managers; as pretalx documents it
        call_command("loaddata", str(path), database=alias, verbosity=0)
    took = time.perf_counter() - t0
    connections[alias].close()
    return took


def _drops(o: dict[str, Any], by_sub: set[str], keep_subs: set[int]) -> bool:
    """Rows that hang off a submission left out of the subset."""
    f = o["fields"]
    if o["model"] in by_sub:
        return f.get("submission") is not None and f["submission"] not in keep_subs
    return o["model"] == "conference.activitylog" and f.get("object_id") not in keep_subs


def ten_percent(project: Any, alias: str, path: Path, tmp: Path) -> None:
    """Load every tenth submission (and what hangs off it) into ``alias``, then edit those rows."""
    from conference import models as m

    from tests.importer.exports import read_lines, rewrite  # the test helper that edits exports

    keep_subs = {o["pk"] for o in read_lines(path) if o["model"] == "conference.submission" and o["pk"] % 10 == 0}
    by_sub = {"conference.review", "conference.answer", "conference.speakerrole", "conference.talkslot",
              "conference.resource"}

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        for o in objs:
            f = o["fields"]
            if o["model"] == "conference.submission":
                if o["pk"] not in keep_subs:
                    continue
                if f.get("duplicate_of") not in keep_subs:
                    f["duplicate_of"] = None
            elif _drops(o, by_sub, keep_subs):
                continue
            kept.append(o)
        return kept

    subset = rewrite(path, tmp / "subset.jsonl", edit)
    ours(project, alias, subset, {"missing_ref": "skip", "dependent": "skip"})
    from django.db import connections
    from django.db.models import Value
    from django.db.models.functions import Concat

    m.Submission._base_manager.using(alias).update(title=Concat("title", Value(" (edited)")))
    m.Review._base_manager.using(alias).update(text=Concat("text", Value(" (edited)")))
    connections[alias].close()


def child(what: str, path: Path, alias: str, rows: int, pg: bool) -> dict[str, Any]:
    """Run ``ours`` (empty target) or ``loaddata`` in a process of its own; its figures and peak RSS."""
    args = [sys.executable, "-m", "benchmarks.importer", "--child", what, "--child-file", str(path),
            "--child-alias", alias, "--rows", str(rows), *(["--pg"] if pg else [])]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    if proc.returncode:
        raise SystemExit(f"the {what} child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export_cached(project: Any, rows: int) -> Path:
    """The tenant's export for this size, made once per seeded database (``.bench/import-ROWS/``)."""
    folder = ROOT / ".bench" / f"import-{rows}"
    path = folder / "megacon.jsonl"
    marker = folder / "seeded.json"
    if not path.exists() or (marker.exists() and marker.stat().st_mtime > path.stat().st_mtime):
        export(project, "default", path)
    return path


def _size_child(rows: int, what: str) -> dict[str, Any]:
    """One step of the size sweep in a process of its own (Django is configured once per process)."""
    args = [sys.executable, "-m", "benchmarks.importer", "--rows", str(rows), "--child", what]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    if proc.returncode:
        raise SystemExit(f"the {what} step at {rows:,} rows failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sizes(rows_list: list[int], loaddata_max: int) -> dict[int, dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    for rows in rows_list:
        print(f"[bench] {rows:,} rows ...", file=sys.stderr, flush=True)
        r: dict[str, Any] = {"file": _size_child(rows, "export")}
        r["ours"] = _size_child(rows, "ours-cached")
        if rows <= loaddata_max:
            r["loaddata"] = _size_child(rows, "loaddata-cached")
        results[rows] = r
    return results


def print_sizes(results: dict[int, dict[str, Any]]) -> None:
    measured = [r["loaddata"] | {"objects": r["ours"]["objects"]} for r in results.values() if "loaddata" in r]
    print("\n== import of the megacon export into an empty SQLite database: ours vs loaddata (same file) ==")
    print(f"{'rows':>9} {'objects':>9} {'file MB':>8} | {'ours s':>7} {'peak MB':>8} | {'loaddata s':>10} "
          f"{'peak MB':>8} | {'RSS ratio':>9} {'time ratio':>10}")
    for rows, r in results.items():
        o, n = r["ours"], r["ours"]["objects"]
        ld = r.get("loaddata")
        note = ""
        if ld is None and measured:
            ref = measured[-1]
            ld = {"seconds": ref["seconds"] / ref["objects"] * n, "peak_rss_mb": ref["peak_rss_mb"]}
            note = f"  (loaddata not run: its peak RSS and s/object from {ref['objects']:,} objects)"
        ld_s = f"{ld['seconds']:10.1f} {ld['peak_rss_mb']:8.0f}" if ld else f"{'-':>10} {'-':>8}"
        ratios = (f"{o['peak_rss_mb'] / ld['peak_rss_mb']:8.2f}x {o['total'] / ld['seconds']:9.3f}x" if ld
                  else f"{'-':>9} {'-':>10}")
        print(f"{rows:>9,} {n:>9,} {r['file']['bytes'] / 1e6:8.1f} | {o['total']:7.1f} {o['peak_rss_mb']:8.0f} | "
              f"{ld_s} | {ratios}{note}")
    print("goals: RSS ratio <= 1.5x (#15); time ratio <= 0.15x (#15, #12); peak < 400 MB at 1M objects (#12); "
          "peak growing sub-linearly (#12)")
    pts = [(r["ours"]["objects"], r["ours"]["peak_rss_mb"]) for r in results.values()]
    if len(pts) >= 2:
        (n0, m0), (n1, m1) = pts[0], pts[-1]
        print(f"growth: {n1 / n0:.0f}x the objects -> {m1 / m0:.1f}x the peak RSS "
              f"({(m1 - m0) * 1024 * 1024 / (n1 - n0):.0f} bytes per further object)")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(project: Any, source: str, empty: str, tmp: Path, rows: int, pg: bool, memory_only: bool = False
        ) -> dict[str, Any]:
    path = tmp / f"megacon-{source}.jsonl"
    t0 = time.perf_counter()
    export(project, source, path)
    result: dict[str, Any] = {"export_seconds": round(time.perf_counter() - t0, 2),
                              "file_bytes": path.stat().st_size}
    flush(empty)
    result["ours_empty"] = child("ours", path, empty, rows, pg)
    flush(empty)
    if memory_only:
        return result
    loaded = child("loaddata", path, empty, rows, pg)
    result["loaddata_empty"] = loaded["seconds"]
    result["loaddata_peak_rss_mb"] = loaded["peak_rss_mb"]
    flush(empty)
    ten_percent(project, empty, path, tmp)
    result["ours_10pct"] = ours(project, empty, path, {"missing_ref": "skip", "dependent": "skip",
                                                       "changed": "overwrite"})
    flush(empty)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="Rows in the large tenant (default 50,000).")
    parser.add_argument("--full", action="store_true", help="About 1,000,000 rows in the tenant.")
    parser.add_argument("--pg", action="store_true", help="Also on PostgreSQL (127.0.0.1:5432).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--memory-only", action="store_true",
                        help="Only the import into the empty target (time and peak RSS); no loaddata, no 10%% run.")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="ROWS",
                        help="Memory and time at each size (rows in the tenant), ours vs loaddata: see above.")
    parser.add_argument("--loaddata-max", type=int, default=200_000,
                        help="With --sizes: run loaddata up to this many rows (default 200,000).")
    parser.add_argument("--child", choices=["ours", "loaddata", "export", "ours-cached", "loaddata-cached"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--child-file", help=argparse.SUPPRESS)
    parser.add_argument("--child-alias", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = 1_000_000 if args.full else args.rows
    sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]
    aliases: tuple[str, ...] = ("default", "postgres") if args.pg else ("default",)
    if args.sizes and not args.child:
        swept = sizes(args.sizes, args.loaddata_max)
        if args.json:
            print(json.dumps(swept, indent=2, default=str))
        else:
            print_sizes(swept)
        return
    project = _setup(rows, aliases)
    if args.child in ("export", "ours-cached", "loaddata-cached"):
        path = export_cached(project, rows)
        if args.child == "export":
            out: dict[str, Any] = {"bytes": path.stat().st_size}
        else:
            flush("empty")
            if args.child == "ours-cached":
                out = ours(project, "empty", path, {"missing_ref": "skip", "dependent": "skip"})
            else:
                out = {"seconds": loaddata("empty", path)}
            out["peak_rss_mb"] = round(_peak_mb(), 1)
            flush("empty")
        # Also kept beside the cached database: the last figures of each step, for a sweep cut short.
        (path.parent / f"result-{args.child}.json").write_text(json.dumps(out, default=str) + "\n")
        print(json.dumps(out, default=str))
        return
    if args.child:
        if args.child == "ours":
            out = ours(project, args.child_alias, Path(args.child_file), {"missing_ref": "skip", "dependent": "skip"})
        else:
            out = {"seconds": loaddata(args.child_alias, Path(args.child_file))}
        out["peak_rss_mb"] = round(_peak_mb(), 1)
        print(json.dumps(out, default=str))
        return
    from benchmarks.common import ratio

    pairs = [("default", "empty")] + ([("postgres", "postgres_empty")] if args.pg else [])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tc-bench-import-") as tmp:
        for source, empty in pairs:
            results[source] = run(project, source, empty, Path(tmp), rows, args.pg, args.memory_only)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
        return
    for source, r in results.items():
        e = r["ours_empty"]
        if args.memory_only:
            size = r["file_bytes"] / 1e6
            print(f"\n== {source}: megacon export, {e['objects']:,} objects, {size:.1f} MB (.jsonl) ==")
            print(f"ours, empty target: {e['total']:7.2f}s (read+verify {e['read']:.2f}s, plan {e['plan']:.2f}s, "
                  f"apply {e['apply']:.2f}s), peak RSS {e['peak_rss_mb']:,.0f} MB")
            continue
        c, ld = r["ours_10pct"], r["loaddata_empty"]
        vendor = "PostgreSQL" if source.startswith("postgres") else "SQLite"
        n = e["objects"]
        print(f"\n== {vendor}: megacon export, {n:,} objects, {r['file_bytes'] / 1e6:.1f} MB (.jsonl) ==")
        print(f"ours, empty target:    {e['total']:7.2f}s  (read+verify {e['read']:.2f}s, plan {e['plan']:.2f}s "
              f"in {e['plan_queries']:,} queries, resolve {e['resolve']:.2f}s, apply {e['apply']:.2f}s)  "
              f"{n / e['total']:,.0f} objects/s, peak RSS {e['peak_rss_mb']:,.0f} MB")
        print(f"ours, 10% conflicts:   {c['total']:7.2f}s  (plan {c['plan']:.2f}s in {c['plan_queries']:,} queries, "
              f"apply {c['apply']:.2f}s; {c['classes']})")
        print(f"loaddata, empty:       {ld:7.2f}s  {n / ld:,.0f} objects/s, peak RSS "
              f"{r['loaddata_peak_rss_mb']:,.0f} MB")
        print(f"ratio ours/loaddata (empty target):   {ratio(e['total'], ld)}")
        print(f"ratio ours 10% conflicts/loaddata:    {ratio(c['total'], ld)}")


if __name__ == "__main__":
    main()
