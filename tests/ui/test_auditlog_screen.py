"""The audit-log screen: `:log` typed at full speed shows this database's acts newest first; / filters."""

from __future__ import annotations

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.auditlog.screen import AuditLogScreen
from tests.ui.conftest import SIZE, ready, screen_is, until

AUDITLOG = ("tenant_console.ui.auditlog",)


async def test_log_lists_this_databases_acts_and_filters(sqlite_ui_project, make_app) -> None:
    project = sqlite_ui_project
    project.audit.record("export", outcome="refused", scope={"event": "1"}, database="default",
                         reason="cross-tenant references")
    app = make_app(project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=AUDITLOG)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"log", "enter")  # no pauses between keys
        screen = await screen_is(pilot, AuditLogScreen)
        await until(pilot, lambda: screen.loaded >= 1, "the records")
        actions = [(e.action, e.outcome) for e in screen.page.entries]
        assert actions[0] == ("scope_activated", "ok")  # the console's own start, newest first
        assert ("export", "refused") in actions
        table = screen.query_one("DataTable")
        assert table.row_count == len(screen.page.entries)
        await pilot.press("slash", *"refused", "enter")
        await until(pilot, lambda: screen.loaded >= 2, "the filtered records")
        # newest first: this test's refused export; older records of other tests may match the word too
        assert (screen.page.entries[0].action, screen.page.entries[0].outcome) == ("export", "refused")
        assert all(e.matches("refused") for e in screen.page.entries)
        await pilot.press("enter")  # the whole record
        await pilot.pause()
        assert "cross-tenant references" in str(screen.query_one("#log-record").render())
