"""``delete``: preview the whole cascade, refuse what reaches another tenant, back up, delete atomically."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table, warn
from tenant_console.core.errors import ConsoleError
from tenant_console.core.plural import counted

NAME = "delete"
HELP = "Delete objects of the tenant: cascade preview, cross-tenant refusal, a restorable backup, one transaction."
DESCRIPTION = """\
Deletes objects (app_label.Model.pk ...) or the rows of one model that match a filter
(app_label.Model --filter "state=withdrawn") inside the chosen tenant, the way Django deletes them
(on_delete: CASCADE, SET_NULL, PROTECT, RESTRICT; generic relations), after showing everything that
goes: rows to delete per model, rows that will be changed, and what blocks it.

Refused (exit 1, nothing deleted): a cascade or SET_NULL that reaches a row of another tenant (unless
--allow-cross-tenant, audited), rows protected by PROTECT/RESTRICT, and deleting the tenant object
itself without --confirm-tenant SLUG. Before anything is deleted, every row that is deleted or
changed is written to a backup in the export format (default: STATE_DIR/deleted/...; --backup PATH);
`tenant-console import BACKUP --apply` restores it. The re-check, backup and delete run in one
transaction: if the cascade changed since the preview, nothing is deleted.

Confirmation: on a terminal you are asked (above 20 rows you type "delete N rows"); otherwise pass
--yes, and above 20 rows --confirm "delete N rows" with the count the preview shows. --dry-run runs
the delete and rolls it back (no backup is written).
"""
ORDER = 62


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="+", metavar="OBJECT",
                        help="Objects as app_label.Model.pk, or one app_label.Model with --filter.")
    parser.add_argument("--filter", metavar="LOOKUPS",
                        help="Delete the tenant's rows of the model that match these Django lookups "
                             "(the console's filter line: 'state=withdrawn created__lt=2025-01-01').")
    parser.add_argument("--dry-run", action="store_true", help="Delete in a transaction that is rolled back.")
    parser.add_argument("--preview", action="store_true", help="Only show the preview; delete nothing.")
    parser.add_argument("--backup", metavar="PATH", help="Write the backup here (NAME.jsonl[.gz]).")
    parser.add_argument("--allow-cross-tenant", action="store_true",
                        help="Let the delete reach rows of another tenant (audited).")
    parser.add_argument("--confirm-tenant", metavar="SLUG",
                        help="Confirm deleting the tenant object itself by its slug.")
    parser.add_argument("--yes", action="store_true", help="Confirm without a prompt (up to 20 rows).")
    parser.add_argument("--confirm", metavar="TEXT", help='Confirm above 20 rows: "delete N rows".')
    parser.add_argument("--json", action="store_true", help="Print JSON.")


def print_preview(preview: Any) -> None:
    scope = ", ".join(f"{d}={label}" for d, label in preview.scope.items())
    print(f"Delete from {preview.alias} ({preview.vendor}); tenant: {scope}")
    rows = [(m.label, m.kind, "delete", m.count, m.other_count or "") for m in preview.deletes]
    rows += [(m.label, m.kind, "set " + ", ".join(f"{k}={v}" for k, v in m.fields.items()), m.count,
              m.other_count or "") for m in preview.updates]
    print_table(["model", "kind", "action", "rows", "other tenant"], rows, right=(3, 4))
    print(f"Total: {counted(preview.total, 'row')} would be deleted, {preview.total_updated:,} "
          f"changed ({preview.queries} queries).")
    for b in preview.blockers:
        print(f"BLOCKED by {len(b.pks):,} {b.label} ({b.how.upper()}: {b.relation}): "
              f"{', '.join(map(str, b.pks[:10]))}{' ...' if len(b.pks) > 10 else ''}")
    if preview.blockers:
        print("Nothing can be deleted until the blocking rows are deleted or changed; the rows listed above are "
              "the whole cascade that would then be deleted.")
    for c in preview.cross_tenant[:50]:
        print(f"OTHER TENANT: {c}")
    if len(preview.cross_tenant) > 50:
        print(f"  ... and {len(preview.cross_tenant) - 50:,} more (use --json for all)")
    for t in preview.tenants_deleted:
        print(f"TENANT: the tenant object {t} itself is deleted.")


def _confirmed(args: argparse.Namespace, preview: Any, database: str) -> bool:
    from tenant_console.core.delete import confirmation_phrase

    phrase = confirmation_phrase(preview)
    if args.yes or args.confirm:
        if phrase is None:
            return True
        if args.confirm == phrase:
            return True
        raise ConsoleError(f"The delete touches {preview.total:,} rows, so confirm with --confirm \"{phrase}\" "
                           f"(given: {args.confirm or '--yes'}); nothing was deleted.", exit_code=1)
    if not sys.stdin.isatty():
        want = f'--confirm "{phrase}"' if phrase else "--yes"
        raise ConsoleError(f"Nothing was deleted: confirm with {want} (no terminal to ask on), after reading the "
                           "preview (--preview shows it).", exit_code=1)
    tenant = ", ".join(preview.scope.values())
    if phrase:
        answer = input(f'Delete {preview.total:,} rows of {tenant} on {database}? Type "{phrase}" to confirm: ')
        return answer.strip() == phrase
    answer = input(f"Delete {preview.total:,} rows of {tenant} on {database}? [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


def run(ctx: CliContext) -> int:
    from tenant_console.core.delete import (
        DeleteRefused,
        apply_delete,
        backup_path,
        plan_delete,
        refusals,
    )
    from tenant_console.core.export.storage import LocalOutput, split_name

    args = ctx.args
    if not ctx.scope_flags:
        from tenant_console.core.examples import tenant_option

        raise ConsoleError(f"Choose the tenant whose rows you delete (for example "
                           f"{tenant_option(ctx.project.registry)}); every row of the cascade is checked against it.")
    if args.backup:
        split_name(args.backup)
    project = ctx.project
    registry = project.registry
    with ctx.open_session("delete") as session:
        selection = ctx.resolve_scope(session)
        session.activate(selection)
        alias = session.alias
        roots, preview, slug = session.run(plan_delete, registry, alias, selection, args.targets, args.filter)
        if ctx.json and (args.preview or (not args.dry_run and not (args.yes or args.confirm))):
            print_json({"preview": preview.as_dict()})
        elif not ctx.json:
            print_preview(preview)
        reasons = refusals(preview, allow_cross_tenant=args.allow_cross_tenant,
                           tenant_confirmation=args.confirm_tenant, tenant_slug=slug)
        scope = {d: str(pk) for d, pk in selection.items()}
        if reasons:
            project.audit.record("delete", outcome="refused", scope=scope, database=alias, roots=preview.roots,
                                 counts=preview.counts(), reasons=reasons, deleted=False)
            raise DeleteRefused(" ".join(reasons), preview)
        if args.preview:
            return 0
        if not args.dry_run and not _confirmed(args, preview, alias):
            print("Nothing was deleted.")
            return 1
        output = None
        if not args.dry_run:
            output = LocalOutput(args.backup or backup_path(project.config.state_dir, preview))
        act = project.audit.begin("delete", scope=scope, database=alias, roots=preview.roots,
                                  counts=preview.counts(), updated=preview.total_updated,
                                  cross_tenant=len(preview.cross_tenant), allowed_cross_tenant=args.allow_cross_tenant,
                                  tenant_deleted=preview.tenants_deleted, dry_run=args.dry_run,
                                  backup=output.display if output else None)
        cancel = threading.Event()
        try:
            report = ctx.run_to_end(
                session, apply_delete, project, alias, selection, roots, expected=preview.fingerprint(),
                backup=output, allow_cross_tenant=args.allow_cross_tenant, tenant_confirmation=args.confirm_tenant,
                tenant_slug=slug, dry_run=args.dry_run, cancel=cancel, on_interrupt=cancel.set,
                what="the delete", stopped="Nothing was deleted (rolled back).", readonly=False)
        except BaseException as exc:
            act.fail(exc, deleted=False)
            if isinstance(exc, DeleteRefused) and exc.preview is not None and not ctx.json:
                print("\nThe cascade now:")
                print_preview(exc.preview)
            raise
        act.end("ok", deleted=report.deleted, total=report.total, backup_sha256=report.backup_sha256)
    if ctx.json:
        print_json({"preview": preview.as_dict(), "report": report.as_dict()})
    elif args.dry_run:
        print(f"Dry run: {report.total:,} rows would be deleted; everything was rolled back, nothing was written.")
    else:
        print(f"Deleted {report.total:,} rows in one transaction. Backup: {report.backup}")
        print(f"Restore with: tenant-console import {report.backup} --apply")
    if preview.cross_tenant and args.allow_cross_tenant:
        warn(f"{len(preview.cross_tenant):,} rows of another tenant were "
             f"{'(in the dry run) ' if args.dry_run else ''}deleted or changed, as allowed; recorded in the audit "
             "trail.")
    return 0
