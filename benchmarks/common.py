"""Shared set-up for benchmarks: Django on ``benchmarks.settings``, large databases built once.

``prepare(rows=1_000_000, tenants=100_000)`` returns the loaded :class:`Project`; the
database ``default`` (SQLite) then holds five normal events, the event ``megacon`` with
about ``rows`` rows, and ``tenants`` extra small events. Set ``TC_BENCH_PG=1`` to build
the same on PostgreSQL (alias ``postgres``). A marker in the state dir records what
was seeded so the next run reuses it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "demo_project")):
    if p not in sys.path:
        sys.path.insert(0, p)

T = TypeVar("T")


def bench_dir() -> Path:
    d = Path(os.environ.get("TC_BENCH_DIR", str(ROOT / ".bench")))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _pg_admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(
        dbname="postgres",
        host=os.environ.get("TC_PG_HOST", "127.0.0.1"),
        port=os.environ.get("TC_PG_PORT", "5432"),
        user=os.environ.get("TC_PG_USER", "postgres"),
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def prepare(rows: int = 1_000_000, tenants: int = 100_000, aliases: tuple[str, ...] = ("default",)) -> Any:
    """Configure Django and make sure each alias holds the large demo data."""
    bench_dir()
    if any(a.startswith("postgres") for a in aliases):
        os.environ["TC_BENCH_PG"] = "1"
        for name in (os.environ.get("TC_BENCH_PG_DB", "tc_bench_large"), "tc_bench_empty"):
            try:
                _pg_admin(f'CREATE DATABASE "{name}"')
            except Exception:
                pass
    from tenant_console.core.project import load_project

    project = load_project("benchmarks.settings")
    import fcntl

    from django.core.management import call_command
    from django.db import connections

    lock = (bench_dir() / "build.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # several benchmark runs may start at once; build once
    marker = bench_dir() / "seeded.json"
    seeded = json.loads(marker.read_text()) if marker.exists() else {}
    want = {"rows": rows, "tenants": tenants}
    for alias in aliases:
        if seeded.get(alias) == want:
            continue
        print(
            f"[bench] building {alias}: about {rows:,} rows in 'megacon' and {tenants:,} extra tenants "
            "(once; cached in .bench/) ...",
            file=sys.stderr,
        )
        call_command("migrate", database=alias, verbosity=0)
        from conference.seeding import seed

        report = seed(alias, large=rows, tenants=tenants, flush=True)
        print(f"[bench] seeded {report.total:,} rows in {report.seconds:.0f}s", file=sys.stderr)
        if connections[alias].vendor == "sqlite":
            with connections[alias].cursor() as cur:
                cur.execute("ANALYZE")
        else:
            with connections[alias].cursor() as cur:
                cur.execute("ANALYZE")
        seeded[alias] = want
        marker.write_text(json.dumps(seeded))
    from django.conf import settings

    for alias in ("empty", "postgres_empty"):
        if alias in settings.DATABASES:
            call_command("migrate", database=alias, verbosity=0)
    connections.close_all()
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    return project


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def ratio(ours: float, peer: float) -> str:
    """``12.3x faster`` / ``1.4x slower`` for ours vs peer (times; lower is better)."""
    if ours <= 0 or peer <= 0:
        return "n/a"
    return f"{peer / ours:.1f}x faster" if ours <= peer else f"{ours / peer:.1f}x slower"
