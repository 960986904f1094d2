"""`:save FILE` writes the object list on screen (filter, order, tenant) as CSV or JSON, 0600, audited."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.objects import ObjectListScreen
from tests.ui.conftest import SIZE, notifications, ready, screen_is, until

SAVE = ("tenant_console.ui.savelist",)


async def test_save_the_filtered_list_as_csv_and_json(sqlite_ui_project, make_app, tmp_path: Path) -> None:
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=SAVE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Submission", "state=accepted")
        screen = await screen_is(pilot, ObjectListScreen)
        await until(pilot, lambda: screen.table.cache.row(0) is not None, "rows")
        await until(pilot, lambda: screen.table.state.total is not None, "the count")
        total = screen.table.state.total
        out = tmp_path / "accepted.csv"
        await pilot.press("colon", *f"save {out}", "enter")  # typed at full speed
        await until(pilot, lambda: out.exists(), "the file")
        await until(pilot, lambda: any("Saved" in n for n in notifications(app)), "the notification")
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
        assert len(rows) == total and rows and all(r["state"] == "Accepted" for r in rows)  # display values
        assert "event" in rows[0] and "DemoCon" in rows[0]["event"]  # foreign keys by their labels
        js = tmp_path / "accepted.json"
        await pilot.press("colon", *f"save {js}", "enter")
        await until(pilot, lambda: js.exists(), "the JSON file")
        data = json.loads(js.read_text())
        assert [r["pk"] for r in data] == [int(r["pk"]) for r in rows]
        await pilot.press("colon", *f"save {out}", "enter")  # never overwrites silently
        await until(pilot, lambda: any("already exists" in n for n in notifications(app)), "the refusal")
        records = [r for r in sqlite_ui_project.audit.read() if r["action"] == "save_list"]
        assert [r["outcome"] for r in records] == ["started", "ok", "started", "ok", "started", "error"]
        assert records[1]["rows"] == total and records[1]["filter"] == "state=accepted"
