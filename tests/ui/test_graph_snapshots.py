"""SVG snapshot of the graph browser (SQLite demo data; stable: no timings, no toasts)."""

from __future__ import annotations

import dataclasses

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.app import StartupSpec, TenantConsoleApp
from tenant_console.ui.graph.screen import GraphScreen
from tests.ui.conftest import SIZE, ready, screen_is, until
from tests.ui.test_graph_browser import _child, _expand, _planted


def test_snapshot_graph_browser(project, tmp_path, snap_compare):
    config = dataclasses.replace(project.config, state_dir=tmp_path)
    sqlite_project = dataclasses.replace(project, config=config, warnings=[])
    app = TenantConsoleApp(sqlite_project, startup=StartupSpec(scope_flags=[ScopeFlag("event__slug", "pycon-nordic")]),
                           extension_packages=("tenant_console.ui.graph",))

    async def before(pilot):
        await ready(pilot)
        _, sub_pk, _ = await _planted("default")
        # page of 3: the third review is the planted one from democon (its other-tenant marker shows)
        pilot.app.open_screen("graph", model_label="conference.Submission", pk=sub_pk, page_size=3)
        screen = await screen_is(pilot, GraphScreen)
        await until(pilot, lambda: screen.tree.loads >= 1 and screen.tree.root.children, "the root")
        await _expand(pilot, screen, _child(screen.tree.root, "reviews"))
        await until(pilot, lambda: screen.summary.runs >= 1, "the summary")
        await pilot.pause()  # a notification sent as the work ended is a queued message: let it arrive, then clear
        pilot.app.clear_notifications()
        screen.tree.move_cursor(_child(screen.tree.root, "reviews"))
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        app.close_session()
