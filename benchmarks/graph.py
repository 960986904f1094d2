"""Benchmark: the batched graph walker against a per-object walk, and the isolation audit.

    .venv/bin/python -m benchmarks.graph                 # 500 megacon talks as roots (a few minutes at most)
    .venv/bin/python -m benchmarks.graph --roots 5000    # more roots
    .venv/bin/python -m benchmarks.graph --full          # the whole megacon tenant (~1,000,000 rows)
    .venv/bin/python -m benchmarks.graph --pg            # also on PostgreSQL (builds it once)

The peer walks the same closure the way gestore and django-fixture-magic do:
one query per object and relation (``obj.fk``, ``obj.reverse_set.all()``,
``obj.m2m.all()``, ``obj.content_object``), under ``scopes_disabled()`` since it
knows nothing of scopes. Both walks follow the same relations (the walker's
default rules), and the benchmark checks that they find the same objects.
With ``--full`` the peer would issue millions of queries; it then runs for
``--peer-budget`` seconds and its time is extrapolated from the objects it
visited, and the output says so.

The audit is timed over the whole large database (every tenant), against a
peer that checks without set-based SQL: it streams each relation's rows and
the target's scope values into Python and compares them there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from typing import Any

from benchmarks.common import prepare, ratio, timed


def _per_object_walk(registry: Any, roots: list[Any], alias: str, budget: float | None,
                     from_tenant: bool = False) -> dict[str, Any]:
    """One query per object per relation, with the walker's default rules."""
    from django.db import connections
    from django_scopes import scopes_disabled

    from tenant_console.core.graph.classify import ScopeColumns
    from tenant_console.core.graph.relations import Kind, model_key, relations_of

    cols = ScopeColumns(registry)
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    seen: dict[tuple[str, Any], bool] = {}
    queue: deque[tuple[Any, bool]] = deque()
    for obj in roots:
        seen[(model_key(type(obj)), obj.pk)] = True
        queue.append((obj, True))
    started = time.perf_counter()
    stopped = False
    remaining_roots = len(queue)
    roots_done: tuple[float, int] | None = None  # (seconds, queries) when the roots were expanded
    with scopes_disabled(), connections[alias].execute_wrapper(count):
        while queue:
            if remaining_roots == 0 and roots_done is None:
                roots_done = (time.perf_counter() - started, queries)
            if budget is not None and roots_done is not None and \
                    time.perf_counter() - started - roots_done[0] > budget:
                stopped = True
                break
            remaining_roots -= 1
            obj, owned = queue.popleft()
            model = type(obj)
            tenant_model = cols.is_tenant_model(model)
            reverse_ok = owned and cols.is_scoped(model) and (from_tenant or not tenant_model)
            for rel in relations_of(model):
                found: list[Any] = []
                if rel.kind in (Kind.FK, Kind.O2O, Kind.PARENT):
                    if getattr(obj, rel.field.attname) is not None:
                        found = [getattr(obj, rel.name)]
                elif rel.kind is Kind.GFK:
                    target = getattr(obj, rel.name)
                    found = [target] if target is not None else []
                elif (rel.kind is Kind.M2M and rel.auto_through) or (
                        reverse_ok and rel.owning and rel.kind in (Kind.REVERSE_FK, Kind.GENERIC_RELATION)):
                    found = list(getattr(obj, rel.name).all())
                elif reverse_ok and rel.owning and rel.kind in (Kind.REVERSE_O2O, Kind.CHILD):
                    try:
                        found = [getattr(obj, rel.name)]
                    except Exception:
                        found = []
                else:
                    continue
                if rel.hidden and not rel.forward:
                    continue
                child_owned = owned and not rel.forward
                for other in found:
                    key = (model_key(type(other)), other.pk)
                    if key not in seen:
                        seen[key] = child_owned
                        queue.append((other, child_owned))
    seconds = time.perf_counter() - started
    visited = len(seen) - len(queue)
    return {"seconds": seconds, "queries": queries, "nodes": set(seen), "stopped": stopped, "visited": visited,
            "pending": len(queue), "roots": len(roots), "roots_done": roots_done or (seconds, queries)}


def _python_audit(registry: Any, alias: str) -> int:
    """The isolation audit without set-based SQL: stream rows and compare in Python."""
    from django.contrib.contenttypes.models import ContentType

    from tenant_console.core.graph.isolation_audit import _through, plan
    from tenant_console.core.graph.relations import Kind

    checks, _ = plan(registry)
    found = 0
    targets: dict[tuple[Any, str], dict[Any, Any]] = {}

    def tenant_map(model: Any, path: str) -> dict[Any, Any]:
        key = (model, path)
        if key not in targets:
            targets[key] = dict(model._base_manager.using(alias).values_list("pk", path).iterator(chunk_size=20000))
        return targets[key]

    for check in checks:
        rel = check.relation
        if rel.kind is Kind.GFK:
            ct = ContentType.objects.db_manager(alias).get_for_model(check.target)
            dst = tenant_map(check.target, check.target_path)
            rows = rel.model._base_manager.using(alias).filter(**{rel.field.ct_field: ct}).values_list(
                rel.field.fk_field, check.source_path)
        elif rel.kind is Kind.M2M:
            m2m = rel.field
            src_fk = rel.through._meta.get_field(m2m.m2m_field_name())
            dst_fk = rel.through._meta.get_field(m2m.m2m_reverse_field_name())
            src = tenant_map(rel.model, check.source_path)
            dst = tenant_map(rel.target, check.target_path)
            for a, b in rel.through._base_manager.using(alias).values_list(src_fk.attname, dst_fk.attname).iterator(
                    chunk_size=20000):
                if a in src and b in dst and src[a] is not None and dst[b] is not None and src[a] != dst[b]:
                    found += 1
            continue
        else:
            dst = tenant_map(rel.target, check.target_path)
            rows = rel.model._base_manager.using(alias).values_list(rel.field.attname, check.source_path)
        for value, tenant in rows.iterator(chunk_size=20000):
            other = dst.get(value)
            if other is not None and tenant is not None and other != tenant:
                found += 1
        _ = _through  # (same plan as the set-based audit)
    return found


def bench(alias: str, project: Any, args: argparse.Namespace) -> None:
    from conference.models import Event, Submission
    from django.db import connections

    from tenant_console.core.graph import WalkRules, walk
    from tenant_console.core.graph.isolation_audit import run_audit

    registry = project.registry
    mega = Event._base_manager.using(alias).get(slug="megacon")
    print(f"\n== {alias} ({connections[alias].vendor}) ==")
    if args.full:
        roots = [mega]
        rules = WalkRules(from_tenant=True)
        what = "the whole megacon tenant (event root, reverse relations from the tenant)"
    else:
        roots = list(Submission._base_manager.using(alias).filter(event=mega).order_by("pk")[:args.roots])
        rules = WalkRules()
        what = f"{len(roots)} megacon talks as roots"
    print(f"closure of {what}")
    ours_time, result = timed(lambda: walk(registry, roots, rules, alias=alias), repeat=args.repeat)
    print(f"  walker:      {ours_time:8.2f} s  {result.queries:>9,} queries  {len(result.nodes):>9,} objects "
          f"{len(result.edges):>10,} edges")
    budget = args.peer_budget if args.full else None
    peer_roots = roots
    peer = _per_object_walk(registry, peer_roots, alias, budget, from_tenant=rules.from_tenant)
    if peer["stopped"]:
        # The roots' own relations are fetched first (for an event root: every talk of the tenant, in a
        # handful of queries); the per-object cost is measured on the objects visited after that.
        root_t, root_q = peer["roots_done"]
        sampled = max(peer["visited"] - peer["roots"], 1)
        rate_t = (peer["seconds"] - root_t) / sampled
        rate_q = (peer["queries"] - root_q) / sampled
        rest = len(result.nodes) - peer["roots"]
        est_t, est_q = root_t + rate_t * rest, root_q + rate_q * rest
        print(f"  per-object:  roots expanded in {root_t:.0f} s ({root_q:,} queries), then {sampled:,} objects in "
              f"{peer['seconds'] - root_t:.0f} s ({peer['queries'] - root_q:,} queries) before the budget ran out;")
        print(f"               extrapolated to {len(result.nodes):,} objects: {est_t:8.0f} s  {est_q:>12,.0f} queries")
        print(f"  ratio (extrapolated): time {ratio(ours_time, est_t)}, queries {est_q / max(result.queries, 1):,.0f}x "
              "fewer")
    else:
        same = peer["nodes"] == set(result.nodes)
        print(f"  per-object:  {peer['seconds']:8.2f} s  {peer['queries']:>9,} queries  "
              f"{len(peer['nodes']):>9,} objects  (same objects as the walker: {'yes' if same else 'NO'})")
        print(f"  ratio:       time {ratio(ours_time, peer['seconds'])}, "
              f"queries {peer['queries'] / max(result.queries, 1):,.0f}x fewer")
        if not same:
            only_ours = set(result.nodes) - peer["nodes"]
            only_peer = peer["nodes"] - set(result.nodes)
            print(f"  differences: {len(only_ours)} only in the walker, {len(only_peer)} only in the peer "
                  f"(e.g. {sorted(only_ours, key=str)[:3]} / {sorted(only_peer, key=str)[:3]})")
    total_rows = sum(m._base_manager.using(alias).count() for m in registry.scoped)
    audit_time, report = timed(lambda: run_audit(registry, alias))
    print(f"isolation audit over the whole database ({total_rows:,} scoped rows, "
          f"{Event._base_manager.using(alias).count():,} tenants)")
    print(f"  set-based:   {audit_time:8.2f} s  {report.queries:>5} queries  {len(report.checks)} relations  "
          f"{report.total} cross-tenant reference(s)")
    if args.skip_audit_peer:
        return
    peer_time, peer_found = timed(lambda: _python_audit(registry, alias))
    print(f"  in Python:   {peer_time:8.2f} s  (streams every row; finds {peer_found})")
    print(f"  ratio:       time {ratio(audit_time, peer_time)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", type=int, default=500, help="Number of megacon talks to walk from (default 500).")
    parser.add_argument("--full", action="store_true", help="Walk the whole megacon tenant (~1M rows).")
    parser.add_argument("--peer-budget", type=float, default=60.0,
                        help="With --full: seconds the per-object peer may run after expanding the roots, before "
                             "its time is extrapolated (default 60).")
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows of the large tenant (default 1,000,000).")
    parser.add_argument("--tenants", type=int, default=100_000, help="Extra small tenants (default 100,000).")
    parser.add_argument("--repeat", type=int, default=1, help="Best of N walker runs (default 1).")
    parser.add_argument("--pg", action="store_true", help="Also run on PostgreSQL.")
    parser.add_argument("--skip-audit-peer", action="store_true", help="Do not run the in-Python audit peer.")
    args = parser.parse_args(argv)
    aliases = ("default", "postgres") if args.pg else ("default",)
    project = prepare(rows=args.rows, tenants=args.tenants, aliases=aliases)
    for alias in aliases:
        bench(alias, project, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
