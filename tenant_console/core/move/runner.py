"""Moving a tenant between databases: export, import, verify, delete the source, each step journaled.

The phases, and what a process killed in each leaves (see ``docs/scale.md``):

=============  ===========================================  ==========================================
phase          what it does                                 killed here, the journal says / resume does
=============  ===========================================  ==========================================
planned        journal written, nothing else                ``planned``: export
exported       export from one read-only snapshot of the    ``planned``: export again (the temporary
               source (:func:`run_export`) and the          files of the killed one are removed by it)
               tenant's digest in the same snapshot
importing      plan against the target, decisions as in     ``importing``: the import is one
               ``import``, apply in one transaction         transaction; resume looks whether the tenant
                                                            is in the target (committed) or not (again;
                                                            refused by its decisions: ``exported``)
imported       recorded after the commit                    ``imported``: verify
verified       the target's digest equals the source's      ``verified`` or ``verify_failed``
deleting       the whole tenant deleted from the source     one transaction; resume looks whether the
               through ``core.delete`` (backup first), only tenant is still in the source
               if the source still equals the export and
               the target still holds the verified copy
               (both checked inside that transaction)
done           nothing left to do
=============  ===========================================  ==========================================

A rollback undoes in reverse: if the source was deleted, it is restored from
the delete's backup and checked against the export's digest; then the tenant
is removed from the target through ``core.delete`` (with a backup), but only
if the target still holds exactly what the move wrote. Export files and
backups stay in the move's folder.

Call :class:`Mover` from one thread (the CLI's main thread, a UI worker);
every database call goes through a session of its own alias.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenant_console.core.errors import ConsoleError
from tenant_console.core.graph.relations import concrete
from tenant_console.core.move.digest import TenantDigest, count_rows, tenant_digest
from tenant_console.core.move.journal import (
    EXPORT_NAME,
    ROLLING_BACK,
    SOURCE_BACKUP_NAME,
    TARGET_BACKUP_NAME,
    Journal,
    digest_rows,
    refusal,
)
from tenant_console.core.tenancy.links import OutsideLink

if TYPE_CHECKING:
    from tenant_console.core.project import Project
    from tenant_console.core.session import Session

#: Called with ``(phase, point)`` at every step of a move (``("import", "committed")``): the console's
#: progress and the kill trials of the tests listen here. An observer that raises stops the move there.
CHECKPOINTS: list[Callable[[str, str], None]] = []


class MoveRefused(ConsoleError):
    """The move stopped on purpose (a check failed); what was done stands and the journal says where."""

    exit_code = 1
    audit_outcome = "refused"


@dataclass
class Where:
    """Where the tenant is now, read from both databases (what ``--status`` shows)."""

    phase: str
    source_rows: int
    target_rows: int
    source_has_tenant: bool
    target_has_tenant: bool
    exported_rows: int | None
    source_counts: dict[str, int]
    target_counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "source_rows": self.source_rows, "target_rows": self.target_rows,
                "source_has_tenant": self.source_has_tenant, "target_has_tenant": self.target_has_tenant,
                "exported_rows": self.exported_rows, "source_counts": self.source_counts,
                "target_counts": self.target_counts}


class MoveJob:
    """Progress and cancellation shared with the caller (CLI or console)."""

    def __init__(self, progress: Callable[[str, str], None] | None = None,
                 rows: Callable[[str, str, int, int], None] | None = None) -> None:
        self.progress = progress
        #: ``(phase, model label, done, total)`` as rows are exported (done and total: the whole export's
        #: objects, the model being written now) and imported or restored (done and total: that model's); the console's
        #: per-model progress. Called on a session thread.
        self.rows = rows
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def tell(self, phase: str, text: str) -> None:
        if self.progress is not None:
            self.progress(phase, text)

    def count(self, phase: str, model: str, done: int, total: int) -> None:
        if self.rows is not None:
            self.rows(phase, model, done, total)


def checkpoint(phase: str, point: str) -> None:
    for observer in list(CHECKPOINTS):
        observer(phase, point)


class Mover:
    """Runs, resumes, rolls back or describes the move of ``journal``.

    ``decide(plan)`` returns the import's resolution (every conflict decided) or
    raises; the CLI passes the ``import`` command's own ``--default``/``--decisions``.
    It raises :class:`~tenant_console.core.importer.UndecidedConflicts` for conflicts the
    move's decisions leave undecided (models changed since the export included): the
    journal records that refusal, which a resume meets again. Anything else it raises (a
    decisions file that cannot be read) a resume may not meet, and is not recorded.
    ``call(session, fn, *args, **kwargs)`` runs ``fn`` on a session and waits (the
    CLI's waits through ctrl+c); by default ``session.run``.
    """

    def __init__(self, project: Project, journal: Journal, *, job: MoveJob | None = None,
                 decide: Callable[[Any], Any] | None = None,
                 call: Callable[..., Any] | None = None) -> None:
        self.project = project
        self.journal = journal
        self.job = job or MoveJob()
        self.decide = decide
        self.call = call or (lambda session, fn, *a, **kw: session.run(fn, *a, **kw))
        self.registry = project.registry
        self.tenant: dict[str, Any] = dict(journal.tenant)
        self._sessions: dict[str, Session] = {}

    # -- sessions -------------------------------------------------------------------
    def session(self, alias: str) -> Session:
        if alias not in self._sessions:
            self._sessions[alias] = self.project.session(f"move-{alias}", alias=alias, readonly=True)
        return self._sessions[alias]

    def cancel(self) -> None:
        """Stop the move from another thread: at its next check (between batches), and the statement
        running now on each of its sessions, on the database. A running import or delete rolls back;
        the journal keeps the phase reached."""
        self.job.cancel()
        for s in list(self._sessions.values()):
            s.cancel()

    def close(self) -> None:
        for s in self._sessions.values():
            s.close()
        self._sessions.clear()

    def read(self, alias: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.call(self.session(alias), fn, *args, readonly=True, scoped=False, **kwargs)

    def write(self, alias: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.call(self.session(alias), fn, *args, readonly=False, scoped=False, **kwargs)

    @property
    def source(self) -> str:
        return self.journal.source_alias

    @property
    def target(self) -> str:
        return self.journal.target_alias

    def _read_inside(self, alias: str, fn: Callable[..., Any], *args: Any) -> Any:
        """A read on ``alias`` made from inside a call running on another session (the delete's transaction
        reads the target). Waited for in short steps, so an interrupt of the outer call lands here; it then
        stops this read too (its statement cancelled, its Python interrupted) before going on up."""
        from concurrent.futures import TimeoutError as FutureTimeout

        session = self.session(alias)
        future = session.submit(fn, *args, readonly=True, scoped=False)
        try:
            while True:
                try:
                    return future.result(timeout=0.1)
                except FutureTimeout:
                    continue
        except BaseException:
            if not future.cancel():
                session.interrupt()
            raise

    def has_tenant(self, alias: str) -> bool:
        """Whether the tenant object(s) exist on ``alias`` (the commit marker of an import or a delete)."""
        from tenant_console.core.move.targets import tenant_exists

        return bool(self.read(alias, tenant_exists, self.registry, alias, self.tenant))

    # -- forward ---------------------------------------------------------------------
    def run(self) -> str:
        """Take the move from its journal's phase to ``done``; returns the final phase. Raises to stop."""
        j = self.journal
        if j.phase == "rolled_back":
            raise MoveRefused("This move was rolled back; it cannot be resumed. Start a new move (another "
                              "journal) to move the tenant.")
        if j.phase in ROLLING_BACK:
            raise MoveRefused(f"This move is being rolled back (phase {j.phase}); it cannot be resumed. "
                              f"Finish the rollback with --rollback {j.path}, then start a new move.")
        if j.phase == "planned":
            self.export()
        if j.phase == "exported":
            self.import_()
        if j.phase == "importing":
            if j.wrote_nothing:  # the tenant in the target, if it is there, is not this move's
                self.import_(again=True)
            elif self.has_tenant(self.target):
                j.set_phase("imported", note="the import had committed when the previous process stopped "
                            "(the tenant is in the target); verifying")
            else:
                self.import_(again=True)
        if j.phase in ("imported", "verify_failed"):
            self.verify()
        if j.phase == "verified":
            if j.delete_source:
                self.delete_source()
            else:
                j.set_phase("done", note="verified; the source was kept (no --delete-source)")
        if j.phase == "deleting":
            self.delete_source(again=True)
        return j.phase

    def export(self) -> None:
        from tenant_console.core.export.runner import ExportJob, ExportRequest, run_export
        from tenant_console.core.export.storage import LocalOutput

        j = self.journal
        self.job.tell("export", f"exporting {j.tenant_label} from {self.source} (one read-only snapshot)")
        checkpoint("export", "start")
        output = LocalOutput(j.file(EXPORT_NAME))
        request = ExportRequest(tenant_pks=dict(self.tenant), output=output,
                                cross_tenant=str(j.options.get("cross_tenant") or "refuse"), overwrite=True,
                                jobs=int(j.options.get("jobs") or 1))
        session = self.session(self.source)
        session.activate(self.tenant)
        job = ExportJob(progress=None if self.job.rows is None else
                        (lambda p: self.job.count("export", p.model, p.done, p.total)))
        job.cancelled = self.job.cancelled

        def export_and_digest() -> tuple[Any, TenantDigest]:
            # one call, one read-only transaction: the file and the digest come from the same snapshot
            outcome = run_export(self.project, request, job, self.source)
            checkpoint("export", "written")
            return outcome, tenant_digest(self.registry, self.source, self.tenant)

        outcome, digest = self.call(session, export_and_digest, readonly=True)
        checkpoint("export", "done")
        links = outcome.plan.outside_links
        j.set_phase("exported", export={"file": EXPORT_NAME, "sha256": outcome.result.sha256,
                                        "objects": outcome.result.objects, "bytes": outcome.result.bytes,
                                        "outside_links": [link.as_dict() for link in links]},
                    source_digest=digest.as_dict())
        self.job.tell("export", f"{outcome.result.objects:,} objects, {digest.total:,} rows of the tenant")

    def _read_export(self) -> Any:
        from tenant_console.core.importer import read_export

        j = self.journal
        assert j.export is not None
        export = read_export(j.file(j.export["file"]))
        if export.sha256 != j.export["sha256"]:
            raise MoveRefused(f"The export {export.data_path} is not the one this move wrote (SHA-256 "
                              f"{export.sha256}, the journal says {j.export['sha256']}); nothing was imported. "
                              f"Roll back (--rollback {j.path}) and move again.")
        return export

    def _audited_import(self, alias: str, plan: Any, resolution: Any, decisions: Any, phase: str, *,
                        announce: str | None = None) -> Any:
        """Apply ``plan`` to ``alias`` in one transaction, audited: the act is begun before anything is
        written (no record, no import), failed if the write raises, ended with the report if it commits.

        Used by the import phase (``phase="import"``) and the rollback's restore of the source
        (``"restore"``); the checkpoints ``(phase, "start")`` and ``(phase, "committed")`` bracket the
        transaction (the kill trials stop there). ``announce`` is told after the act is begun.
        """
        from tenant_console.core.importer import apply_import
        from tenant_console.core.importer.report import end_import, import_act

        act = import_act(self.project, plan, decisions)
        if announce is not None:
            self.job.tell(phase, announce)
        checkpoint(phase, "start")
        try:
            report = self.write(alias, apply_import, plan, resolution, cancel=self.job.cancelled,
                                progress=None if self.job.rows is None else
                                (lambda label, done, total: self.job.count(phase, label, done, total)))
        except BaseException as exc:
            act.fail(exc, written=False)
            raise
        end_import(act, report)
        checkpoint(phase, "committed")
        return report

    def import_(self, *, again: bool = False) -> None:
        from tenant_console.core.importer import Retarget, UndecidedConflicts, build_plan

        j = self.journal
        export = self._read_export()
        self.job.tell("import", f"planning the import into {self.target}")
        checkpoint("import", "plan")
        plan = self.read(self.target, build_plan, export, self.target, self.registry, Retarget(), None)
        for dim, pk in self.tenant.items():
            label = concrete(self.registry.dimensions[dim].model)._meta.label_lower
            item = next((i for i in plan.items.get(label, []) if str(i.key) == str(pk)), None)
            if item is None or item.cls != "new":
                cls = item.cls if item is not None else "missing from the export"
                raise MoveRefused(
                    f"The tenant {j.tenant_label} already exists in {self.target} (it plans as {cls}); a move "
                    f"creates the tenant there and never merges into an existing one. Nothing was imported. Use "
                    f"`import` to merge, or remove the tenant from {self.target} first.")
        if self.decide is None:
            raise MoveRefused("No decisions were given for the import's conflicts.")
        try:
            decisions, resolution = self.decide(plan)
        except UndecidedConflicts as exc:  # the move's decisions leave them undecided: a resume meets them again
            if again:  # the killed import had not committed and nothing was written now: back before the import,
                # so a tenant that appears in the target later is never taken for this move's committed import
                j.set_phase("exported", note="the import was refused again: conflicts without a decision",
                            blocked=refusal("import_refused", [exc.message]))
            else:
                j.block("import_refused", [exc.message])
            raise
        j.set_phase("importing", imported={"plan": plan.totals(), "again": again})
        report = self._audited_import(
            self.target, plan, resolution, decisions, "import",
            announce=f"writing {sum(plan.totals().values()):,} objects into {self.target} (one transaction)")
        j.set_phase("imported", imported={"plan": plan.totals(), "totals": report.totals,
                                          "written": report.written, "seconds": round(report.seconds, 3)})
        self.job.tell("import", f"written: {sum(report.written.values()):,} rows")

    def verify(self) -> None:
        j = self.journal
        assert j.source_digest is not None
        self.job.tell("verify", f"counting and checksumming the tenant's rows in {self.target}")
        checkpoint("verify", "start")
        there = self.read(self.target, tenant_digest, self.registry, self.target, self.tenant)
        here = TenantDigest.from_dict(self.source, j.source_digest)
        diffs = here.differences(there)
        if diffs:
            j.set_phase("verify_failed", target_digest=there.as_dict(),
                        note="verification failed: " + "; ".join(diffs[:20]))
            raise MoveRefused(
                f"The tenant did not arrive as it was exported: {'; '.join(diffs[:10])}"
                f"{'; ...' if len(diffs) > 10 else ''}. The source was not touched, so the tenant is complete in "
                f"{self.source} and a differing copy is in {self.target}. Look at what the import decided (skipped "
                f"or renamed rows do not arrive as they were), then roll back (--rollback {j.path}) or, after "
                f"repairing the target, verify again (--resume {j.path}).")
        j.set_phase("verified", target_digest=there.as_dict())
        self.job.tell("verify", f"{there.total:,} rows in {len(there.models)} models: counts and checksums equal")

    def _whole_tenant_preview(self, alias: str) -> tuple[Any, str, list[str]]:
        """The delete preview of the whole tenant on ``alias``, its slug, and why it may not be deleted."""
        from tenant_console.core.delete import preview_delete, refusals, tenant_slug, whole_tenant_roots

        roots = self.read(alias, whole_tenant_roots, self.registry, alias, self.tenant)
        preview = self.read(alias, preview_delete, self.registry, alias, self.tenant, roots, whole_tenant=True)
        slug = self.read(alias, tenant_slug, self.registry, alias, preview, self.tenant)
        reasons = refusals(preview, allow_cross_tenant=False, tenant_confirmation=slug, tenant_slug=slug)
        return preview, slug, reasons

    def _audited_delete(self, alias: str, preview: Any, slug: str, backup: Any, phase: str, *,
                        announce: tuple[str, str], audit: Mapping[str, Any],
                        before_delete: Callable[[], None] | None = None) -> Any:
        """Delete the whole tenant from ``alias`` in one transaction (backup first), audited: the act is
        begun before anything is written (no record, no delete), failed if the delete raises, ended
        with the report if it commits.

        Used by the delete of the source (``phase="delete"``) and the rollback's removal from the
        target (``"remove"``). The checkpoint ``(phase, "start")`` is ``before_delete``'s to call
        inside the transaction when there is one, else it comes just before it; ``(phase, "committed")``
        after the commit (the kill trials stop there). ``announce`` (progress phase, text) is told
        after the act is begun; ``audit`` adds to the act's record.
        """
        from tenant_console.core.delete import apply_delete
        from tenant_console.core.export.storage import LocalOutput

        act = self.project.audit.begin("delete", scope={d: str(pk) for d, pk in self.tenant.items()},
                                       database=alias, counts=preview.counts(), backup=str(backup),
                                       move=self.journal.id, whole_tenant=True, **audit)
        self.job.tell(*announce)
        if before_delete is None:
            checkpoint(phase, "start")
        try:
            report = self.write(alias, apply_delete, self.project, alias, self.tenant, {},
                                expected=preview.fingerprint(), backup=LocalOutput(backup), tenant_confirmation=slug,
                                tenant_slug=slug, cancel=self.job.cancelled, whole_tenant=True,
                                before_delete=before_delete)
        except BaseException as exc:
            act.fail(exc, deleted=False)
            raise
        act.end("ok", deleted=report.deleted, total=report.total, backup_sha256=report.backup_sha256)
        checkpoint(phase, "committed")
        return report

    def delete_source(self, *, again: bool = False) -> None:
        j = self.journal
        backup = j.file(SOURCE_BACKUP_NAME)
        if again and not self.has_tenant(self.source):
            self._record_deleted(backup, note="the delete had committed when the previous process stopped")
            return
        # The tenant is still in the source, so no delete committed: a backup here was written inside a
        # delete transaction that was rolled back (killed, or refused at its last check) and is stale.
        _remove_export(backup)
        self.job.tell("delete", f"previewing the delete of {j.tenant_label} from {self.source}")
        checkpoint("delete", "preview")
        if not self.has_tenant(self.target):
            j.set_phase("verified", note=f"the source was not deleted: the tenant is no longer in {self.target}",
                        blocked=refusal("target_missing", []))
            raise MoveRefused(f"The verified copy of the tenant is no longer in {self.target} (its tenant object is "
                              f"gone), so the source is not deleted: it may be the only copy. Nothing was deleted. "
                              f"Roll back (--rollback {j.path}) and move again.")
        preview, slug, reasons = self._whole_tenant_preview(self.source)
        if reasons:
            j.set_phase("verified", note="the source could not be deleted: " + " ".join(reasons),
                        blocked=refusal("delete_refused", reasons))
            raise MoveRefused(f"The tenant is complete and verified in both databases, but it cannot be deleted from "
                              f"{self.source}: {' '.join(reasons)} Nothing was deleted. Resolve that, then "
                              f"--resume {j.path}; or keep both copies, or roll back (--rollback {j.path}).")
        j.set_phase("deleting", deleted={"backup": SOURCE_BACKUP_NAME, "rows": preview.total})
        expected = TenantDigest.from_dict(self.source, j.source_digest or {})
        verified = TenantDigest.from_dict(self.target, j.target_digest or {})
        stale: list[str] = []
        changed: list[str] = []

        def unchanged() -> None:
            # Inside the delete's transaction, just before Django deletes: the source must still equal the
            # export, and the target must still hold the copy that passed verification (not only its tenant
            # object: a copy emptied or replaced since would leave no complete copy once the source is gone).
            checkpoint("delete", "check")
            now = tenant_digest(self.registry, self.source, self.tenant)
            diffs = expected.differences(now)
            if diffs:
                stale.extend(diffs)
                raise MoveRefused(
                    f"The tenant changed in {self.source} since it was exported ({'; '.join(diffs[:5])}), so the "
                    f"copy in {self.target} is stale; nothing was deleted. Stop writes to the tenant, roll back "
                    f"(--rollback {j.path}) and move again.")
            there = self._read_inside(self.target, tenant_digest, self.registry, self.target, self.tenant)
            diffs = verified.differences(there)
            if diffs:
                changed.extend(diffs)
                raise MoveRefused(
                    f"The tenant's copy in {self.target} is no longer the one that was verified "
                    f"({'; '.join(diffs[:5])}), so the source is not deleted: {self.source} may hold the only "
                    f"complete copy. Nothing was deleted. Find out what changed the copy in {self.target}; "
                    f"{_target_changed_then(j.path, self.target, self.source)}")
            checkpoint("delete", "start")

        try:
            report = self._audited_delete(
                self.source, preview, slug, backup, "delete", before_delete=unchanged,
                announce=("delete", f"deleting {preview.total:,} rows from {self.source} (backup first, one "
                                    "transaction)"),
                audit={"roots": preview.roots[:20], "updated": preview.total_updated,
                       "tenant_deleted": preview.tenants_deleted})
        except MoveRefused as exc:
            if changed:
                j.set_phase("verified", note=f"the source was not deleted: the copy in {self.target} is no longer "
                            f"the verified one ({'; '.join(changed[:5])})",
                            blocked=refusal("target_changed", changed[:20]))
                raise
            if not stale:
                j.set_phase("verified", note=exc.message)
                raise
            j.set_phase("verified", note=f"the source was not deleted: the tenant changed in {self.source} since it "
                        f"was exported ({'; '.join(stale[:5])}), so the copy in {self.target} is stale",
                        blocked=refusal("source_changed", stale[:20]))
            raise
        self._record_deleted(backup, sha256=report.backup_sha256, total=report.total)

    def _record_deleted(self, backup: Any, *, sha256: str | None = None, total: int | None = None,
                        note: str | None = None) -> None:
        import hashlib

        if sha256 is None and backup.exists():
            sha256 = hashlib.sha256(backup.read_bytes()).hexdigest()
        left = self.read(self.source, count_rows, self.registry, self.source, self.tenant)
        if any(left.values()):
            raise MoveRefused(f"The tenant object is gone from {self.source} but {sum(left.values()):,} of its rows "
                              f"are still there ({', '.join(f'{k} {v}' for k, v in left.items() if v)}).")
        self.journal.set_phase("done", note=note, deleted={"backup": SOURCE_BACKUP_NAME, "sha256": sha256,
                                                             "rows": total, "committed": True})
        self.job.tell("delete", f"deleted from {self.source}; backup {backup}")

    # -- rollback ----------------------------------------------------------------------
    def rollback(self) -> str:
        """Undo the move as far as it went (see the module doc); returns the final phase."""
        j = self.journal
        if j.phase == "rolled_back":
            return j.phase
        if j.wrote_nothing:
            j.set_phase("rolled_back", note="nothing had been written to either database")
            return j.phase
        source_gone = (j.phase in ("done", "deleting", "restoring_source")
                       and j.delete_source and not self.has_tenant(self.source))
        if source_gone or j.phase == "restoring_source":
            self.restore_source()
        self.remove_target()  # from importing on, the target may hold the move's copy
        return j.phase

    def restore_source(self) -> None:
        from tenant_console.core.importer import Decisions, Retarget, build_plan, read_export, resolve

        j = self.journal
        backup = j.file(SOURCE_BACKUP_NAME)
        if j.phase != "restoring_source":
            j.set_phase("restoring_source")
        if not self.has_tenant(self.source):
            self.job.tell("rollback", f"restoring {j.tenant_label} into {self.source} from {backup}")
            export = read_export(backup)
            if j.deleted and j.deleted.get("sha256") and export.sha256 != j.deleted["sha256"]:
                raise MoveRefused(f"The delete's backup {backup} is not the one the move wrote (SHA-256 differs); "
                                  "nothing was restored.")
            plan = self.read(self.source, build_plan, export, self.source, self.registry, Retarget(), None)
            decisions = Decisions()
            decisions.set_default("overwrite", "changed")  # rows the delete changed (SET_NULL) go back as they were
            resolution = resolve(plan, decisions)
            if not resolution.complete:
                raise MoveRefused(f"The source cannot be restored from {backup} as it is: "
                                  f"{len(resolution.undecided):,} rows conflict with what {self.source} holds now "
                                  f"(first: {resolution.undecided[0].item.ref} {resolution.undecided[0].reason}). "
                                  f"Nothing was restored and the target was not touched; restore it with "
                                  f"`tenant-console --database {self.source} import {backup}` and decisions.")
            self._audited_import(self.source, plan, resolution, decisions, "restore")
        expected = TenantDigest.from_dict(self.source, j.source_digest or {})
        now = self.read(self.source, tenant_digest, self.registry, self.source, self.tenant)
        diffs = expected.differences(now)
        if diffs:
            raise MoveRefused(f"The tenant was restored into {self.source} but differs from what was exported "
                              f"({'; '.join(diffs[:5])}); the target was not touched, so the tenant is in both. "
                              f"Compare them before going on.")
        j.set_phase("source_restored")

    def remove_target(self) -> None:
        j = self.journal
        backup = j.file(TARGET_BACKUP_NAME)
        if j.phase != "removing_target":
            j.set_phase("removing_target")
        if self.has_tenant(self.target):
            expected_data = j.target_digest or j.source_digest or {}
            expected = TenantDigest.from_dict(self.target, expected_data)
            now = self.read(self.target, tenant_digest, self.registry, self.target, self.tenant)
            diffs = expected.differences(now)
            if diffs:
                raise MoveRefused(
                    f"The tenant's copy in {self.target} is not what the move wrote ({'; '.join(diffs[:5])}): it was "
                    f"changed since, and removing it would lose those changes. Nothing was removed; the tenant is "
                    f"in both databases. Delete it from {self.target} yourself (`tenant-console --database "
                    f"{self.target} delete ...`) if that is really meant.")
            _remove_export(backup)  # a removal that was rolled back (the tenant is still there) left it
            preview, slug, reasons = self._whole_tenant_preview(self.target)
            if reasons:
                raise MoveRefused(f"The tenant cannot be removed from {self.target}: {' '.join(reasons)} Nothing "
                                  "was removed; the tenant is in both databases.")
            self._audited_delete(self.target, preview, slug, backup, "remove",
                                 announce=("rollback", f"removing {preview.total:,} rows from {self.target} "
                                                       "(backup first)"),
                                 audit={"rollback": True})
        shared = _shared_new(j)
        j.set_phase("rolled_back", note=(f"{shared:,} shared rows the import created in {self.target} (users, "
                                         "content types...) were left there" if shared else None))

    # -- status ------------------------------------------------------------------------------
    def where(self) -> Where:
        j = self.journal
        src = self.read(self.source, count_rows, self.registry, self.source, self.tenant)
        tgt = self.read(self.target, count_rows, self.registry, self.target, self.tenant)
        return Where(phase=j.phase, source_rows=sum(src.values()), target_rows=sum(tgt.values()),
                     source_has_tenant=self.has_tenant(self.source), target_has_tenant=self.has_tenant(self.target),
                     exported_rows=digest_rows(j.source_digest), source_counts=src, target_counts=tgt)


def _target_changed_then(path: Any, target: str, source: str) -> str:
    """What to do once the target's verified copy changed (a rollback refuses to remove a changed copy)."""
    return (f"if it is to go, delete the tenant from {target} yourself (`tenant-console --database {target} "
            f"delete ...`), then roll back (--rollback {path}; {source} is not touched) and move again.")


def _shared_new(j: Journal) -> int:
    """How many rows of shared models the import wrote (they stay in the target after a rollback)."""
    imported = j.imported or {}
    written: Mapping[str, int] = imported.get("written") or {}
    digest = j.source_digest or {}
    return sum(int(n) for label, n in written.items() if label not in digest and isinstance(n, int))


def _remove_export(path: Any) -> None:
    from tenant_console.core.export.storage import manifest_name

    for p in (path, type(path)(manifest_name(str(path)))):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def outside_links(journal: Journal) -> list[OutsideLink]:
    """Rows outside the tenant that linked into it in the source, as the move's export found them."""
    return OutsideLink.list_from((journal.export or {}).get("outside_links"))


def outside_link_lines(journal: Journal) -> list[str]:
    """What the move leaves behind because it is not the tenant's (``tenancy.links``), in sentences."""
    links = outside_links(journal)
    if not links:
        return []
    src, tgt = journal.source_alias, journal.target_alias
    fate = (f"--delete-source deletes the link rows (and rows whose foreign key cascades) from {src} with the "
            "tenant; the delete's backup keeps them and --rollback restores them" if journal.delete_source
            else f"they stay in {src}")
    lines = [f"Not moved: rows outside the tenant that link into it are not part of it, so {tgt} does not get "
             f"them; {fate}. Recreate them in {tgt} if they are needed there:"]
    lines.extend(f"  {link.describe()}" for link in links)
    return lines

