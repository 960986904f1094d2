"""Running an export: plan, refuse or write, move into place, audit.

:func:`run_export` is submitted to a session (``session.run(run_export, ...)``) so
that planning and writing happen in one read-only transaction: one snapshot
(PostgreSQL ``REPEATABLE READ, READ ONLY``), nothing writable, every statement
through the guard. Anything that fails or is cancelled removes the temporary
files; the audit trail records who exported what, from where, and the checksum.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections

from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.export.files import FileCopier
from tenant_console.core.export.manifest import build_manifest, write_manifest
from tenant_console.core.export.parallel import check_jobs
from tenant_console.core.export.plan import ExportPlan, Planner, batch_size, parse_model_labels
from tenant_console.core.export.storage import CommitFailed, LocalOutput, Output
from tenant_console.core.export.writer import WriteProgress, WriteResult, write_data

if TYPE_CHECKING:
    from tenant_console.core.project import Project

#: Rows per fetch and per serializer call.
CHUNK = 2000


@dataclass
class ExportRequest:
    """What the user asked for; validated before any database work."""

    tenant_pks: dict[str, Any] = field(default_factory=dict)
    objects: list[str] = field(default_factory=list)
    output: Output | None = None
    exclude: list[str] = field(default_factory=list)
    depth: int | None = None
    stop_at: list[str] = field(default_factory=list)
    cross_tenant: str = "refuse"
    with_files: str | None = None
    overwrite: bool = False
    dry_run: bool = False
    #: Connections that write the models side by side, sharing one snapshot (PostgreSQL only; see ``parallel``).
    jobs: int = 1

    @property
    def kind(self) -> str:
        return "objects" if self.objects else "tenant"


@dataclass
class ExportOutcome:
    plan: ExportPlan
    result: WriteResult | None = None
    manifest: dict[str, Any] | None = None
    output: str | None = None


class CrossTenantRefused(ConsoleError):
    """The export would reach into another tenant and the policy is ``refuse``."""

    exit_code = 1
    audit_outcome = "refused"

    def __init__(self, plan: ExportPlan) -> None:
        self.plan = plan
        refs = plan.cross_tenant
        shown = "; ".join(str(r) for r in refs[:5])
        more = f"; and {len(refs) - 5} more" if len(refs) > 5 else ""
        super().__init__(
            f"The export stopped before writing anything: {len(refs)} reference(s) lead into another tenant "
            f"({shown}{more}). Run with --dry-run to list them all, then choose --cross-tenant omit to leave the "
            "other tenant's rows out (the references are recorded as dangling in the manifest) or --cross-tenant "
            "include to export those rows too."
        )


class ExportJob:
    """Progress reporting and cancellation for a running export (shared with the UI or CLI)."""

    def __init__(self, progress: Callable[[WriteProgress], None] | None = None) -> None:
        self.progress = progress
        self.cancelled = threading.Event()
        self.plan: ExportPlan | None = None

    def cancel(self) -> None:
        self.cancelled.set()


def describe_scope(project: Project, alias: str, tenant_pks: dict[str, Any]) -> dict[str, dict[str, str]]:
    scope: dict[str, dict[str, str]] = {}
    for dim, pk in tenant_pks.items():
        d = project.registry.dimensions[dim]
        obj = d.model._base_manager.using(alias).filter(pk=pk).first()
        scope[dim] = {"pk": str(pk), "label": d.label(obj) if obj is not None else f"#{pk}", "model": d.model_label}
    return scope


def build_plan(project: Project, request: ExportRequest, alias: str) -> ExportPlan:
    """The plan for ``request``; run on a session thread inside the read-only layer."""
    exclude = parse_model_labels(request.exclude)
    rules = {"depth": request.depth, "exclude": sorted(m._meta.label for m in exclude),
             "stop_at": list(request.stop_at), "cross_tenant": request.cross_tenant}
    if request.objects:
        from tenant_console.core.export.objects import object_plan

        return object_plan(project, request, alias, exclude, rules)
    if not request.tenant_pks:
        from tenant_console.core import examples

        raise ConsoleError(f"Nothing to export: choose a tenant (for example "
                           f"{examples.tenant_option(project.registry)}) or objects (--objects "
                           f"{examples.object_spec()} ...).")
    planner = Planner(project.registry, alias, request.tenant_pks, policy=request.cross_tenant, exclude=exclude)
    planner.tenant_plan()
    return planner.finish(kind="tenant", scope=describe_scope(project, alias, request.tenant_pks), roots=[],
                          rules=rules)


def run_export(project: Project, request: ExportRequest, job: ExportJob | None = None,
               alias: str | None = None) -> ExportOutcome:
    """Plan and (unless ``dry_run``) write the export. Call through ``session.run``.

    A real export is an audited act: its ``started`` record is written before any
    work (no record, no export) and its outcome after (``ok`` with the checksum,
    ``refused``, ``interrupted`` or ``error``, the temporary files removed).
    """
    job = job or ExportJob()
    alias = alias or _current_alias(project)
    output = request.output
    check_jobs(connections[alias].vendor, request.jobs)
    if request.dry_run:
        job.plan = build_plan(project, request, alias)
        return ExportOutcome(plan=job.plan)
    act = project.audit.begin("export", scope={d: str(pk) for d, pk in request.tenant_pks.items()}, database=alias,
                              kind=request.kind, roots=request.objects,
                              output=output.display if output else None,
                              **({"jobs": request.jobs} if request.jobs > 1 else {}))
    files: FileCopier | None = None
    plan: ExportPlan | None = None
    try:
        if output is not None:
            output.check(request.overwrite)
        plan = build_plan(project, request, alias)
        job.plan = plan
        act.scope = plan.scope
        if plan.refused:
            raise CrossTenantRefused(plan)
        if output is None:
            raise ConsoleError("No output was given for the export.")
        if job.cancelled.is_set():
            raise Cancelled("The export was cancelled; nothing was written.")
        if request.with_files:
            files = FileCopier(request.with_files, overwrite=request.overwrite)
        result = write_data(plan, output.data_tmp, compressed=output.compressed, chunk=min(CHUNK, batch_size(alias)),
                            progress=job.progress, cancel=job.cancelled, files=files, jobs=request.jobs)
        _check_counts(plan, result)
        if files is not None:
            result.files_sha256 = dict(files.sha256)
            result.files_missing = list(files.missing)
        manifest = build_manifest(plan, result, data_name=output.name, settings_module=project.settings_module,
                                  compressed=output.compressed,
                                  files_dir=str(files.final) if files is not None else None)
        write_manifest(manifest, output.manifest_tmp)
        if job.cancelled.is_set():
            raise Cancelled("The export was cancelled; nothing was written.")
        if isinstance(output, LocalOutput) and not request.overwrite:
            output.check(False)
        if files is not None:
            files.commit()
        try:
            output.commit()
        except BaseException as failed:
            if files is not None:
                _restore_files(files, failed)
            raise
        if files is not None:
            files.finish()
    except BaseException as exc:
        if output is not None:
            output.discard()
        if files is not None:
            files.discard()
        act.fail(exc, written=exc.written if isinstance(exc, CommitFailed) else False)
        if isinstance(exc, FileExistsError):
            raise ConsoleError(f"Cannot write the export: {exc.filename} appeared while it was being written (a file "
                               "or link someone else put there is never written through). Nothing was written; "
                               "check who writes to that folder and run the export again.") from exc
        if isinstance(exc, OSError) and not isinstance(exc, ConsoleError):
            where = f" ({exc.filename})" if exc.filename else ""
            raise ConsoleError(f"Cannot write the export{where}: {exc.strerror or exc}. Nothing was written; the "
                               "temporary files were removed.") from exc
        raise
    act.end("ok", rules=plan.rules, roots=plan.roots, output=output.display, sha256=result.sha256,
            objects=result.objects, bytes=result.bytes, dangling=len(manifest["dangling"]),
            **({"jobs": result.jobs, "snapshot": result.snapshot} if result.jobs > 1 else {}))
    return ExportOutcome(plan=plan, result=result, manifest=manifest, output=output.display)


def _restore_files(files: FileCopier, failed: BaseException) -> None:
    """The data or manifest could not be put in place (``failed``): the files folder goes back to what it was."""
    try:
        files.restore()
    except OSError as exc:
        kept = f" (the previous one is kept as {files.previous})" if files.previous is not None else ""
        first = (failed.message if isinstance(failed, ConsoleError)
                 else f"Cannot write the export: {failed.strerror or failed}." if isinstance(failed, OSError)
                 else "The export was stopped before its data and manifest were in place.")
        raise CommitFailed(f"{first} Also, the files folder {files.final} could not be put back as it was "
                           f"({exc.strerror or exc}): it holds the new export's files{kept}.", written=True) from exc


def _check_counts(plan: ExportPlan, result: WriteResult) -> None:
    """Planned and written counts come from one snapshot; a difference is a bug, never a silent loss."""
    for sel in plan.selections:
        if result.counts.get(sel.label, 0) != sel.count:
            raise ConsoleError(f"Internal error: {sel.label} was planned with {sel.count} rows but "
                               f"{result.counts.get(sel.label, 0)} were written; the export was discarded.")


def _current_alias(project: Project) -> str:
    from tenant_console.core.routing import _current_alias as var

    return var.get() or project.alias

