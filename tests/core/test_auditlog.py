"""Reading the audit trail back: newest first, acts folded with their outcome, bounded, damage-tolerant."""

from __future__ import annotations

import json
from pathlib import Path

from tenant_console.core.audit import AuditTrail
from tenant_console.core.auditlog import BLOCK, recent


def test_acts_fold_with_their_outcome_newest_first(tmp_path: Path):
    trail = AuditTrail(tmp_path / "audit.jsonl", "tests.settings", "default")
    with trail.act("export", scope={"event": "1"}, database="default"):
        pass
    act = trail.begin("import", scope={"event": "2"}, database="default")  # never ended: the process died
    trail.record("delete", outcome="refused", scope={"event": "1"}, database="default", reasons=["other tenant"])
    page = recent(trail.path)
    assert [(e.action, e.outcome) for e in page.entries] == [("delete", "refused"), ("import", "started"),
                                                             ("export", "ok")]
    assert page.entries[0].scope == "event=1" and "reasons=" in page.entries[0].details
    assert page.entries[1].record["act"] == act.id
    assert [e.action for e in recent(trail.path, text="refused other").entries] == ["delete"]


def test_only_this_database_and_damaged_lines_are_skipped(tmp_path: Path):
    path = tmp_path / "audit.jsonl"
    trail = AuditTrail(path, "tests.settings", "default")
    trail.record("verify", database="default")
    with path.open("a") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({"action": "export", "outcome": "ok", "db": {"vendor": "postgresql", "host": "x",
                                                                         "port": "5432", "name": "prod"}}) + "\n")
        fh.write('["a list"]\n')
    mine = recent(path, database=trail.identity("default"))
    assert [e.action for e in mine.entries] == ["verify"] and mine.damaged == 2
    assert [e.action for e in recent(path).entries] == ["export", "verify"]


def test_reading_costs_what_is_shown_not_the_file_size(tmp_path: Path):
    path = tmp_path / "audit.jsonl"
    line = json.dumps({"time": "2026-01-01T00:00:00", "action": "repl_input", "outcome": "ok", "code": "x" * 200})
    with path.open("w") as fh:
        for _ in range(300_000):  # ~70 MB of trail
            fh.write(line + "\n")
        fh.write(json.dumps({"action": "delete", "outcome": "ok"}) + "\n")
    page = recent(path, limit=50)
    assert page.entries[0].action == "delete" and len(page.entries) == 50 and page.more
    # the last 50 lines are in the last block or two of a ~70 MB file
    assert page.bytes_read <= 2 * BLOCK < path.stat().st_size / 100
    assert recent(tmp_path / "missing.jsonl").entries == []
    assert recent(None).entries == []
