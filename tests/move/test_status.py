"""``move --status`` advises only steps that work: each state is reached by a real move on real databases,
the advice is read, the step it says would be refused is refused, and the step it advises succeeds.

The operator trial on pretix/pretalx found three lies: "Resume to delete the source" after the delete
was refused because the copy was stale, rollback advice after a finished rollback (and a second
rollback printing "Done in 0.24s ()"), and "Resume to import" with the tenant already in the target.
The last test goes through every phase and every place the tenant can be, on ``describe`` alone.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tenant_console.core.move import Journal, Where, describe

PAIRS = [
    pytest.param(("default", "target", False), id="sqlite-sqlite"),
    pytest.param(("target", "postgres_target", True), id="sqlite-postgres"),
]
SLUG = "djangocon-lab"


def advice(stdout: str) -> str:
    """The status without its notes (what happened, not what to do)."""
    return "\n".join(line for line in stdout.splitlines() if not line.lstrip().startswith("note"))


def suggests_rollback(text: str) -> bool:
    low = text.lower()
    return "--rollback" in low or "roll back" in low or "rollback (" in low


def suggests_resume(text: str) -> bool:
    low = text.lower()
    return "--resume" in low or "resume to" in low


def retitle(pk: object) -> None:
    """Change one submission of the tenant without changing any row count (only the checksum shows it)."""
    from conference.models import Submission

    sub = Submission._base_manager.filter(event_id=pk).order_by("pk").first()
    assert sub is not None
    Submission._base_manager.filter(pk=sub.pk).update(title=sub.title + " (changed during the move)")


@pytest.mark.parametrize("pair", PAIRS, indirect=True)
def test_a_stale_copy_is_told_rolled_back_and_moved_again(pair):
    pk = pair.event_pk()
    pair.killed_at("delete:preview")  # verified; the source not deleted yet
    journal = str(pair.tmp / "j" / "journal.json")
    shown = str(Path(journal).resolve())
    pair.write(pair.source, retitle, pk)
    changed = pair.digest(pair.source, pk)
    refused = pair.cli("move", "--resume", journal)
    assert refused.returncode == 1 and "is stale" in refused.stderr, refused.stdout + refused.stderr
    state = pair.journal()
    assert state["phase"] == "verified" and state["blocked"]["reason"] == "source_changed", state["blocked"]
    assert any("submission" in d for d in state["blocked"]["details"]), state["blocked"]

    status = pair.cli("move", "--status", journal)
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert "Resume to delete" not in out and "Resume to finish" not in out, out
    assert "is stale" in out and "STALE" in out and "resuming is refused" in out, out
    assert f"roll back (--rollback {shown}" in out and "move again" in out, out
    # what status says is refused is refused: the blocked state is kept, the source untouched
    again = pair.cli("move", "--resume", journal)
    assert again.returncode == 1 and "is stale" in again.stderr
    assert pair.digest(pair.source, pk).as_dict() == changed.as_dict()

    # what status advises works: the stale copy is removed, the source is not touched
    rolled = pair.cli("move", "--rollback", journal)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert pair.journal()["phase"] == "rolled_back" and pair.journal()["blocked"] is None
    assert pair.digest(pair.target, pk).total == 0
    assert pair.digest(pair.source, pk).as_dict() == changed.as_dict()

    # after the rollback, no line (notes, the where sentence) suggests another rollback or a resume
    after = pair.cli("move", "--status", journal)
    assert after.returncode == 0, after.stderr
    assert f"The tenant is in {pair.source} only" in after.stdout, after.stdout
    assert "was rolled back: nothing is left to do" in after.stdout, after.stdout
    assert not suggests_rollback(after.stdout) and not suggests_resume(after.stdout), after.stdout
    history = len(pair.journal()["history"])
    second = pair.cli("move", "--rollback", journal)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already rolled back" in second.stdout and "nothing to do" in second.stdout, second.stdout
    assert "()" not in second.stdout and "Done in" not in second.stdout, second.stdout
    assert len(pair.journal()["history"]) == history  # nothing was done, nothing journaled
    resumed = pair.cli("move", "--resume", journal)
    assert resumed.returncode == 1 and "Start a new move" in resumed.stderr
    assert "Finish the rollback" not in resumed.stderr, resumed.stderr

    # "and move again": a new move takes the tenant as it is now
    moved = pair.move("--delete-source", "--confirm-tenant", SLUG, journal="j2")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "()" not in moved.stdout
    assert pair.digest(pair.target, pk).as_dict() == changed.as_dict()
    assert pair.digest(pair.source, pk).total == 0


@pytest.mark.parametrize("pair", PAIRS, indirect=True)
def test_a_target_that_holds_the_tenant_already_is_not_resumed_into(pair):
    pk = pair.event_pk()
    first = pair.move(journal="first")  # the tenant is now in the target (and kept in the source)
    assert first.returncode == 0, first.stdout + first.stderr
    held = pair.digest(pair.target, pk)
    second = pair.move(journal="second")
    assert second.returncode == 1 and "already exists" in second.stderr, second.stdout + second.stderr
    journal = str(pair.tmp / "second" / "journal.json")
    shown = str(Path(journal).resolve())
    assert pair.journal("second")["phase"] == "exported"

    status = pair.cli("move", "--status", journal)
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert "Resume to import" not in out, out
    assert "BOTH databases, but not through this move" in out and "resuming would be refused" in out, out
    assert f"roll back (--rollback {shown}; nothing was written" in out, out
    refused = pair.cli("move", "--resume", journal)
    assert refused.returncode == 1 and "already exists" in refused.stderr
    assert pair.digest(pair.target, pk).as_dict() == held.as_dict()

    # the advised rollback works and leaves the tenant in the target as it was: it is not this move's
    rolled = pair.cli("move", "--rollback", journal)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert pair.digest(pair.target, pk).as_dict() == held.as_dict()
    after = pair.cli("move", "--status", journal).stdout
    assert "not this move's copy" in after and not suggests_rollback(after) and not suggests_resume(after), after

    # the other advised way: remove the tenant from the target first, then resume
    third = pair.move(journal="third")
    assert third.returncode == 1 and "already exists" in third.stderr
    assert pair.cli("move", "--rollback", str(pair.tmp / "first")).returncode == 0  # removes the first copy
    assert pair.digest(pair.target, pk).total == 0
    journal3 = str(pair.tmp / "third" / "journal.json")
    status3 = pair.cli("move", "--status", journal3).stdout
    assert "Resume to import" in status3 and "BOTH" not in status3, status3
    resumed = pair.cli("move", "--resume", journal3)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert pair.journal("third")["phase"] == "done"
    assert pair.digest(pair.target, pk).as_dict() == held.as_dict()


@pytest.mark.parametrize("pair", PAIRS[:1], indirect=True)
def test_the_source_is_not_deleted_once_the_targets_copy_is_gone(pair):
    from tests.conftest import flush

    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    pair.killed_at("delete:preview")
    journal = str(pair.tmp / "j" / "journal.json")
    flush(pair.target)  # the verified copy is removed behind the move's back
    status = pair.cli("move", "--status", journal).stdout
    assert "no longer in" in status and "Resume to delete" not in status and "--rollback" in status, status
    refused = pair.cli("move", "--resume", journal)
    assert refused.returncode == 1 and "no longer in" in refused.stderr, refused.stdout + refused.stderr
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()  # the only copy is kept
    assert pair.journal()["blocked"]["reason"] == "target_missing"
    rolled = pair.cli("move", "--rollback", journal)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()


def gut(pk: object) -> int:
    """Delete the tenant's submissions (the tenant object stays): the copy is emptied behind the move's back."""
    from conference.models import Submission

    n = Submission._base_manager.filter(event_id=pk).count()
    assert n
    Submission._base_manager.filter(event_id=pk).delete()
    return n


@pytest.mark.parametrize("pair", PAIRS, indirect=True)
def test_the_source_is_not_deleted_once_the_targets_verified_copy_was_gutted(pair):
    """The review's case: verified, then the target's copy emptied (its tenant object kept). A resume used to
    delete the source (it only looked for the tenant object) and status advised that resume."""
    from tests.conftest import flush

    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    pair.killed_at("delete:preview")  # verified; the source not deleted yet
    journal = str(pair.tmp / "j" / "journal.json")
    shown = str(Path(journal).resolve())
    assert pair.journal()["phase"] == "verified"
    pair.write(pair.target, gut, pk)
    gutted = pair.digest(pair.target, pk)

    status = pair.cli("move", "--status", journal)
    assert status.returncode == 0, status.stderr
    out = advice(status.stdout)
    assert "Resume to delete" not in out and "UNVERIFIED or differing copy" in out, out
    assert "no longer the one that was verified" in out and "resuming is refused" in out, out

    refused = pair.cli("move", "--resume", journal)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "no longer the one that was verified" in refused.stderr and "Nothing was deleted" in refused.stderr
    state = pair.journal()
    assert state["phase"] == "verified" and state["blocked"]["reason"] == "target_changed", state["blocked"]
    assert any("conference.submission" in d for d in state["blocked"]["details"]), state["blocked"]
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()  # every row kept
    assert pair.totals(pair.source)[SLUG] == before.models["conference.submission"].count
    assert pair.digest(pair.target, pk).as_dict() == gutted.as_dict()
    again = pair.cli("move", "--resume", journal)  # refused as often as it is tried
    assert again.returncode == 1 and pair.digest(pair.source, pk).as_dict() == before.as_dict()

    after = advice(pair.cli("move", "--status", journal).stdout)
    assert "Resume to delete" not in after and "no longer the one that was verified" in after, after
    assert f"roll back (--rollback {shown}" in after, after
    # the advice works: the changed copy removed by hand, the rollback closes the move, the source untouched
    flush(pair.target)
    rolled = pair.cli("move", "--rollback", journal)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert pair.journal()["phase"] == "rolled_back"
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()


@pytest.mark.parametrize("pair", PAIRS[:1], indirect=True)
def test_a_target_copy_changed_with_equal_counts_is_found_inside_the_delete(pair):
    """Counts cannot show a changed row: status advises the resume, and the delete's check in its transaction
    (the target's checksum against the verified one) refuses it; status then tells it from the journal."""
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    pair.killed_at("delete:preview")
    journal = str(pair.tmp / "j" / "journal.json")
    pair.write(pair.target, retitle, pk)
    assert pair.digest(pair.target, pk).total == before.total
    refused = pair.cli("move", "--resume", journal)
    assert refused.returncode == 1 and "no longer the one that was verified" in refused.stderr, refused.stderr
    assert "checksum" in refused.stderr, refused.stderr
    assert pair.journal()["blocked"]["reason"] == "target_changed"
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()
    status = advice(pair.cli("move", "--status", journal).stdout)
    assert "Resume to delete" not in status and "no longer the one that was verified" in status, status
    assert "UNVERIFIED or differing copy" in status, status


@pytest.mark.parametrize("pair", PAIRS[:1], indirect=True)
def test_a_decisions_file_that_cannot_be_read_is_not_a_recorded_refusal(pair):
    """A --decisions file that is missing is bad input a resume can find fixed: not recorded as
    import_refused, so status advises the resume, and the resume works once the file is there."""
    from tenant_console.core.importer.decisions import FORMAT

    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    decisions = pair.tmp / "decisions.json"
    started = pair.move("--decisions", str(decisions))
    assert started.returncode == 2 and "does not exist" in started.stderr, started.stdout + started.stderr
    state = pair.journal()
    assert state["phase"] == "exported" and state["blocked"] is None, state["blocked"]
    journal = str(pair.tmp / "j" / "journal.json")
    status = advice(pair.cli("move", "--status", journal).stdout)
    assert "Resume to import" in status and "import was refused" not in status, status

    decisions.write_text(json.dumps({"format": FORMAT, "export": {"sha256": state["export"]["sha256"]}}))
    resumed = pair.cli("move", "--resume", journal)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert pair.journal()["phase"] == "done"
    assert pair.digest(pair.target, pk).as_dict() == before.as_dict()


def clash(track_pk: object) -> None:
    """A track of another event in the target with the key of one of the tenant's tracks: a key clash the move's
    decisions (none) leave undecided."""
    import datetime as dt

    from conference.models import Event, Track

    other = Event._base_manager.create(name="Intruder", slug="intruder", date_from=dt.date(2030, 1, 1),
                                       date_to=dt.date(2030, 1, 2))
    Track._base_manager.create(pk=track_pk, event=other, name="Intruder track")


def unclash() -> None:
    from conference.models import Event, Track

    Track._base_manager.filter(event__slug="intruder").delete()
    Event._base_manager.filter(slug="intruder").delete()


def first_track(pk: object) -> object:
    from conference.models import Track

    return Track._base_manager.filter(event_id=pk).order_by("pk").values_list("pk", flat=True).first()


@pytest.mark.parametrize("pair", PAIRS, indirect=True)
def test_an_import_refused_on_resume_is_never_taken_for_this_moves_import(pair):
    """Killed inside the import (phase importing), resumed into undecided conflicts: the phase goes back to
    exported (nothing written). Once someone else imports the tenant into the target, a resume is refused
    (a move never merges) and a rollback leaves that tenant alone; the source keeps every row. A journal of an
    older console, which kept the phase importing, is treated the same."""
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    pair.killed_at("import:start")  # with --delete-source
    journal = str(pair.tmp / "j" / "journal.json")
    assert pair.journal()["phase"] == "importing"
    pair.write(pair.target, clash, pair.read(pair.source, first_track, pk))
    refused = pair.cli("move", "--resume", journal)
    assert refused.returncode == 1 and "conflicts have no decision" in refused.stderr, refused.stdout + refused.stderr
    state = pair.journal()
    assert state["phase"] == "exported" and state["blocked"]["reason"] == "import_refused", state
    status = advice(pair.cli("move", "--status", journal).stdout)
    assert "import was refused" in status and not suggests_resume(status), status

    pair.write(pair.target, unclash)
    other = pair.move(journal="other")  # someone else imports the tenant (kept in the source)
    assert other.returncode == 0, other.stdout + other.stderr
    held = pair.digest(pair.target, pk)
    assert held.as_dict() == before.as_dict()
    status = advice(pair.cli("move", "--status", journal).stdout)
    assert "not through this move" in status and "Resume to delete" not in status, status

    path = pair.tmp / "j" / "journal.json"
    for older in (False, True):  # the journal as it is now, then as an older console left it: phase importing
        if older:
            old = pair.journal()
            old["phase"] = "importing"
            path.write_text(json.dumps(old))
        resumed = pair.cli("move", "--resume", journal)
        assert resumed.returncode == 1 and "already exists" in resumed.stderr, resumed.stdout + resumed.stderr
        assert pair.digest(pair.source, pk).as_dict() == before.as_dict()  # never deleted
        assert pair.digest(pair.target, pk).as_dict() == held.as_dict()
        assert pair.journal()["phase"] == ("importing" if older else "exported")
        status = advice(pair.cli("move", "--status", journal).stdout)
        assert "not through this move" in status and "The import had committed" not in status, status
    rolled = pair.cli("move", "--rollback", journal)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert pair.journal()["phase"] == "rolled_back"
    assert pair.digest(pair.target, pk).as_dict() == held.as_dict()  # not this move's: left as it is
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()


@pytest.mark.parametrize("pair", PAIRS[:1], indirect=True)
def test_nothing_to_do_keeps_the_keys_of_every_json_result(pair):
    """--resume of a finished move, --rollback of a rolled-back one, with --json: the keys a move's result has
    (digests, where the tenant is now, timings), and nothing_to_do; nothing is journaled."""
    pk = pair.event_pk()
    moved = pair.move("--json")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    first = json.loads(moved.stdout)
    journal = str(pair.tmp / "j" / "journal.json")
    history = len(pair.journal()["history"])
    done = pair.cli("move", "--resume", journal, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    again = json.loads(done.stdout)
    assert set(again) == set(first) | {"nothing_to_do"} and again["nothing_to_do"] is True, again
    assert again["phase"] == "done" and again["mode"] == "resume"
    assert again["source_digest"] == first["source_digest"] and again["target_digest"] == first["target_digest"]
    assert again["now"]["target_rows"] == pair.digest(pair.target, pk).total == first["now"]["target_rows"]
    assert len(pair.journal()["history"]) == history

    assert pair.cli("move", "--rollback", journal).returncode == 0
    rolled = pair.cli("move", "--rollback", journal, "--json")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    over = json.loads(rolled.stdout)
    assert set(over) == set(first) | {"nothing_to_do"} and over["nothing_to_do"] is True, over
    assert over["phase"] == "rolled_back" and over["now"]["target_rows"] == 0
    assert over["now"]["source_rows"] == pair.digest(pair.source, pk).total


# -- every phase, every place: describe() alone, on journals and counts as the move writes them ---------------

PHASES = ("planned", "exported", "importing", "imported", "verified", "verify_failed", "deleting", "done",
          "restoring_source", "source_restored", "removing_target", "rolled_back")
PLACES = {"both": (True, True), "source": (True, False), "target": (False, True), "neither": (False, False)}
DIGEST = {"conference.submission": {"count": 10, "links": 0, "checksum": "0" * 32}}


def journal_at(tmp: Path, phase: str, delete_source: bool, blocked: str | None = None) -> Journal:
    from tenant_console.core.move.journal import refusal

    j = Journal(path=tmp / "journal.json", id="0123456789abcdef", settings="tests.settings", tenant={"event": "1"},
                tenant_label="DjangoCon Lab", tenant_slug=SLUG, source={"alias": "default", "db": {}},
                target={"alias": "target", "db": {}}, options={"delete_source": delete_source}, phase=phase)
    if phase != "planned":
        j.export = {"file": "tenant.jsonl.gz", "sha256": "0" * 64}
        j.source_digest = DIGEST
    if phase in ("verified", "verify_failed", "deleting", "done", "restoring_source", "source_restored",
                 "removing_target", "rolled_back"):
        j.target_digest = DIGEST
    if blocked:
        j.blocked = refusal(blocked, ["conference.submission: checksum differs"])
    return j


def where_at(phase: str, place: str, rows: int = 10, target_rows: int | None = None) -> Where:
    src, tgt = PLACES[place]
    return Where(phase=phase, source_rows=rows if src else 0,
                 target_rows=(rows if target_rows is None else target_rows) if tgt else 0, source_has_tenant=src,
                 target_has_tenant=tgt, exported_rows=None if phase == "planned" else 10, source_counts={},
                 target_counts={})


@pytest.mark.parametrize(("phase", "place", "delete_source", "target_rows"),
                         list(itertools.product(PHASES, PLACES, (False, True), (10, 7))))
def test_every_phase_and_place_gets_advice_that_can_work(tmp_path, phase, place, delete_source, target_rows):
    """``target_rows`` 7: the target's copy has other row counts than the move wrote (changed since)."""
    lines = describe(journal_at(tmp_path, phase, delete_source), where_at(phase, place, target_rows=target_rows))
    text = "\n".join(lines)
    assert "()" not in text
    where = lines[2]
    assert where.startswith("The tenant is in "), lines
    src, tgt = PLACES[place]
    assert ("BOTH" in where) == (src and tgt) and ("NEITHER" in where) == (not src and not tgt), where
    if phase == "rolled_back":
        assert not suggests_rollback(text) and not suggests_resume(text), text
    if phase in ("restoring_source", "source_restored", "removing_target"):
        assert not suggests_resume(text), text  # a rollback in progress cannot be resumed
        assert ("--rollback" in text) == (src or not tgt or phase == "restoring_source"), text
    if phase in ("planned", "exported") and tgt:  # the import refuses a target that holds the tenant
        assert "Resume to import" not in text and "Resume to export" not in text, text
    if not src and tgt and phase not in ("planned", "exported", "rolled_back", "restoring_source") and not (
            delete_source and phase in ("deleting", "done")):
        # the source lost the tenant without this move: the target's copy may be the only one
        assert "--rollback" not in text and "Do not roll back" in text, text
    if phase in ("deleting", "done") and delete_source and place == "target":
        assert f"The tenant is in {'target'} only (moved; deleted from default" in where, where
    if phase in ("verified", "deleting") and delete_source and not tgt:  # the source is never deleted then
        assert "Resume to delete" not in text, text
    if phase in ("verified", "deleting") and tgt and target_rows != 10:  # nor once the verified copy changed
        assert "Resume to delete" not in text, text
        if src and delete_source:
            assert "no longer the one that was verified" in text and "resuming is refused" in text, text
            assert "BOTH" in where and "UNVERIFIED or differing copy" in where, where


@pytest.mark.parametrize("reason", ["source_changed", "delete_refused", "import_refused", "target_changed"])
def test_a_refusal_is_told_from_the_journal_not_the_notes(tmp_path, reason):
    if reason == "import_refused":  # the move's decisions leave conflicts undecided: a resume cannot change them
        for phase in ("exported", "importing"):
            text = "\n".join(describe(journal_at(tmp_path, phase, False, blocked=reason), where_at(phase, "source")))
            assert "import was refused" in text and "Resume" not in text and "resume to" not in text, text
            assert "Roll back (--rollback" in text and "--decisions FILE" in text, text
        j = journal_at(tmp_path, "exported", False, blocked=reason)
        j.options["decisions"] = "/srv/d.json"  # the decisions file is read again by each resume
        text = "\n".join(describe(j, where_at("exported", "source")))
        assert "import was refused" in text and "deciding them there and resuming (--resume" in text, text
        # an older journal: refused in phase importing, and then the tenant appears in the target (not this move's)
        j = journal_at(tmp_path, "importing", True, blocked=reason)
        text = "\n".join(describe(j, where_at("importing", "both")))
        assert "not through this move" in text and "had committed" not in text and "Resume to" not in text, text
        return
    lines = describe(journal_at(tmp_path, "verified", True, blocked=reason), where_at("verified", "both"))
    text = "\n".join(lines)
    if reason == "source_changed":  # equal row counts: only the journal's record shows the copy is stale
        assert "is stale" in text and "Resume to delete" not in text and "roll back (--rollback" in text, text
    elif reason == "target_changed":  # equal row counts: only the journal's record shows the copy changed
        assert "no longer the one that was verified" in text and "Resume to delete" not in text, text
        assert "conference.submission: checksum differs" in text and "UNVERIFIED" in text, text
    else:
        assert "was refused when last tried" in text and "Resolve that, then resume" in text, text


def test_counts_show_a_changed_source_and_a_changed_target(tmp_path):
    stale = "\n".join(describe(journal_at(tmp_path, "verified", True),
                               Where("verified", 11, 10, True, True, 10, {}, {})))
    assert "is stale" in stale and "11 rows now, 10 exported" in stale and "Resume to delete" not in stale, stale
    changed = "\n".join(describe(journal_at(tmp_path, "done", False), Where("done", 10, 12, True, True, 10, {}, {})))
    assert "would refuse to remove it" in changed and "--rollback" not in changed, changed


def test_a_journal_keeps_the_refusal_and_refuses_a_malformed_one(tmp_path):
    from tenant_console.core.move import JournalError, load_journal, new_journal

    j = new_journal(tmp_path / "m", settings="tests.settings", tenant={"event": "1"}, tenant_label="L",
                    tenant_slug=SLUG, source={"alias": "default", "db": {}}, target={"alias": "target", "db": {}},
                    options={"delete_source": True})
    j.block("source_changed", ["conference.submission: checksum differs"])
    assert load_journal(j.path).blocked == j.blocked
    j.set_phase("verified")  # a refusal belongs to the phase it was met in
    assert load_journal(j.path).blocked is None
    data = json.loads(j.path.read_text())
    data["blocked"] = {"reason": "whatever", "time": "now", "details": []}
    j.path.write_text(json.dumps(data))
    with pytest.raises(JournalError, match="'blocked'"):
        load_journal(j.path)


def test_after_a_rollback_the_notes_of_the_undone_move_are_not_shown(tmp_path):
    """A journal of an older console kept the refusal's advice as a note ('roll back (--rollback ...) and move
    again'); once rolled back, only the rollback's own notes are shown."""
    j = journal_at(tmp_path, "rolled_back", True)
    j.history = [{"time": "t", "phase": "verified", "note": "... so the copy in target is stale; nothing was deleted. "
                  "Stop writes to the tenant, roll back (--rollback j) and move again."},
                 {"time": "t", "phase": "rolled_back", "note": "55 shared rows the import created in target were left"}]
    text = "\n".join(describe(j, where_at("rolled_back", "source")))
    assert not suggests_rollback(text) and "note (rolled_back): 55 shared rows" in text, text
