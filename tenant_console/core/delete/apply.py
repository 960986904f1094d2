"""Applying a delete: re-check, back up every touched row, delete, in one transaction.

The order inside the transaction is what makes the delete safe:

1. The cascade is collected again and compared with the preview the user
   confirmed (:meth:`DeletePreview.fingerprint`); if it grew or changed, nothing
   is deleted and the new preview is returned to be confirmed instead.
2. The refusals are checked again (another tenant's rows, blockers, a tenant
   object without its own confirmation).
3. Every row the delete will remove or change is written to a backup in the
   export format (with its manifest), read in the same transaction, so the
   backup is exactly the state the delete starts from. ``tenant-console import
   BACKUP`` restores it. If the backup cannot be written, nothing is deleted.
4. Django's collector deletes (signals, SET_NULL updates, fast deletes), and
   the counts are compared with the preview; any difference rolls back.

Call on a session thread with a writable connection (``readonly=False``).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Model

from tenant_console.core.delete.preview import DeletePreview, DeleteRefused, m2m_declaring, preview_delete
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.export.storage import Output
from tenant_console.core.graph.relations import concrete
from tenant_console.core.tenancy.rows import in_batch_size

#: Above this many rows, the confirmation is typed out (``delete 1,234 rows``).
TYPED_CONFIRMATION_ABOVE = 20


class CascadeChanged(DeleteRefused):
    """The cascade differs from the confirmed preview; nothing was deleted."""

    def __init__(self, preview: DeletePreview, was_total: int | None = None) -> None:
        before = f" (it was {was_total:,} rows when previewed)" if was_total is not None else ""
        super().__init__(
            f"The rows to delete changed since the preview{before}: now {preview.total:,} rows would be deleted and "
            f"{preview.total_updated:,} changed. Nothing was deleted; review the new preview and confirm again.",
            preview)


@dataclass
class DeleteReport:
    preview: DeletePreview
    deleted: dict[str, int] = field(default_factory=dict)
    backup: str | None = None
    backup_sha256: str | None = None
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def as_dict(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "total": self.total, "updated": self.preview.total_updated,
                "backup": self.backup, "backup_sha256": self.backup_sha256, "dry_run": self.dry_run,
                "database": self.preview.alias}


def confirmation_phrase(preview: DeletePreview) -> str | None:
    """The words to type above the threshold (``delete 1,234 rows``), or None where yes/no is enough."""
    if preview.total > TYPED_CONFIRMATION_ABOVE:
        return f"delete {preview.total:,} rows"
    return None


def refusals(preview: DeletePreview, *, allow_cross_tenant: bool, tenant_confirmation: str | None,
             tenant_slug: str | None) -> list[str]:
    """Why the delete must not run as asked (empty: it may). One paragraph per reason."""
    reasons = []
    if preview.blockers:
        parts = "; ".join(f"{len(b.pks):,} {b.label} ({b.how.upper()} via {b.relation or '?'}: "
                          f"{', '.join(map(str, b.pks[:5]))}{' ...' if len(b.pks) > 5 else ''})"
                          for b in preview.blockers)
        reasons.append(f"Rows that protect what you delete stand in the way: {parts}. Delete or change them first.")
    if preview.cross_tenant and not allow_cross_tenant:
        shown = "; ".join(str(c) for c in preview.cross_tenant[:5])
        more = f"; and {len(preview.cross_tenant) - 5:,} more" if len(preview.cross_tenant) > 5 else ""
        reasons.append(
            f"The delete would reach {len(preview.cross_tenant):,} row(s) of another tenant ({shown}{more}). "
            "Nothing was deleted. If that is really meant, pass --allow-cross-tenant (audited).")
    if preview.tenants_deleted and (tenant_slug is None or tenant_confirmation != tenant_slug):
        want = f" (--confirm-tenant {tenant_slug})" if tenant_slug else ""
        reasons.append(
            f"The delete removes the tenant itself ({', '.join(preview.tenants_deleted)}) with all its data; that "
            f"needs its own confirmation: type the tenant's slug{want}.")
    return reasons


def backup_nodes(preview: DeletePreview) -> dict[type[Model], list[Any]]:
    """The rows to back up: every deleted and changed row; for removed many-to-many links, their owners.

    An auto-created through table is not a model of its own in an export: the
    links are stored on the object that declares the ``ManyToManyField``. So
    for each deleted link, that object is backed up (restoring it restores the link).
    """
    from django.apps import apps

    by_label = {m._meta.label_lower: m for m in apps.get_models(include_auto_created=True)}
    nodes: dict[type[Model], set[Any]] = defaultdict(set)
    for entry in (*preview.deletes, *preview.updates):
        model = by_label.get(entry.label)
        if model is None:
            continue
        if not model._meta.auto_created:
            nodes[concrete(model)].update(entry.pks)
            continue
        for owner, m2m in m2m_declaring(model):
            column = m2m.m2m_field_name()
            step = in_batch_size(preview.alias)
            for i in range(0, len(entry.pks), step):
                nodes[concrete(owner)].update(
                    model._base_manager.db_manager(preview.alias).filter(pk__in=entry.pks[i : i + step])
                    .values_list(f"{column}_id", flat=True))
    return {m: sorted(pks, key=str) for m, pks in nodes.items() if pks}


def write_backup(project: Any, preview: DeletePreview, tenant_pks: Mapping[str, Any], output: Output) -> str:
    """Write the rows the delete touches (as they are now) to ``output``; returns its SHA-256."""
    from tenant_console.core.export.manifest import build_manifest, write_manifest
    from tenant_console.core.export.plan import Planner, batch_size
    from tenant_console.core.export.runner import describe_scope
    from tenant_console.core.export.writer import write_data

    registry: ScopeRegistry = project.registry
    # omit: a backed-up row's references into other tenants are recorded as dangling, not copied
    planner = Planner(registry, preview.alias, tenant_pks, policy="omit")
    planner.object_plan(backup_nodes(preview))
    plan = planner.finish(kind="objects", scope=describe_scope(project, preview.alias, dict(tenant_pks)),
                          roots=preview.roots, rules={"purpose": "delete backup", "cross_tenant": "omit"})
    output.check(False)
    try:
        result = write_data(plan, output.data_tmp, compressed=output.compressed,
                            chunk=min(2000, batch_size(preview.alias)), cancel=threading.Event())
        manifest = build_manifest(plan, result, data_name=output.name, settings_module=project.settings_module,
                                  compressed=output.compressed)
        manifest["purpose"] = "delete backup"
        write_manifest(manifest, output.manifest_tmp)
        output.commit()
    except BaseException:
        output.discard()
        raise
    return str(result.sha256)


def apply_delete(project: Any, alias: str, tenant_pks: Mapping[str, Any], roots: Mapping[type[Model], list[Any]],
                 *, expected: str, backup: Output | None, allow_cross_tenant: bool = False,
                 tenant_confirmation: str | None = None, tenant_slug: str | None = None,
                 dry_run: bool = False, cancel: threading.Event | None = None,
                 whole_tenant: bool = False, before_delete: Callable[[], None] | None = None) -> DeleteReport:
    """Re-check, back up and delete in one transaction (see the module doc). Raises on any refusal.

    ``whole_tenant``: ``roots`` are every row of the tenant (see :func:`preview_delete`); the
    re-check then also collects every row again, so a row added since the preview changes the
    fingerprint. ``before_delete`` runs inside the transaction after the re-check and the backup,
    just before Django deletes (a move checks there that the source still holds what it copied);
    it raises to stop the delete, rolled back.
    """
    registry: ScopeRegistry = project.registry
    with transaction.atomic(using=alias):
        if whole_tenant:
            from tenant_console.core.delete.preview import whole_tenant_roots

            roots = whole_tenant_roots(registry, alias, tenant_pks)
        preview = preview_delete(registry, alias, tenant_pks, roots, whole_tenant=whole_tenant)
        if preview.fingerprint() != expected:
            raise CascadeChanged(preview)
        reasons = refusals(preview, allow_cross_tenant=allow_cross_tenant,
                           tenant_confirmation=tenant_confirmation, tenant_slug=tenant_slug)
        if reasons:
            raise DeleteRefused(" ".join(reasons), preview)
        report = DeleteReport(preview=preview, dry_run=dry_run)
        if not dry_run:
            if backup is None:
                raise ConsoleError("A delete needs a backup to write before it deletes anything.")
            report.backup_sha256 = write_backup(project, preview, tenant_pks, backup)
            report.backup = backup.display
        if before_delete is not None:
            before_delete()
        if cancel is not None and cancel.is_set():
            raise Cancelled("The delete was interrupted before anything was deleted"
                            + (f"; the backup {report.backup} stays." if report.backup else "."))
        assert preview.collector is not None
        _, counts = preview.collector.delete()
        report.deleted = {label.lower(): n for label, n in sorted(counts.items())}
        expected_counts = preview.counts()
        if report.deleted != {k: v for k, v in expected_counts.items() if v}:
            raise ConsoleError(f"Internal error: Django deleted {report.deleted} where the preview counted "
                               f"{expected_counts}; everything was rolled back.")
        if dry_run:
            transaction.set_rollback(True, using=alias)
    return report
