"""``graph``: what an object needs and what belongs to it, walked in batched queries.

    tenant-console --settings S graph conference.Submission.12 [--depth N] [--exclude auth.User] [--json]

Runs in a read-only session. The walk reads through base managers, so no scope
is needed; with scope flags (``--event__slug=democon``) objects are classified
relative to that tenant, otherwise relative to the first root's tenant.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Any

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table
from tenant_console.core.graph.classify import Classification, tenant_labels
from tenant_console.core.graph.objects import parse_object_spec
from tenant_console.core.graph.result import GraphResult, key_text
from tenant_console.core.graph.rules import WalkRules
from tenant_console.core.graph.walker import WalkProgress, walk

NAME = "graph"
HELP = "Show the closure of objects: what they need and what belongs to them."
DESCRIPTION = (
    "Walk everything that objects (app_label.Model.pk) need and everything that belongs to them, level by "
    "level with one query per model and relation, and print counts per model, references into other "
    "tenants, shared objects and the number of queries. Read-only."
)
ORDER = 40
SHOW_PKS = 12


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("objects", nargs="+", metavar="app_label.Model.pk",
                        help="Root object(s), e.g. conference.Submission.12.")
    parser.add_argument("--depth", type=int, default=None, help="Follow relations at most N levels deep.")
    parser.add_argument("--exclude", action="extend", nargs="+", default=[], metavar="app.Model",
                        help="Models to leave out (and not walk through).")
    parser.add_argument("--stop-at", action="extend", nargs="+", default=[], metavar="app.Model.relation",
                        help="Relations not to follow, e.g. conference.Submission.reviews.")
    parser.add_argument("--reverse", choices=["owned", "all", "none"], default="owned",
                        help="Reverse relations to follow: owned (rows that belong to the object; default), "
                             "all, or none.")
    parser.add_argument("--from-tenant", action="store_true",
                        help="Also follow reverse relations out of the tenant model (e.g. an event's talks).")
    parser.add_argument("--from-shared", action="store_true",
                        help="Also follow reverse relations out of shared (unscoped) models such as users.")
    parser.add_argument("--enter-other-tenants", action="store_true",
                        help="Walk on into objects of other tenants (by default they are listed, not walked).")
    parser.add_argument("--max-nodes", type=int, default=None, help="Stop after this many objects.")
    parser.add_argument("--edges", action="store_true", help="Also list every node and edge (with --json).")
    parser.add_argument("--json", action="store_true", help="Print JSON.")


def run(ctx: CliContext) -> int:
    args = ctx.args
    roots = [parse_object_spec(spec) for spec in args.objects]
    rules = WalkRules.parse(depth=args.depth, exclude=args.exclude, stop_at=args.stop_at, reverse=args.reverse,
                            from_tenant=args.from_tenant, from_shared=args.from_shared,
                            enter_other_tenants=args.enter_other_tenants, max_nodes=args.max_nodes)
    registry = ctx.project.registry
    progress = _Progress() if (not ctx.json and sys.stderr.isatty()) else None
    with ctx.open_session("graph", readonly=True) as session:
        tenant: dict[str, Any] | None = None
        if ctx.scope_flags:
            tenant = session.activate(ctx.resolve_scope(session)).pks()
        act = ctx.project.audit.act("graph", scope={d: str(v) for d, v in (tenant or {}).items()},
                                    roots=list(args.objects), database=session.alias)
        try:
            with act:
                result = session.run(walk, registry, roots, rules, session.alias, tenant=tenant, progress=progress,
                                     scoped=False)
                act.scope = {d: str(v) for d, v in result.reference.items()}
                act.note(roots=[key_text(k) for k in result.roots], nodes=len(result.nodes),
                         cross_tenant=len(result.cross_tenant))
        finally:
            if progress:
                progress.clear()
        wanted: dict[str, set[Any]] = defaultdict(set)
        for dim, pk in result.reference.items():
            wanted[dim].add(pk)
        for c in result.cross_tenant:
            for tenant_pks in (c.source_tenant, c.target_tenant):
                for dim in c.dimensions:
                    wanted[dim].add(tenant_pks.get(dim))
        labels = session.run(tenant_labels, registry, wanted, session.alias, scoped=False)
    if ctx.json:
        data = result.as_dict(with_nodes=args.edges, with_edges=args.edges)
        data["rules"] = rules.as_dict()
        data["database"] = ctx.project.database_label()
        data["tenant_labels"] = labels
        print_json(data)
        return 0
    _print(result, rules, labels, ctx)
    return 0


def _tenant_text(dims: dict[str, Any], labels: dict[str, dict[str, str]]) -> str:
    parts = []
    for dim, pk in sorted(dims.items()):
        label = labels.get(dim, {}).get(str(pk))
        parts.append(f"{dim} {pk}" + (f" ({label})" if label else ""))
    return ", ".join(parts) or "no tenant"


def _print(result: GraphResult, rules: WalkRules, labels: dict[str, dict[str, str]], ctx: CliContext) -> None:
    roots = ", ".join(key_text(k) for k in result.roots)
    reference = _tenant_text(result.reference, labels) if result.reference else "no tenant (shared root)"
    print(f"Closure of {roots} on {ctx.project.database_label()}, relative to {reference}")
    print()
    by_class = result.counts_by_classification()
    rows = []
    for model, n in sorted(result.counts().items()):
        counts = by_class.get(model, {})
        rows.append([model, n, counts.get("tenant", 0) + counts.get("scoped", 0) + counts.get("unassigned", 0) or "",
                     counts.get("shared", "") or "", counts.get("other-tenant", "") or ""])
    rows.append(["total", len(result.nodes), "", "", ""])
    own = "in tenant" if result.reference else "scoped"
    print_table(["model", "objects", own, "shared", "other tenant"], rows, right=(1, 2, 3, 4))
    print()
    if result.cross_tenant:
        print(f"References between tenants ({len(result.cross_tenant)}):")
        for c in result.cross_tenant:
            src = {d: c.source_tenant[d] for d in c.dimensions}
            dst = {d: c.target_tenant[d] for d in c.dimensions}
            print(f"  {key_text(c.edge.source)} --{c.edge.relation}--> {key_text(c.edge.target)}   "
                  f"{_tenant_text(src, labels)} -> {_tenant_text(dst, labels)}")
        if not rules.enter_other_tenants:
            print("  (objects of other tenants are listed but not walked into; --enter-other-tenants walks on)")
    else:
        print("References between tenants: none")
    shared = result.of(Classification.SHARED)
    if shared:
        print(f"Shared objects ({len(shared)}):")
        grouped: dict[str, list[Any]] = defaultdict(list)
        for node in shared:
            grouped[node.model].append(node.pk)
        for model, pks in sorted(grouped.items()):
            pks.sort(key=lambda v: (str(type(v)), v))
            more = f" … {len(pks) - SHOW_PKS} more" if len(pks) > SHOW_PKS else ""
            print(f"  {model}: {', '.join(str(p) for p in pks[:SHOW_PKS])}{more}")
    if result.missing:
        print(f"Missing targets ({len(result.missing)}):")
        for m in result.missing[:50]:
            print(f"  {key_text(m.source)} --{m.relation}--> {m.target_model}:{m.value} does not exist")
    notes = []
    if result.unexpanded:
        notes.append(f"{result.unexpanded} objects at the depth limit were not expanded")
    if result.truncated:
        notes.append("stopped at --max-nodes")
    print()
    print(f"{len(result.nodes)} objects, {len(result.edges)} edges, {result.levels} levels, "
          f"{result.queries} queries, {result.seconds:.2f} s" + (f"; {'; '.join(notes)}" if notes else ""))


class _Progress:
    """A one-line progress indicator on stderr (only on a terminal)."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self, p: WalkProgress) -> None:
        if p.queries - self.last < 5:
            return
        self.last = p.queries
        sys.stderr.write(f"\r  level {p.level}: {p.nodes:,} objects, {p.queries} queries ({p.model} {p.relation})"
                         .ljust(100)[:100])
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r" + " " * 100 + "\r")
        sys.stderr.flush()
