"""The console with an audit log it cannot write: a clear message, nothing done, no crash."""

from __future__ import annotations

import dataclasses

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.core.audit import AuditTrail
from tenant_console.ui.screens.dialogs import DisableScopesDialog
from tests.core.test_audit import unwritable_audit_path
from tests.ui.conftest import SIZE, notifications, ready, screen_is, until


async def test_disabling_scopes_and_switching_tenant_refused_without_an_audit_trail(sqlite_ui_project, make_app,
                                                                                     tmp_path):
    trail = AuditTrail(tmp_path / "audit.jsonl", sqlite_ui_project.settings_module, sqlite_ui_project.alias)
    ui_project = dataclasses.replace(sqlite_ui_project, audit=trail)
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = app.scope
        assert before.is_active
        bad = unwritable_audit_path(tmp_path, "parent_is_a_file")
        trail.path = bad
        await pilot.press("colon", *"disable", "enter")
        await screen_is(pilot, DisableScopesDialog)
        await pilot.press(*"DISABLE", "enter")
        await until(pilot, lambda: any(str(bad) in m for m in notifications(app)), "the audit error")
        assert any("disabling scopes was not done" in m for m in notifications(app))
        assert app.scope == before and not app.scope.disabled and app.session.scope == before
        await pilot.press("colon", *"tenant opsfest", "enter")
        await until(pilot, lambda: any("the scope change was not done" in m for m in notifications(app)),
                    "the second audit error")
        assert app.scope == before and app.session.scope == before
        assert app.is_running
