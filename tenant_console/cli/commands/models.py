"""``models``: every model with its app, row count and scope dimensions and paths."""

from __future__ import annotations

import argparse
from typing import Any

from django.apps import apps

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table
from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.errors import ConsoleError, did_you_mean

NAME = "models"
HELP = "List models with their row counts and scope dimensions."
ORDER = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app", action="append", help="Only models of this app label (may be repeated).")
    parser.add_argument("--no-counts", action="store_true", help="Do not count rows.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")


def describe_models(registry: ScopeRegistry, app_labels: list[str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for model in apps.get_models():
        if app_labels and model._meta.app_label not in app_labels:
            continue
        scope = registry.scope_of(model)
        tenant_of = registry.tenant_dimensions_of(model)
        rows.append(
            {
                "model": model_label(model),
                "app": model._meta.app_label,
                "scoped": scope is not None,
                "dimensions": dict(scope.paths) if scope else {},
                "backend": scope.backend.name if scope else None,
                "tenant_model_of": tenant_of,
            }
        )
    return sorted(rows, key=lambda r: r["model"])


def count_rows(rows: list[dict[str, Any]], tenant_pks: dict[str, Any], registry: ScopeRegistry) -> None:
    """Count each model's rows (in the given tenants, if any), on the session thread.

    Tables that do not exist yet (unapplied migrations) get ``None``, not an error.
    """
    from django.db import connections, router

    for row in rows:
        model = apps.get_model(row["model"])
        alias = router.db_for_read(model)
        if model._meta.db_table not in _tables(connections[alias]):
            row["count"] = None
            continue
        qs = model._base_manager.all()
        q = registry.tenant_q(model, tenant_pks) if tenant_pks else None
        if q is not None:
            qs = qs.filter(q)
        row["count"] = qs.count()


def _count_cell(row: dict[str, Any], no_counts: bool) -> str:
    if no_counts:
        return ""
    return "no table" if row["count"] is None else f"{row['count']:,}"


def _tables(connection: Any) -> set[str]:
    if not hasattr(connection, "_tc_tables"):
        connection._tc_tables = set(connection.introspection.table_names())
    return connection._tc_tables


def run(ctx: CliContext) -> int:
    args = ctx.args
    known = {c.label for c in apps.get_app_configs()}
    for label in args.app or []:
        if label not in known:
            raise ConsoleError(f"There is no installed app {label!r}.{did_you_mean(label, known)}")
    registry = ctx.project.registry
    rows = describe_models(registry, args.app)
    scope_desc = "all tenants"
    with ctx.open_session("models") as session:
        selection = ctx.resolve_scope(session) if ctx.scope_flags else {}
        if selection:
            scope_desc = session.activate(selection).describe()
            selection = session.scope.pks()
        if not args.no_counts:
            session.run(count_rows, rows, selection, registry, scoped=False)
    if ctx.json:
        print_json({"database": ctx.project.alias, "scope": scope_desc, "models": rows})
        return 0
    table = []
    for r in rows:
        parts = [f"{d} via {p}" for d, p in r["dimensions"].items()]
        if r["tenant_model_of"]:
            parts.append("tenant of " + ", ".join(r["tenant_model_of"]))
        scoping = "; ".join(parts) or "shared"
        table.append([r["app"], r["model"].split(".", 1)[1], _count_cell(r, args.no_counts), scoping])
    print_table(["app", "model", "rows" if not ctx.scope_flags else "rows in scope", "scope"], table, right=[2])
    if not args.no_counts:
        print(f"\nCounts: {scope_desc}, database {ctx.project.database_label()}.")
    return 0
