"""``models``: every model with its app, row count, and how its rows belong to tenants.

Each model's verdict (tenant, scoped, owned, ambiguous, shared), where it comes
from (scoped manager, inferred, configured) and its paths; see docs/tenancy.md.
Counts are every row of the tenant (base manager plus the explicit filter);
where the default manager shows fewer, that count is shown beside it. A model
no tenant owns (shared, ambiguous) is counted over the whole database, and says
so: ``(shared) 108``, and ``"count_of": "database"`` in --json.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.apps import apps

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table
from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.errors import ConsoleError, did_you_mean
from tenant_console.core.tenancy.ownership import Kind
from tenant_console.core.tenancy.rows import tenant_rows

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
        verdict = registry.verdict(model)
        rows.append(
            {
                "model": model_label(model),
                "app": model._meta.app_label,
                "scoped": scope is not None,
                "kind": verdict.kind.value,
                "source": verdict.source.value,
                "path": scope.via if scope is not None and scope.owned else None,
                "reason": verdict.reason or None,
                "dimensions": dict(scope.paths) if scope else {},
                "backend": scope.backend.name if scope and scope.backend else None,
                "manager": scope.manager if scope and not scope.owned else None,
                "default_manager": model._meta.default_manager.name if model._meta.default_manager else None,
                "tenant_model_of": tenant_of,
            }
        )
    return sorted(rows, key=lambda r: r["model"])


def count_rows(rows: list[dict[str, Any]], tenant_pks: dict[str, Any], registry: ScopeRegistry) -> None:
    """Count each model's rows (in the given tenants, if any), on the session thread.

    Every row of the tenant is counted (base manager plus the explicit filter).
    Tables that do not exist yet (unapplied migrations) get ``None``, not an error.
    ``count_of`` says what was counted: ``tenant`` (the given tenants' rows) or ``database`` (every row:
    no tenant given, or a model the given tenants do not filter, such as a shared one).
    """
    from django.db import connections, router

    for row in rows:
        model = apps.get_model(row["model"])
        alias = router.db_for_read(model)
        q = registry.tenant_q(model, tenant_pks) if tenant_pks else None
        row["count_of"] = "tenant" if q else "database"
        if model._meta.db_table not in _tables(connections[alias]):
            row["count"] = None
            continue
        row["count"] = tenant_rows(registry, model, tenant_pks).count()


def count_through_default_managers(rows: list[dict[str, Any]], tenant_pks: dict[str, Any],
                                   registry: ScopeRegistry) -> None:
    """``default_count`` of every counted row (:func:`core.browse.counts.count_through_default_manager`)."""
    from tenant_console.core.browse.counts import count_through_default_manager

    for row in rows:
        row["default_count"] = None
        if row.get("count") is not None:
            row["default_count"] = count_through_default_manager(registry, apps.get_model(row["model"]), tenant_pks)


def _count_cell(row: dict[str, Any], no_counts: bool, scoped: bool) -> str:
    if no_counts:
        return ""
    if row["count"] is None:
        return "no table"
    return f"{_whole(row)}{row['count']:,}" if scoped else f"{row['count']:,}"


def _whole(row: dict[str, Any]) -> str:
    """``(shared) `` / ``(all tenants) `` before a count over the whole database in a scope, else ``""``."""
    if row.get("count_of") != "database":
        return ""
    return "(shared) " if row["kind"] in (Kind.SHARED.value, Kind.AMBIGUOUS.value) else "(all tenants) "


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
    with ctx.open_session("models", full_notices=True) as session:
        selection = ctx.resolve_scope(session) if ctx.scope_flags else {}
        if selection:
            scope_desc = session.activate(selection).describe()
            selection = session.scope.pks()
        if not args.no_counts:
            session.run(count_rows, rows, selection, registry, scoped=False)
            session.run(count_through_default_managers, rows, selection, registry)
    if ctx.json:
        print_json({"database": ctx.project.alias, "scope": scope_desc, "models": rows})
        return 0
    table = []
    for r in rows:
        table.append([r["app"], r["model"].split(".", 1)[1], _count_cell(r, args.no_counts, bool(selection)),
                      _scope_cell(r)])
    print_table(["app", "model", "rows" if not ctx.scope_flags else "rows in scope", "scope"], table, right=[2])
    hidden = [r for r in rows if r.get("default_count") is not None and r["default_count"] != r["count"]]
    if not args.no_counts:
        print(f"\nCounts: {scope_desc}, database {ctx.project.database_label()}; every row of the tenant, "
              "also those a default manager hides.")
        marks = {_whole(r) for r in rows if r.get("count") is not None} if selection else set()
        if "(shared) " in marks:
            print("  (shared) N: a model no tenant owns (shared, or ambiguous and treated as shared) is not in the "
                  "tenant; N is every row of the database.")
        if "(all tenants) " in marks:
            print("  (all tenants) N: a model the given tenants do not filter (scoped by another dimension); N is "
                  "every row of the database.")
        for r in hidden:
            print(f"  {r['model']}: {r['count']:,} rows, {r['default_count']:,} through {r['default_manager']}")
    ambiguous = [r["model"] for r in rows if r["kind"] == Kind.AMBIGUOUS.value]
    if ambiguous:
        print(f"Ambiguous (treated as shared; declare in TENANT_CONSOLE['OWNED'] or ['SHARED']): "
              f"{', '.join(ambiguous)}.")
    return 0


def _scope_cell(r: dict[str, Any]) -> str:
    """``organizer via event__organizer`` / ``owned via order__event__organizer`` / ``ambiguous: ...``."""
    parts: list[str] = []
    if r["kind"] == Kind.OWNED.value:
        configured = " (configured)" if r["source"] == "configured" else ""
        parts.append(f"owned via {r['path']}{configured}")
    elif r["kind"] == Kind.AMBIGUOUS.value:
        parts.append(f"ambiguous: {r['reason']}")
    else:
        parts.extend(f"{d} via {p}" for d, p in r["dimensions"].items())
        if r["kind"] == Kind.SCOPED.value and r["manager"] and r["manager"] != r["default_manager"]:
            parts.append(f"by manager {r['manager']}")
    if r["tenant_model_of"]:
        parts.append("tenant of " + ", ".join(r["tenant_model_of"]))
    if not parts:
        parts.append("shared (configured)" if r["source"] == "configured" else "shared")
    if r.get("default_count") is not None and r["default_count"] != r.get("count"):
        parts.append(f"{r['default_count']:,} through {r['default_manager']}")
    return "; ".join(parts)
