"""Cloning a tenant inside one database (issue 12): every unique field and constraint is resolved.

edgeproj's Talk has two unique fields (``code`` and ``review_code``, as pretalx's Submission),
``unique_together`` with the tenant, and Slot a multi-column unique constraint without it
(``room``, ``start``). The demo's clone is in ``tests/importer/test_retarget.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.edge_project import cli, probe

RENAMED = {"fest.talk": ("code", "review_code"), "fest.slot": ("room",), "fest.photo": ()}


def _export(db: dict[str, str], tmp_path: Path, slug: str = "democon") -> Path:
    path = tmp_path / f"{slug}.jsonl.gz"
    done = cli(db, "export", f"--festival__slug={slug}", "-o", str(path), "--json")
    assert done.returncode == 0, done.stderr
    return path


def test_clone_of_the_largest_tenant_is_complete_and_the_source_untouched(edge_db, tmp_path):
    before = probe(edge_db)
    path = _export(edge_db, tmp_path)
    done = cli(edge_db, "import", str(path), "--new-tenant", "slug=democon-copy", "--apply", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    after = probe(edge_db)
    # The source (and every other tenant) is untouched; the copy has as many rows of every model.
    for slug, rows in before["rows"].items():
        assert after["rows"][slug] == rows, slug
    assert after["counts"]["democon-copy"] == before["counts"]["democon"]
    assert after["festivals"]["democon-copy"] == "DemoCon"
    # Every clashing unique column got a fresh value (both unique fields of a talk, the room of a
    # slot); everything else is copied as it was.
    for label, renamed in RENAMED.items():
        source, copy = before["rows"]["democon"][label], after["rows"]["democon-copy"][label]
        for old, new in zip(source, copy, strict=True):
            for name in renamed:
                assert new[name] != old[name] and new[name].startswith(old[name]), (label, name)
            assert {k: v for k, v in new.items() if k not in renamed} == {
                k: v for k, v in old.items() if k not in renamed}
    # Slots that shared a room share the renamed room (one new value per original value).
    rooms = {(o["room"], n["room"]) for o, n in zip(before["rows"]["democon"]["fest.slot"],
                                                      after["rows"]["democon-copy"]["fest.slot"], strict=True)}
    assert len(rooms) == len({old for old, _ in rooms}) == 2, rooms
    renamed_fields = {name for fields in report["report"]["renamed"].values() for name in fields}
    assert {"code", "review_code", "room"} <= renamed_fields, report

