"""Kill trials: a move SIGKILLed at every phase (and inside the import's and the delete's transactions)
is described truthfully by --status, and then either resumed to the end or rolled back completely."""

from __future__ import annotations

import pytest

SQLITE_TO_PG = pytest.param(("target", "postgres_target", True), id="sqlite-postgres")

#: (checkpoint, the journal's phase after the kill, where --status must say the tenant is)
POINTS = [
    ("export:start", "planned", "source"),
    ("export:written", "planned", "source"),
    ("import:plan", "exported", "source"),
    ("import:start", "importing", "source"),
    ("import:writing", "importing", "source"),  # inside the import's transaction
    ("import:committed", "importing", "both"),  # committed, the journal not yet told
    ("verify:start", "imported", "both"),
    ("delete:preview", "verified", "both"),
    ("delete:check", "deleting", "both"),  # inside the delete's transaction, after the backup
    ("delete:row", "deleting", "both"),  # inside the delete's transaction, rows being deleted
    ("delete:committed", "deleting", "target"),  # committed, the journal not yet told
]
ROLLBACK_AFTER = {"import:writing", "import:committed", "verify:start", "delete:row", "delete:committed"}


def killed_at(pair, point: str) -> None:
    pair.killed_at(point)


def where_sentence(pair, where: str) -> str:
    return {"source": f"The tenant is in {pair.source} only", "both": "The tenant is in BOTH databases",
            "target": f"The tenant is in {pair.target} only"}[where]


@pytest.mark.parametrize("pair", [SQLITE_TO_PG], indirect=True)
@pytest.mark.parametrize(("point", "phase", "where"), POINTS, ids=[p[0] for p in POINTS])
def test_killed_move_is_told_truthfully_then_resumed(pair, point, phase, where):
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    others = {k: v for k, v in pair.totals(pair.source).items() if k != "djangocon-lab"}
    killed_at(pair, point)
    journal = str(pair.tmp / "j" / "journal.json")
    assert pair.journal()["phase"] == phase
    status = pair.cli("move", "--status", journal)
    assert status.returncode == 0, status.stderr
    assert where_sentence(pair, where) in status.stdout, status.stdout
    # nothing half: each database holds the whole tenant or none of it
    for alias in (pair.source, pair.target):
        total = pair.digest(alias, pk).total
        assert total in (0, before.total), (alias, total, before.total)
    resumed = pair.cli("move", "--resume", journal)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert pair.journal()["phase"] == "done"
    assert pair.digest(pair.target, pk).as_dict() == before.as_dict()
    assert pair.digest(pair.source, pk).total == 0
    assert {k: v for k, v in pair.totals(pair.source).items()} == others


@pytest.mark.parametrize("pair", [SQLITE_TO_PG], indirect=True)
@pytest.mark.parametrize("point", sorted(ROLLBACK_AFTER))
def test_killed_move_is_rolled_back_completely(pair, point):
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    killed_at(pair, point)
    rolled = pair.cli("move", "--rollback", str(pair.tmp / "j" / "journal.json"))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert pair.journal()["phase"] == "rolled_back"
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()
    assert pair.digest(pair.target, pk).total == 0
    status = pair.cli("move", "--status", str(pair.tmp / "j"))
    assert where_sentence(pair, "source") in status.stdout
