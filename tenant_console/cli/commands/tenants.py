"""``tenants``: list or search the tenants of every scope dimension (searched in the database)."""

from __future__ import annotations

import argparse
from typing import Any

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table
from tenant_console.core.errors import ConsoleError, did_you_mean
from tenant_console.core.tenants import find_tenants, owners_by_slug

NAME = "tenants"
TAKES_SCOPE = False
HELP = "List or search tenants per scope dimension."
ORDER = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--search", default="",
        help="Text searched in the tenant's search fields (a prefix of the indexed key field first, then inside any "
        "of them: a trigram index where PostgreSQL has one), or a pk. The output says which answered.",
    )
    parser.add_argument("--limit", type=int, default=20, help="At most this many tenants per dimension (default 20).")
    parser.add_argument("--dimension", help="Only this dimension.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")


def run(ctx: CliContext) -> int:
    args = ctx.args
    if args.limit < 1:
        raise ConsoleError(f"--limit must be at least 1, not {args.limit}.")
    dims = ctx.project.registry.dimensions
    if args.dimension and args.dimension not in dims:
        raise ConsoleError(
            f"There is no scope dimension {args.dimension!r}.{did_you_mean(args.dimension, list(dims))} "
            f"Known dimensions: {', '.join(sorted(dims)) or 'none'}."
        )
    chosen = [dims[args.dimension]] if args.dimension else list(dims.values())
    with ctx.open_session("tenants") as session:
        results = {
            dim.name: session.run(find_tenants, dim, args.search, args.limit, session.alias, scoped=False)
            for dim in chosen
        }
        # Nothing found: maybe the text names a row inside a tenant (pretix: an event's slug).
        elsewhere = {name: _owners(ctx, session, dims[name], args.search)
                     for name, found in results.items() if args.search.strip() and not found.hits}
    if ctx.json:
        print_json(
            {
                "database": ctx.project.alias,
                "dimensions": {
                    name: {
                        "model": dims[name].model_label,
                        "search_fields": list(dims[name].search_fields),
                        "tenants": [h.as_dict() for h in found.hits],
                        **found.as_dict(),
                        **({"owners_of": [{"model": o.model, "key": o.key, "tenant": o.tenant.as_dict()}
                                          for o in elsewhere[name]]} if elsewhere.get(name) else {}),
                    }
                    for name, found in results.items()
                },
            }
        )
        return 0
    if not dims:
        print("No scope dimensions were found in this project.")
        return 0
    for name, found in results.items():
        dim, hits = dims[name], found.hits
        print(f"{name} ({dim.model_label}; searched in {', '.join(dim.search_fields) or 'pk only'})")
        if args.search.strip():
            print(f"  found by {found.describe()}")
        if hits:
            print_table(
                ["pk", "label", *dim.search_fields],
                [[h.pk, h.label, *[h.fields.get(f, "") for f in dim.search_fields]] for h in hits],
            )
        else:
            print(f"  no tenant matches {args.search!r}" if args.search else "  no tenants")
            for owner in elsewhere.get(name, []):
                print(f"  but {owner.describe()}: --{name}={owner.tenant.pk} chooses it")
        print()
    return 0


def _owners(ctx: CliContext, session: Any, dim: Any, text: str) -> list[Any]:
    """The hint of :func:`owners_by_slug`; a model it cannot read leaves the hint out, never the answer."""
    from django.db import DatabaseError

    try:
        return list(session.run(owners_by_slug, ctx.project.registry, dim, text, session.alias, scoped=False))
    except DatabaseError:
        return []
