"""Move benchmark: ``move`` of the large demo tenant vs its export and its import run separately.

    .venv/bin/python -m benchmarks.move                 # ~50,000 rows in the tenant, SQLite -> SQLite
    .venv/bin/python -m benchmarks.move --rows 200000
    .venv/bin/python -m benchmarks.move --pg            # also PostgreSQL -> PostgreSQL

In one run, into the same flushed target:

* **peer: export + import**: ``run_export`` from a read-only session (one snapshot) and then the
  import (read + verify the file, plan, resolve, apply in one transaction): what an operator runs by
  hand with ``export`` and ``import --apply``, without checking that every row arrived.
* **ours: move**: the same export and import through :class:`~tenant_console.core.move.runner.Mover`,
  plus what the peer does not do: the tenant's digest in the export's snapshot, the verification on the
  target (counts and checksums over every row), and the journal after every phase.

The ratio is ours / peer from this run. Goal (ours, not the issue's): the move within 1.5x of export
+ import, i.e. verification and journal cost at most half of what moving the data costs.
``--delete-source`` is not measured here (it would change the cached database); the tests and the real
projects exercise it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5


def _setup(rows: int, aliases: tuple[str, ...]) -> Any:
    os.environ["TC_BENCH_DIR"] = str(ROOT / ".bench" / f"move-{rows}")
    from benchmarks.common import prepare

    return prepare(rows=rows, tenants=10, aliases=aliases)


def flush(alias: str) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("flush", database=alias, interactive=False, verbosity=0)
    connections[alias].close()


def megacon(alias: str) -> Any:
    from conference.models import Event

    return Event._base_manager.using(alias).get(slug="megacon").pk


def peer(project: Any, source: str, target: str, tmp: Path) -> dict[str, Any]:
    from tenant_console.core.export.runner import ExportRequest, run_export
    from tenant_console.core.export.storage import LocalOutput
    from tenant_console.core.importer import Decisions, apply_import, build_plan, read_export, resolve

    path = tmp / f"peer-{source}.jsonl.gz"
    t0 = time.perf_counter()
    with project.session("bench-export", alias=source) as s:
        s.activate({"event": megacon(source)})
        s.run(run_export, project, ExportRequest(tenant_pks={"event": megacon(source)}, output=LocalOutput(path),
                                                 overwrite=True), None, source)
    t1 = time.perf_counter()
    export = read_export(path)
    with project.session("bench-import", alias=target) as s:
        plan = s.run(build_plan, export, target, project.registry, readonly=True, scoped=False)
        res = resolve(plan, Decisions())
        assert res.complete, [u.reason for u in res.undecided[:5]]
        report = s.run(apply_import, plan, res, readonly=False, scoped=False)
    t2 = time.perf_counter()
    return {"export": t1 - t0, "import": t2 - t1, "total": t2 - t0, "objects": export.count,
            "written": sum(report.written.values())}


def ours(project: Any, source: str, target: str, tmp: Path) -> dict[str, Any]:
    from tenant_console.core.audit import database_identity
    from tenant_console.core.importer import Decisions, resolve
    from tenant_console.core.move import CHECKPOINTS, MoveJob, Mover, new_journal

    timings: dict[str, float] = {}
    state: dict[str, Any] = {"phase": None, "at": time.perf_counter()}

    def progress(phase: str, text: str) -> None:
        now = time.perf_counter()
        if state["phase"] is not None and state["phase"] != phase:
            timings[state["phase"]] = timings.get(state["phase"], 0.0) + now - state["at"]
            state["at"] = now
        state["phase"] = phase

    def decide(plan: Any) -> Any:
        d = Decisions()
        return d, resolve(plan, d)

    marks: dict[str, float] = {}

    def mark(phase: str, point: str) -> None:
        marks[f"{phase}:{point}"] = time.perf_counter()

    CHECKPOINTS.append(mark)
    pk = megacon(source)
    journal = new_journal(tmp / f"move-{source}", settings=project.settings_module, tenant={"event": pk},
                          tenant_label="megacon", tenant_slug="megacon",
                          source={"alias": source, "db": database_identity(source)},
                          target={"alias": target, "db": database_identity(target)},
                          options={"delete_source": False, "cross_tenant": "refuse"})
    t0 = time.perf_counter()
    state["at"] = t0
    mover = Mover(project, journal, job=MoveJob(progress=progress), decide=decide)
    try:
        phase = mover.run()
    finally:
        mover.close()
        CHECKPOINTS.remove(mark)
    total = time.perf_counter() - t0
    timings[state["phase"]] = timings.get(state["phase"], 0.0) + time.perf_counter() - state["at"]
    assert phase == "done", phase
    rows = sum(int(d["count"]) for d in (journal.source_digest or {}).values())
    split = {"export file": marks["export:written"] - marks["export:start"],
             "source digest": marks["export:done"] - marks["export:written"],
             "import apply": marks["import:committed"] - marks["import:start"]}
    return {"total": total, "phases": timings, "rows": rows, "split": split}


def run(project: Any, source: str, target: str, tmp: Path) -> dict[str, Any]:
    flush(target)
    p = peer(project, source, target, tmp)
    flush(target)
    o = ours(project, source, target, tmp)
    flush(target)
    return {"peer": p, "ours": o}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000, help="Rows in the large tenant (default 50,000).")
    parser.add_argument("--pg", action="store_true", help="Also PostgreSQL -> PostgreSQL (127.0.0.1:5432).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]
    aliases: tuple[str, ...] = ("default", "postgres") if args.pg else ("default",)
    project = _setup(args.rows, aliases)
    from django.core.management import call_command

    for target in ("empty", *(["postgres_empty"] if args.pg else [])):
        call_command("migrate", database=target, verbosity=0)
    pairs = [("default", "empty")] + ([("postgres", "postgres_empty")] if args.pg else [])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tc-bench-move-") as tmp:
        for source, target in pairs:
            results[f"{source}->{target}"] = run(project, source, target, Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2, default=str))
        return
    for name, r in results.items():
        p, o = r["peer"], r["ours"]
        ratio = o["total"] / p["total"] if p["total"] else float("nan")
        phases = ", ".join(f"{k} {v:.2f}s" for k, v in o["phases"].items())
        print(f"\n== {name}: megacon, {o['rows']:,} rows of the tenant, {p['objects']:,} objects in the export ==")
        print(f"peer: export + import  {p['total']:7.2f}s  (export {p['export']:.2f}s, import {p['import']:.2f}s)")
        split = ", ".join(f"{k} {v:.2f}s" for k, v in o["split"].items())
        print(f"ours: move             {o['total']:7.2f}s  ({phases}; of which {split})")
        print(f"ratio move / (export + import): {ratio:.2f}x  (goal <= {GOAL:.1f}x: "
              f"{'met' if ratio <= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
