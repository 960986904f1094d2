"""``move --status`` in sentences: where the tenant is, and the next step that will actually work.

Every piece of advice here names a step that :class:`~.runner.Mover` carries out
in that state, as read from the journal (its phase, and ``blocked``: why the last
attempt to go on was refused) and from both databases (:class:`~.runner.Where`:
rows of the tenant and whether its tenant object exists on each side). A step that
would be refused as things stand is not offered; the sentence says why instead.

The checks the advice relies on, and the cheap signs of them in ``Where``:

- ``--resume`` refuses to import into a target that holds the tenant already, and to
  delete a source that changed since the export (row counts that differ prove it;
  equal counts do not prove the contrary, so a refusal is also kept in the journal)
  or whose target copy is gone or no longer the one verified (the same: counts, or
  the journal's record of the delete's last check).
- ``--rollback`` removes the target's copy only while it is what the move wrote (row
  counts that differ from the verified ones prove it was changed since), and restores
  the source first if the move deleted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenant_console.core.move.journal import (
    EXPORT_NAME,
    ROLLBACK,
    ROLLING_BACK,
    SOURCE_BACKUP_NAME,
    Journal,
    digest_rows,
)

if TYPE_CHECKING:
    from tenant_console.core.move.runner import Where

#: Phases in which the target holds (or may hold, once committed) the copy this move wrote.
_COPY_PHASES = ("importing", "imported", "verified", "verify_failed", "deleting", "done", *ROLLING_BACK)
#: Phases in which the copy in the target passed the verification.
_VERIFIED = ("verified", "deleting", "done", *ROLLING_BACK)


@dataclass
class _State:
    """What the journal and both databases say, in the terms the advice needs."""

    j: Journal
    w: Where

    @property
    def src(self) -> str:
        return self.j.source_alias

    @property
    def tgt(self) -> str:
        return self.j.target_alias

    @property
    def in_src(self) -> bool:
        return self.w.source_has_tenant or self.w.source_rows > 0

    @property
    def in_tgt(self) -> bool:
        return self.w.target_has_tenant or self.w.target_rows > 0

    @property
    def deleted_by_move(self) -> bool:
        """The move's delete of the source committed (the rollback restores it from the backup)."""
        return (self.j.delete_source and not self.w.source_has_tenant
                and self.j.phase in ("deleting", "done", "restoring_source"))

    @property
    def written(self) -> int | None:
        """Rows of the copy the move wrote: as verified, else as exported."""
        return digest_rows(self.j.target_digest) if self.j.target_digest else self.w.exported_rows

    @property
    def target_differs(self) -> bool:
        """The target's copy has another row count than the move wrote (changed since, or never equal)."""
        return (self.j.phase in _COPY_PHASES and self.w.target_has_tenant and self.written is not None
                and self.w.target_rows != self.written)

    @property
    def copy_changed(self) -> bool:
        """The target no longer holds the copy that was verified, so the move's delete of the source will be
        refused: its row counts differ, or the delete's last check found its checksum changed (``blocked``)."""
        return self.target_differs or (self.blocked("target_changed") and self.j.phase == "verified")

    @property
    def stale(self) -> bool:
        """The source changed since the export, so the move's delete of it will be refused."""
        if self.blocked("source_changed") and self.j.phase == "verified":
            return True
        return (self.j.delete_source and self.w.source_has_tenant and self.w.exported_rows is not None
                and self.w.source_rows != self.w.exported_rows
                and self.j.phase in ("exported", "importing", "imported", "verified", "verify_failed", "deleting"))

    @property
    def why(self) -> dict[str, Any]:
        """The journal's record of the last refusal to go on (empty: none)."""
        return self.j.blocked or {}

    def blocked(self, reason: str) -> bool:
        return self.why.get("reason") == reason

    @property
    def rollback(self) -> str:
        return f"--rollback {self.j.path}"

    @property
    def resume(self) -> str:
        return f"--resume {self.j.path}"


def describe(journal: Journal, where: Where) -> list[str]:
    """``--status`` in sentences: where the tenant is, and what to do next."""
    from tenant_console.core.move.runner import outside_link_lines

    s = _State(journal, where)
    no_src = "" if where.source_has_tenant else " (no tenant object)"
    no_tgt = "" if where.target_has_tenant else " (no tenant object)"
    lines = [f"Move {journal.id}: {journal.tenant_label} from {s.src} to {s.tgt}; phase {journal.phase}"
             f"{' (with --delete-source)' if journal.delete_source else ''}.",
             f"  {s.src}: {where.source_rows:,} rows of the tenant{no_src}; {s.tgt}: {where.target_rows:,} rows"
             f"{no_tgt}" + (f"; exported: {where.exported_rows:,}." if where.exported_rows is not None else "."),
             _where_sentence(s), *_advice(s)]
    if journal.phase != "rolled_back":  # after a rollback nothing was moved, and nothing is left to restore
        lines.extend(outside_link_lines(journal))
    notes = [h for h in journal.history if isinstance(h.get("note"), str)]
    if journal.phase == "rolled_back":  # the move's own notes are about a move that is undone (and a journal
        notes = [h for h in notes if h.get("phase") in ROLLBACK]  # of an older console put advice in them)
    for h in notes[-3:]:
        lines.append(f"  note ({h.get('phase')}): {h['note']}")
    if not journal.history:
        lines.extend(f"  note: {n}" for n in journal.notes[-3:])
    return lines


def _where_sentence(s: _State) -> str:
    j = s.j
    if s.in_src and s.in_tgt:
        if j.wrote_nothing:
            return (f"The tenant is in BOTH databases, but not through this move: {s.tgt} holds it already "
                    "(this move has imported nothing).")
        if j.phase == "rolled_back":
            return (f"The tenant is in BOTH databases, but the rows in {s.tgt} are not this move's copy (the move "
                    "was rolled back).")
        verified = j.phase in _VERIFIED and j.target_digest is not None and not s.copy_changed
        state = ("a verified copy" if verified else "an UNVERIFIED or differing copy")
        if s.stale:
            state += f" that is STALE ({s.src} changed since the export)"
        return (f"The tenant is in BOTH databases: in {s.src}, and {state} in {s.tgt}. Applications must use "
                "only one of them.")
    if s.in_src:
        return f"The tenant is in {s.src} only; {s.tgt} holds none of its rows."
    if s.in_tgt:
        if s.deleted_by_move:
            return (f"The tenant is in {s.tgt} only (moved; deleted from {s.src}, backup "
                    f"{j.file(SOURCE_BACKUP_NAME)}).")
        if j.phase == "rolled_back":
            return (f"The tenant is in {s.tgt} only: {s.src} holds none of its rows, and the rows in {s.tgt} are not "
                    "this move's copy (the move was rolled back).")
        if j.phase in ("source_restored", "removing_target"):
            return (f"The tenant is in {s.tgt} only: {s.src} holds none of its rows, although the rollback had "
                    "restored them.")
        return (f"The tenant is in {s.tgt} only: {s.src} holds none of its rows, and this move did not delete "
                "them.")
    sentence = "The tenant is in NEITHER database."
    if s.deleted_by_move:
        return sentence + f" This move deleted it from {s.src}; its backup is {j.file(SOURCE_BACKUP_NAME)}."
    if j.export is not None and j.file(EXPORT_NAME).exists():
        return sentence + (f" The export {j.file(EXPORT_NAME)} holds it as it was exported: `tenant-console "
                           f"--database {s.src} import {j.file(EXPORT_NAME)} --apply` restores it.")
    return sentence


def _advice(s: _State) -> list[str]:
    j, w, phase = s.j, s.w, s.j.phase
    if phase == "rolled_back":
        return ["The move was rolled back: nothing is left to do with this journal. To move the tenant, start a "
                "new move."]
    lost = (f"The tenant is no longer in {s.src}, and this move did not delete it: the copy in {s.tgt} may be the "
            f"only one left. Do not roll back (that removes it) before you know what became of the source.")
    if phase in ("source_restored", "removing_target") and w.target_has_tenant and not w.source_has_tenant:
        return [lost.replace(", and this move did not delete it", ", although the rollback restored it there")]
    if phase in ROLLING_BACK:
        step = {"restoring_source": "while restoring the source", "source_restored": "after restoring the source",
                "removing_target": "while removing the target's copy"}[phase]
        if s.target_differs:
            return [f"A rollback was interrupted {step}. The copy in {s.tgt} has {w.target_rows:,} rows where the "
                    f"move wrote {s.written:,}: it was changed since, and the rollback refuses to remove it. Compare "
                    f"the copies; delete the tenant from {s.tgt} yourself (`tenant-console --database {s.tgt} delete "
                    f"...`) if that is really meant, then run {s.rollback} again to finish."]
        return [f"A rollback was interrupted {step}; run {s.rollback} again to finish it."]
    if j.wrote_nothing:  # also an import refused at its decisions in phase importing (an older journal)
        return _advice_before_import(s)
    if s.in_tgt is False and s.deleted_by_move:
        return [f"Run {s.rollback}: it restores the tenant into {s.src} from the delete's backup (there is nothing "
                f"left to remove in {s.tgt})."]
    if not w.source_has_tenant and not s.deleted_by_move:
        if not w.target_has_tenant:
            return [f"The tenant is in neither database, and this move did not delete it from {s.src}: there is "
                    f"nothing left for the move to do. Roll back ({s.rollback}) to close it; that touches neither "
                    "database."]
        if not j.delete_source and phase in ("importing", "imported", "verified"):
            return [lost + f" Resuming ({s.resume}) verifies the copy and finishes; the source is not touched."]
        return [lost]
    if phase in ("importing", "imported"):
        return _advice_imported(s)
    if phase == "verify_failed":
        return _advice_verify_failed(s)
    if phase in ("verified", "deleting"):
        return _advice_verified(s)
    return _advice_done(s)


def _advice_before_import(s: _State) -> list[str]:
    j, w = s.j, s.w
    nothing = "nothing was written to either database"
    if not w.source_has_tenant:
        return [f"This move cannot go on: the tenant is not in {s.src}. Roll back ({s.rollback}; {nothing}) to "
                "close it."]
    if s.in_tgt:
        return [f"A move never merges into an existing tenant, so resuming would be refused at the import. Either "
                f"remove the tenant from {s.tgt} (if it is a leftover) and resume ({s.resume}), or roll back "
                f"({s.rollback}; {nothing}, and the tenant in {s.tgt} is left as it is) and merge with `import` "
                "instead."]
    if s.blocked("import_refused"):
        return [_import_refused(s)]
    if s.stale:
        return [_stale(s, f"{w.source_rows:,} rows now, {w.exported_rows:,} exported",
                       f"roll back ({s.rollback}; {nothing}) and move again")]
    if j.phase == "planned":
        return [f"Resume to export ({s.resume}), or roll back ({s.rollback}; {nothing})."]
    return [f"Resume to import ({s.resume}), or roll back ({s.rollback}; {nothing})."]


def _import_refused(s: _State) -> str:
    file = s.j.options.get("decisions")
    edit = (f" The move reads its decisions file {file} again each time it goes on: deciding them there and "
            f"resuming ({s.resume}) works too." if file else "")
    return (f"The import was refused when this move last went on ({s.why['time']}): conflicts that the decisions "
            "the move was started with (its --default and --decisions) leave undecided, or models that changed "
            "since the export; a resume meets them again. Roll back "
            f"({s.rollback}; nothing of the import was written) and move again with the decisions needed "
            "(--default CLASS=DECISION, --decisions FILE)." + edit)


def _evidence(s: _State, reason: str, otherwise: str) -> str:
    """What shows that a copy changed: the differences a refused resume recorded (``reason``), or else
    ``otherwise`` (the row counts read now)."""
    if not s.blocked(reason):
        return otherwise
    return ("; ".join(s.why["details"][:3]) or "its checksum differs") + f"; found {s.why['time']}"


def _stale(s: _State, evidence: str, then: str) -> str:
    return (f"The copy in {s.tgt} is stale: the tenant changed in {s.src} since it was exported ({evidence}), and "
            f"the move deletes the source only while it equals the export, so resuming is refused. Stop writes to "
            f"the tenant, {then}.")


def _remove_copy(s: _State) -> str:
    """How to roll back, or why a rollback would be refused (the target's copy was changed)."""
    if s.target_differs:
        return (f"A rollback would refuse to remove the copy in {s.tgt}: it has {s.w.target_rows:,} rows where the "
                f"move wrote {s.written:,}, so it was changed since.")
    return f"Or roll back ({s.rollback}; removes the copy from {s.tgt}, {s.src} is not touched)."


def _advice_imported(s: _State) -> list[str]:
    w = s.w
    if s.j.phase == "importing" and not w.target_has_tenant:
        return [f"The import was interrupted and undone by the database (it is one transaction): resume to import "
                f"again ({s.resume}), or roll back ({s.rollback}; nothing to undo in either database)."]
    if not w.target_has_tenant:
        return [f"The import's copy is no longer in {s.tgt}. Roll back ({s.rollback}; nothing is left to remove) and "
                "move again."]
    committed = "The import had committed. " if s.j.phase == "importing" else ""
    if s.target_differs:
        return [f"{committed}The copy in {s.tgt} has {w.target_rows:,} rows where the export has "
                f"{w.exported_rows:,}, so it will not verify: resume ({s.resume}) to record the differences (the "
                f"move stops in verify_failed), then roll back, or repair the copy and resume again."]
    if s.stale:
        return [committed + _stale(s, f"{w.source_rows:,} rows now, {w.exported_rows:,} exported",
                                   f"roll back ({s.rollback}; removes the copy from {s.tgt}) and move again")]
    return [f"{committed}Resume to verify ({s.resume}). " + _remove_copy(s)]


def _advice_verify_failed(s: _State) -> list[str]:
    w = s.w
    if not w.target_has_tenant:
        return [f"Verification failed, and the copy is no longer in {s.tgt}. Roll back ({s.rollback}; nothing is left "
                "to remove) and move again."]
    if s.target_differs:
        return [f"Verification failed, and the copy in {s.tgt} changed since ({w.target_rows:,} rows, "
                f"{s.written:,} then), so a rollback refuses to remove it. Make it equal to the export and resume to "
                f"verify again ({s.resume}), or delete the tenant from {s.tgt} yourself and roll back."]
    return [f"Verification failed (the note says how): roll back ({s.rollback}; removes the differing copy from "
            f"{s.tgt}), or repair the copy in {s.tgt} and resume to verify again ({s.resume})."]


def _advice_verified(s: _State) -> list[str]:
    j, w = s.j, s.w
    if s.deleted_by_move:  # deleting, and the delete had committed: resume records it, a rollback restores
        committed = (f"The delete of the source had committed (the tenant is gone from {s.src}): resume to record "
                     f"it ({s.resume}; the move is then done).")
        if s.target_differs:
            return [f"{committed} The copy in {s.tgt} has changed since ({w.target_rows:,} rows, {s.written:,} "
                    f"moved): a rollback would restore {s.src} from its backup and then refuse to remove that copy, "
                    "leaving the tenant in both."]
        return [f"{committed} Or roll back ({s.rollback}; restores {s.src} from its backup, then removes the copy "
                f"from {s.tgt})."]
    was = ("The delete of the source was interrupted and undone by the database (it is one transaction). "
           if j.phase == "deleting" else "")
    if not w.target_has_tenant:
        return [f"{was}The verified copy is no longer in {s.tgt}, so the source is not deleted (resuming is "
                f"refused). Roll back ({s.rollback}; nothing is left to remove, {s.src} is not touched) and move "
                "again."]
    if not j.delete_source:
        return [f"Resume to finish ({s.resume}; the source is kept). " + _remove_copy(s)]
    if s.stale:
        evidence = _evidence(s, "source_changed", f"{w.source_rows:,} rows now, {w.exported_rows:,} exported")
        if s.target_differs:
            return [_stale(s, evidence, "and decide which copy is right") + " " + _remove_copy(s)]
        return [_stale(s, evidence, f"roll back ({s.rollback}; removes the stale copy from {s.tgt}, {s.src} is not "
                                    "touched) and move again")]
    if s.copy_changed:
        evidence = _evidence(s, "target_changed", f"{w.target_rows:,} rows where the move verified {s.written:,}")
        return [f"{was}The copy in {s.tgt} is no longer the one that was verified ({evidence}), so the source is "
                f"not deleted (resuming is refused): {s.src} may hold the only complete copy. Find out what changed "
                f"the copy in {s.tgt}; if it is to go, delete the tenant from {s.tgt} yourself (`tenant-console "
                f"--database {s.tgt} delete ...`), then roll back ({s.rollback}; {s.src} is not touched) and move "
                "again."]
    if s.blocked("delete_refused"):
        why = " ".join(s.why["details"]) or "see the note"
        return [f"{was}The delete of the source was refused when last tried ({s.why['time']}): {why} Resolve "
                f"that, then resume ({s.resume}). " + _remove_copy(s)]
    return [f"{was}Resume to delete the source ({s.resume}; only while it still equals the export). "
            + _remove_copy(s)]


def _advice_done(s: _State) -> list[str]:
    j, w = s.j, s.w
    if j.delete_source and s.deleted_by_move:
        if s.target_differs:
            return [f"The move is complete. The copy in {s.tgt} has changed since ({w.target_rows:,} rows, "
                    f"{s.written:,} moved): a rollback would restore {s.src} from its backup and then refuse to "
                    f"remove that copy, leaving the tenant in both. Nothing to do."]
        return [f"The move is complete; nothing to do. A rollback ({s.rollback}) would restore {s.src} from its "
                f"backup and remove the copy from {s.tgt}."]
    kept = "the source was kept" if not j.delete_source else f"the tenant is in {s.src} again"
    if not w.target_has_tenant:
        return [f"The move had completed, but its copy is no longer in {s.tgt}. Roll back ({s.rollback}; nothing is "
                f"left to remove, {s.src} is not touched) to close the move, and move again if needed."]
    if s.target_differs:
        return [f"The move is complete ({kept}); nothing to do. The copy in {s.tgt} has changed since "
                f"({w.target_rows:,} rows, {s.written:,} moved), so a rollback would refuse to remove it."]
    return [f"The move is complete ({kept}); nothing to do. A rollback ({s.rollback}) would remove the "
            f"copy from {s.tgt}; {s.src} is not touched."]
