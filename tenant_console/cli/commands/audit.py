"""``audit``: find every reference between rows of different tenants (exit 1 if any).

    tenant-console --settings S audit [--dimension event] [--json]

Each relation between scoped models is checked with one set-based query
(see :mod:`tenant_console.core.graph.isolation_audit`), in a read-only
session, so it can run from cron or CI against production or a replica.
"""

from __future__ import annotations

import argparse
import sys

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table
from tenant_console.core.errors import ConsoleError
from tenant_console.core.graph.isolation_audit import DEFAULT_LIMIT, AuditReport, run_audit

NAME = "audit"
TAKES_SCOPE = False
HELP = "Find references between rows of different tenants (exit code 1 if any)."
DESCRIPTION = (
    "Scan the whole database for references (FK, one-to-one, many-to-many, generic FK) between scoped rows "
    "of different tenants, with one set-based query per relation and dimension. Exit code 0 when clean, 1 "
    "when any is found. Read-only."
)
ORDER = 45


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dimension", help="Only check this scope dimension.")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                        help=f"List at most this many offending rows per relation (default {DEFAULT_LIMIT}); "
                             "the rest are counted.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")


def run(ctx: CliContext) -> int:
    args = ctx.args
    if args.limit < 1:
        raise ConsoleError(f"--limit must be at least 1, not {args.limit}.")
    registry = ctx.project.registry
    if not registry.dimensions:
        raise ConsoleError("This project has no scope dimensions, so there are no tenants to keep apart.")
    tty = not ctx.json and sys.stderr.isatty()

    def progress(done: int, total: int, label: str) -> None:
        if tty:
            sys.stderr.write(f"\r  checking {done + 1}/{total}: {label}"[:100].ljust(100))
            sys.stderr.flush()

    with ctx.open_session("audit", readonly=True) as session:
        try:
            with ctx.project.audit.act("isolation_audit", dimension=args.dimension, database=session.alias) as act:
                report = session.run(run_audit, registry, session.alias, dimension=args.dimension, limit=args.limit,
                                     progress=progress, scoped=False)
                act.note(clean=report.clean, findings=report.total)
        finally:
            if tty:
                sys.stderr.write("\r" + " " * 100 + "\r")
    if ctx.json:
        data = report.as_dict()
        data["database"] = ctx.project.database_label()
        print_json(data)
    else:
        _print(report, ctx)
    return 0 if report.clean else 1


def _tenant(report: AuditReport, dim: str, pk: object) -> str:
    label = report.tenant_labels.get(dim, {}).get(str(pk))
    return f"{pk} ({label})" if label else str(pk)


def _print(report: AuditReport, ctx: CliContext) -> None:
    where = ctx.project.database_label()
    if report.clean:
        print(f"No references between tenants on {where}: {len(report.checks)} relations checked, "
              f"{report.queries} queries, {report.seconds:.2f} s.")
    else:
        print(f"References between tenants on {where}: {report.total}")
        print()
        print_table(
            ["dimension", "relation", "from", "from tenant", "to", "to tenant"],
            [[f.dimension, f.relation, f"{f.source_model}.{f.source_pk}", _tenant(report, f.dimension, f.source_tenant),
              f"{f.target_model}.{f.target_pk}", _tenant(report, f.dimension, f.target_tenant)]
             for f in report.findings])
        for label, total in sorted(report.truncated.items()):
            print(f"  {label}: {total} in all; the first {ctx.args.limit} are listed (--limit)")
        print()
        print(f"{len(report.checks)} relations checked, {report.queries} queries, {report.seconds:.2f} s.")
    for note in report.skipped:
        print(f"  not checked: {note}")
