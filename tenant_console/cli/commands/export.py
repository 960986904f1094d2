"""``export``: a tenant, or objects with what they need, as a loaddata-compatible fixture and manifest."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tenant_console.cli.context import CliContext
from tenant_console.cli.output import print_json, print_table, warn
from tenant_console.core.errors import ConsoleError

if TYPE_CHECKING:
    from tenant_console.core.export.plan import ExportPlan
    from tenant_console.core.export.runner import ExportJob
    from tenant_console.core.export.storage import Output
    from tenant_console.core.export.writer import WriteProgress
    from tenant_console.core.session import Session

NAME = "export"
HELP = "Export a tenant or objects (read-only, streamed, loaddata-compatible, with a manifest)."
DESCRIPTION = """\
Export every row of a tenant (--event__slug=democon) or some objects with everything they need
(--objects conference.Submission.12 ...) as a Django jsonl fixture that `manage.py loaddata` accepts,
plus NAME.manifest.json (counts, schema fingerprints, SHA-256). The export runs in one read-only
transaction: nothing can be written, and all tables are read from one snapshot.

References into another tenant stop the export (exit code 1) unless --cross-tenant omit (leave
those rows out; the references are recorded as dangling) or --cross-tenant include (export them too).

Loading the file: with "tenant_console" in INSTALLED_APPS, `manage.py loaddata FILE` works (the app's
loaddata runs Django's with django-scopes disabled; Django's own stops with ScopeError on scoped
many-to-many values). Otherwise use `tenant-console import FILE`, or call_command("loaddata", FILE)
inside django_scopes.scopes_disabled(). A file with dangling references (--cross-tenant omit,
--exclude) keeps rows that point at rows it does not contain: loaddata fails on them (IntegrityError)
unless the target already has those rows; `tenant-console import FILE` classifies them instead.
`tenant-console verify FILE` checks a file and lists what it needs.
"""
ORDER = 60
#: The --cross-tenant choices (the same as ``core.export.plan.POLICIES``; Django is not set up at import).
POLICIES = ("refuse", "omit", "include")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--objects", nargs="+", metavar="APP.MODEL.PK", default=[],
                        help="Export these objects and their closure instead of a whole tenant.")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="Data file, NAME.jsonl or NAME.jsonl.gz (default: a name with the tenant and time, "
                             ".jsonl.gz, in the current directory).")
    parser.add_argument("--storage", metavar="ALIAS",
                        help="Write to this Django storage (STORAGES alias) instead of the local disk; -o is the "
                             "name in the storage.")
    parser.add_argument("--exclude", nargs="+", action="extend", metavar="APP.MODEL", default=[],
                        help="Leave these models out (references to them dangle: counted in the manifest; "
                             "loaddata fails on them unless the target has those rows).")
    parser.add_argument("--depth", type=int, metavar="N", help="Object exports: how many levels to walk.")
    parser.add_argument("--stop-at", nargs="+", action="extend", metavar="APP.MODEL.RELATION", default=[],
                        help="Object exports: relations not to follow.")
    parser.add_argument("--cross-tenant", choices=POLICIES, default="refuse",
                        help="What to do with references into another tenant (default: refuse, stop and list "
                             "them). omit: leave the other tenant's rows out; the rows pointing at them stay, so "
                             "loaddata fails unless the target has those rows (use `tenant-console import`). "
                             "include: export those rows too.")
    parser.add_argument("--with-files", metavar="DIR",
                        help="Also copy the files FileFields name into DIR (their SHA-256 go into the manifest).")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="PostgreSQL: write the models on N connections that share one snapshot (like pg_dump "
                             "-j); the file is the same as with one. Refused on SQLite and MariaDB/MySQL, which "
                             "cannot share a snapshot between connections.")
    parser.add_argument("--overwrite", action="store_true", help="Replace an existing export of the same name.")
    parser.add_argument("--dry-run", action="store_true",
                        help="Print what would be exported (counts, cross-tenant references) and write nothing.")
    parser.add_argument("--json", action="store_true", help="Print JSON; no progress bar.")


def make_output(args: argparse.Namespace, selection: dict[str, Any]) -> Output:
    from tenant_console.core.export.storage import LocalOutput, StorageOutput, default_name, split_name

    name = args.output or default_name(selection, args.objects)
    split_name(name)
    if args.storage:
        return StorageOutput(args.storage, name)
    return LocalOutput(name)


class ProgressBar:
    """A one-line progress bar on stderr (only on a terminal)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, p: WriteProgress) -> None:
        if not self.enabled:
            return
        total = max(p.total, 1)
        frac = min(1.0, p.done / total)
        bar = "#" * int(frac * 30)
        eta = f"ETA {p.eta:.0f}s" if p.eta is not None else ""
        sys.stderr.write(f"\r[{bar:<30}] {frac:4.0%} {p.done:,}/{p.total:,} rows  {p.rate:,.0f} rows/s  {eta}  "
                         f"{p.model}\x1b[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def print_plan(plan: ExportPlan) -> None:
    scope = ", ".join(f"{d}={s['label']}" for d, s in plan.scope.items()) or "none"
    print(f"Export of {plan.kind} from {plan.alias} ({plan.vendor}); tenant: {scope}")
    if plan.roots:
        print(f"Roots: {' '.join(plan.roots)}")
    others = plan.other_tenants()
    rows = [(s.label, s.role, s.count, others.get(s.label, "")) for s in plan.selections]
    print_table(["model", "role", "rows", "other tenant"], rows, right=(2,))
    print(f"Total: {plan.total:,} rows in {len(plan.selections)} models.")
    refs = plan.cross_tenant
    if refs:
        verb = {"refuse": "stop the export", "omit": "are left out (recorded as dangling)",
                "include": "are exported too"}[plan.policy]
        print(f"\n{plan.reference_count if len(refs) == plan.reference_count else len(refs)} cross-tenant "
              f"reference(s) (with --cross-tenant {plan.policy} they {verb}):")
        for r in refs[:50]:
            print(f"  {plan.describe(r)}")
        if len(refs) > 50:
            print(f"  ... and {len(refs) - 50} more (use --json for all)")
        if plan.policy == "omit":
            print("The file keeps the rows that reference them: `manage.py loaddata` will fail unless the target "
                  "database already has those rows; load it with `tenant-console import` instead.")
    for w in plan.warnings:
        warn(w)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """While the block runs in the main thread, ``SIGTERM`` and ``SIGHUP`` raise ``KeyboardInterrupt`` there,
    so that a service manager's stop or a closed terminal ends an export the way ctrl+c does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)


def run(ctx: CliContext) -> int:
    from tenant_console.core.export.loading import loading_needs
    from tenant_console.core.export.runner import CrossTenantRefused, ExportJob, ExportRequest, run_export
    from tenant_console.core.export.storage import LocalOutput, split_name

    args = ctx.args
    if args.depth is not None and args.depth < 0:
        raise ConsoleError(f"--depth must be 0 or more, not {args.depth}.")
    if not args.objects and not ctx.scope_flags:
        from tenant_console.core import examples

        raise ConsoleError(f"Nothing to export: choose a tenant (for example "
                           f"{examples.tenant_option(ctx.project.registry)}) or objects (--objects "
                           f"{examples.object_spec()}).")
    if not args.objects and (args.depth is not None or args.stop_at):
        raise ConsoleError("--depth and --stop-at apply to object exports (--objects); a tenant export takes every "
                           "row of the tenant.")
    if args.output:
        split_name(args.output)
    if args.jobs != 1:
        from django.db import connections

        from tenant_console.core.export.parallel import check_jobs

        check_jobs(connections[ctx.project.alias].vendor, args.jobs)  # before the session: nothing is opened
    with ctx.open_session("export") as session:
        selection = ctx.resolve_scope(session) if ctx.scope_flags else {}
        if selection:
            session.activate(selection)
        output = None if args.dry_run else make_output(args, selection)
        bar = ProgressBar() if not ctx.json and not args.dry_run else None
        job = ExportJob(progress=bar)
        request = ExportRequest(
            tenant_pks=selection, objects=list(args.objects), output=output, exclude=list(args.exclude),
            depth=args.depth, stop_at=list(args.stop_at), cross_tenant=args.cross_tenant,
            with_files=args.with_files, overwrite=args.overwrite, dry_run=args.dry_run, jobs=args.jobs)
        try:
            # SIGTERM and SIGHUP stop the export as ctrl+c does: cancelled, its temporary files removed by the
            # writer, the outcome reported (a process killed outright leaves them to the next export into the
            # same folder, which removes them).
            with _signals_interrupt():
                outcome = ctx.run_to_end(session, run_export, ctx.project, request, job, session.alias,
                                         on_interrupt=lambda: _cancel(job, session), what="the export",
                                         stopped="Nothing was written (the temporary files were removed).")
        except CrossTenantRefused as exc:
            if ctx.json:
                print_json({"ok": False, "error": exc.message, "plan": exc.plan.as_dict()})
            raise
        finally:
            if bar is not None:
                bar.close()
    plan = outcome.plan
    if args.dry_run:
        if ctx.json:
            print_json({"dry_run": True, **plan.as_dict()})
        else:
            print_plan(plan)
            if plan.refused:
                print("\nThe export would stop here: choose --cross-tenant omit or include.")
        return 1 if plan.refused else 0
    result, manifest = outcome.result, outcome.manifest
    assert result is not None and manifest is not None and output is not None
    stale = [str(p) for p in output.removed_stale] if isinstance(output, LocalOutput) else []
    if stale:
        plan.warnings.append(f"Removed {len(stale)} temporary file(s) left by interrupted exports in this folder: "
                             f"{', '.join(stale)}.")
    loading = loading_needs(manifest, _manifest_display(output))
    if ctx.json:
        print_json({"ok": True, "output": outcome.output, "manifest": _manifest_display(output),
                    "sha256": result.sha256, "bytes": result.bytes, "objects": result.objects,
                    "counts": result.counts, "dangling": manifest["dangling"], "warnings": plan.warnings,
                    "loading": loading.as_dict() if loading else None})
        return 0
    for w in plan.warnings:
        warn(w)
    print(f"Exported {result.objects:,} objects ({len(result.counts)} models) to {outcome.output}")
    print(f"  manifest: {_manifest_display(output)}")
    print(f"  size: {result.bytes:,} bytes, SHA-256 {result.sha256}")
    if loading is not None:
        print(f"  {loading.summary()}")
        print(f"\n{loading.advice(outcome.output or 'FILE')}")
    return 0


def _manifest_display(output: Output) -> str:
    from tenant_console.core.export.storage import LocalOutput, StorageOutput

    if isinstance(output, StorageOutput):
        return f"{output.storage_alias}:{output.manifest_name}"
    assert isinstance(output, LocalOutput)
    return str(output.manifest_path)


def _cancel(job: ExportJob, session: Session) -> None:
    """The first ctrl+c: stop the export job between rows, and its running statement on the server."""
    job.cancel()
    session.cancel()
