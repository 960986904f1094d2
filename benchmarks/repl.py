"""REPL benchmark: per-input overhead, showing a queryset of a 1,000,000-row tenant, ctrl+c latency, completion.

    .venv/bin/python -m benchmarks.repl [--inputs 200] [--pg]

Peers, measured in the same run on the same database: ``manage.py shell`` with
``with scope(event=...)`` (the code ``exec``-ed directly, no read-only layer, no
audit), and Django's own ``repr()`` of a queryset.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

from benchmarks.common import prepare, ratio, timed


def _peer_exec(alias: str, event: Any, source: str, n: int) -> float:
    """manage.py shell + ``with scope(event=...)``: exec on a plain thread, best per-input mean."""
    from django.db import connections
    from django_scopes import scope

    from tenant_console.core.repl.namespace import build_namespace
    from tenant_console.core.routing import routed_to

    result: dict[str, float] = {}

    def work() -> None:
        from tenant_console.core.project import load_project

        ns = build_namespace(load_project("benchmarks.settings", database=alias), alias=alias)
        with routed_to(alias), scope(event=event):
            start = time.perf_counter()
            for _ in range(n):
                exec(compile(source, "<shell>", "exec"), ns)
            result["t"] = (time.perf_counter() - start) / n
        connections[alias].close()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return result["t"]


def _bench_alias(project: Any, alias: str, inputs: int) -> None:
    from conference.models import Event

    from tenant_console.core.repl.runner import ReplRunner

    session = project.session("bench-repl", alias=alias)
    runner = ReplRunner(project, session)
    mega = session.run(lambda: Event._base_manager.get(slug="megacon"), scoped=False)
    runner.set_scope({"event": mega.pk})
    rows = session.run(lambda: __import__("conference.models").models.Submission._base_manager
                       .filter(event=mega).count(), scoped=False)
    print(f"\n== {alias} ({runner.vendor}); tenant 'megacon' with {rows:,} submissions")

    small = "Submission.objects.filter(pk__lt=0).exists()"
    runner.run(small)  # warm up
    per_input = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(inputs):
            runner.run(small)
        per_input.append((time.perf_counter() - start) / inputs)
    ours = min(per_input)
    peer = min(_peer_exec(alias, mega, small, inputs) for _ in range(3))
    print(f"one small input ({inputs} runs, best of 3): {ours * 1000:.2f} ms per input (read-only transaction, "
          f"capture, audit line) vs manage.py shell + scope(): {peer * 1000:.2f} ms -> {ratio(ours, peer)}")

    t_show, res = timed(lambda: runner.run("Submission.objects.all()"), repeat=3)
    assert res.ok, res.error
    t_repr, _ = timed(lambda: session.run(lambda: repr(__import__("conference.models").models.Submission
                                                       .objects.all())), repeat=3)
    print(f"show Submission.objects.all() (10 rows + total {res.value.total:,}): {t_show * 1000:.1f} ms "
          f"vs Django repr() (21 rows, no total): {t_repr * 1000:.1f} ms -> {ratio(t_show, t_repr)}")

    latencies = []
    for _ in range(5):
        fut = runner.submit("while True:\n    pass")
        while not runner.in_user_code:
            time.sleep(0.001)
        time.sleep(0.02)
        start = time.perf_counter()
        runner.interrupt()
        out = fut.result(10)
        latencies.append(time.perf_counter() - start)
        assert out.error_kind == "interrupted"
    print(f"ctrl+c on a Python loop -> result back: median {statistics.median(latencies) * 1000:.1f} ms")
    slow = ("SELECT pg_sleep(30)" if runner.vendor == "postgresql" else
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    latencies = []
    for _ in range(3):
        fut = runner.submit(f"connection.cursor().execute({slow!r})")
        while not runner.in_query:
            time.sleep(0.001)
        time.sleep(0.05)
        start = time.perf_counter()
        runner.interrupt()
        out = fut.result(30)
        latencies.append(time.perf_counter() - start)
        assert out.error_kind == "interrupted", out.error
    print(f"ctrl+c on a running query (cancelled on the database) -> result back: "
          f"median {statistics.median(latencies) * 1000:.1f} ms")

    cold = time.perf_counter()
    runner.complete("Submission.ti", 1, 13).result(60)
    cold = time.perf_counter() - cold
    warm, found = timed(lambda: runner.complete("Submission.objects.filter(event__sl", 1, 35).result(60), repeat=5)
    warm_jedi, _ = timed(lambda: runner.complete("event.na", 1, 8).result(60), repeat=5)
    print(f"completion: first (jedi cold) {cold * 1000:.0f} ms; field lookup {warm * 1000:.1f} ms "
          f"({found[0].text if found else '-'}); jedi on the live tenant {warm_jedi * 1000:.1f} ms")
    runner.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=200, help="Inputs per overhead measurement (default 200).")
    parser.add_argument("--large", type=int, default=1_000_000,
                        help="Rows of prepare()'s large tenant, shared with other benchmarks (default 1,000,000).")
    parser.add_argument("--tenants", type=int, default=100_000, help="Extra tenants (default 100,000).")
    parser.add_argument("--pg", action="store_true", help="Also on PostgreSQL.")
    args = parser.parse_args()
    aliases = ("default", "postgres") if args.pg else ("default",)
    project = prepare(rows=args.large, tenants=args.tenants, aliases=aliases)
    for alias in aliases:
        _bench_alias(project, alias, args.inputs)


if __name__ == "__main__":
    main()
