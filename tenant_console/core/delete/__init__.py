"""Deleting a tenant's rows the safe way: preview the whole cascade, refuse what reaches another tenant,
back up every touched row, then delete atomically (``docs/delete.md``).

:mod:`.preview` computes what Django's collector will do and places every row
against the tenant; :mod:`.apply` re-checks, backs up and deletes in one
transaction. :func:`find_roots` turns what the user named (objects, or a model
and a filter) into checked roots. The CLI, the console and the REPL's
``delete_preview()`` all go through these functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.db.models import Model

from tenant_console.core.delete.apply import (
    TYPED_CONFIRMATION_ABOVE,
    CascadeChanged,
    DeleteReport,
    apply_delete,
    backup_nodes,
    confirmation_phrase,
    refusals,
)
from tenant_console.core.delete.preview import (
    Blocker,
    CrossTenantRow,
    DeletePreview,
    DeleteRefused,
    ModelRows,
    preview_delete,
    roots_in_tenant,
    roots_of_queryset,
    whole_tenant_roots,
)
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError

__all__ = [
    "TYPED_CONFIRMATION_ABOVE", "Blocker", "CascadeChanged", "CrossTenantRow", "DeletePreview", "DeleteRefused",
    "DeleteReport", "ModelRows", "apply_delete", "backup_nodes", "backup_path", "confirmation_phrase", "find_roots",
    "plan_delete", "preview_delete", "refusals", "roots_in_tenant", "roots_of_queryset", "tenant_slug",
    "whole_tenant_roots",
]


def find_roots(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], targets: Iterable[str],
               filter_text: str | None = None) -> dict[type[Model], list[Any]]:
    """Objects (``app.Model.pk``) or, with ``filter_text``, one model's rows matching the filter; checked.

    Call on the session thread. Every root must be a row of the chosen tenant.
    """
    from tenant_console.core.graph.objects import parse_object_spec, resolve_model
    from tenant_console.core.tenancy.rows import tenant_rows

    targets = list(targets)
    if filter_text is not None:
        if len(targets) != 1 or targets[0].count(".") != 1:
            from tenant_console.core import examples

            raise ConsoleError("--filter takes one model (app_label.Model) to filter, for example "
                               f"`delete {examples.model_label()} --filter FIELD=VALUE`.", exit_code=2)
        from tenant_console.core.browse.filters import apply

        model = resolve_model(targets[0])
        qs = apply(tenant_rows(registry, model, tenant_pks, alias), filter_text)
        roots = roots_of_queryset(registry, alias, tenant_pks, qs)
        if not roots:
            raise ConsoleError(f"No {model._meta.label} of the tenant matches {filter_text!r}; nothing to delete.",
                               exit_code=1)
        return roots
    if not targets:
        raise ConsoleError("Name what to delete: objects (app_label.Model.pk ...) or a model with --filter.",
                           exit_code=2)
    wanted: dict[type[Model], list[Any]] = {}
    for spec in targets:
        model, pk = parse_object_spec(spec)
        wanted.setdefault(model, []).append(pk)
    return roots_in_tenant(registry, alias, tenant_pks, wanted)


def plan_delete(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], targets: Iterable[str],
                filter_text: str | None = None) -> tuple[dict[type[Model], list[Any]], DeletePreview, str | None]:
    """Roots, preview, and the tenant's slug when the tenant itself would go: what every delete starts from.

    Call on the session thread (in a read-only block).
    """
    roots = find_roots(registry, alias, tenant_pks, targets, filter_text)
    preview = preview_delete(registry, alias, tenant_pks, roots)
    return roots, preview, tenant_slug(registry, alias, preview, tenant_pks)


def tenant_slug(registry: ScopeRegistry, alias: str, preview: DeletePreview,
                tenant_pks: Mapping[str, Any]) -> str | None:
    """What the user types to confirm deleting the tenant itself: its slug (or pk); None if it stays."""
    if not preview.tenants_deleted:
        return None
    for dim, pk in tenant_pks.items():
        dimension = registry.dimensions[dim]
        if not any(t.startswith(f"{dim}=") for t in preview.tenants_deleted):
            continue
        obj = dimension.model._base_manager.db_manager(alias).filter(pk=pk).first()
        slug = getattr(obj, "slug", None) if obj is not None else None
        return str(slug or pk)
    return None


def backup_path(state_dir: Path, preview: DeletePreview) -> Path:
    """``STATE_DIR/deleted/<time>-<tenant>-<n>rows.jsonl.gz`` (the folder created 0700)."""
    from tenant_console.core.private import private_dir

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    tenant = "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", v)[:40] for v in preview.scope.values()) or "no-tenant"
    folder = private_dir(Path(state_dir).expanduser() / "deleted")
    return folder / f"{stamp}-{tenant}-{preview.total}rows.jsonl.gz"
