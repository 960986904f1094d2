"""The banner at narrow and wide terminals: the scope and the read-only state never leave it, and the
breadcrumb keeps its last crumb at 80 columns (issue 13, "Wide and awkward data")."""

from __future__ import annotations

import pytest

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.objects import ObjectListScreen
from tenant_console.ui.widgets.banner import banner_line
from tests.ui.conftest import banner_text, ready, screen_is, until

SCOPE = "event: DemoCon 2026 (democon)"
SHORT = "DemoCon 2026 (democon)"
CRUMBS = ["Models", "conference.Submission", "#41"]


def _line(width: int, *, crumbs=CRUMBS, busy=False, database="default (postgresql)", state="READ-ONLY") -> str:
    text = banner_line(scope=SCOPE, short_scope=SHORT, database=database, state=state, state_style="bold",
                       crumbs=crumbs, busy=busy, width=width)
    assert text.cell_len <= width, f"{text.plain!r} is wider than {width}"
    return text.plain


def test_wide_banner_shows_everything():
    line = _line(200, busy=True)
    assert line == (f"{SCOPE}  │  default (postgresql)  │  READ-ONLY  │  Models › conference.Submission › #41"
                    "  │  ⏳ working… ctrl+x cancels")


@pytest.mark.parametrize("width", [58, 60, 70, 78, 90, 100, 120, 138])
@pytest.mark.parametrize("busy", [False, True])
def test_scope_and_state_stay_at_every_width(width, busy):
    line = _line(width, busy=busy)
    assert SHORT in line and "READ-ONLY" in line
    if busy:
        assert "⏳" in line
    if width >= 78:
        assert line.endswith("#41") or line.endswith("ctrl+x") or line.endswith("cancels")
        assert "conference.Submission › #41" in line or "… › #41" in line


def test_database_label_gives_way_before_the_last_crumb():
    line = _line(78, crumbs=["Models", "conference.Submission", "graph conference.Submission #41"])
    assert "graph conference.Submission #41" in line and "READ-ONLY" in line and SHORT in line
    assert "postgresql" not in line


def test_too_narrow_for_anything_but_scope_and_state():
    line = _line(40)
    assert "READ-ONLY" in line and line.startswith("DemoCon")
    line = _line(20)
    assert line.endswith("READ-ONLY") and line.startswith("Dem") and "…" in line


@pytest.mark.parametrize("columns", [60, 80, 140])
async def test_banner_in_the_console_at_width(sqlite_ui_project, make_app, columns):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=(columns, 24)) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"model Submission", "enter")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.row_count > 0 and table.cache.row(0) is not None, "the first page")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen) and app.screen.loaded, "the detail")
        pk = app.screen.pk
        await pilot.pause()
        line = banner_text(app)
        assert len(line) <= columns - 2
        assert "DemoCon 2026 (democon)" in line and "READ-ONLY" in line
        if columns >= 80:
            assert line.endswith(f"#{pk}"), line
        if columns >= 140:
            assert line.startswith("event: DemoCon 2026 (democon)")
            assert line.endswith(f"Models › conference.Submission › #{pk}")
            assert "default (sqlite)" in line


@pytest.mark.parametrize("width", [58, 78, 98, 138])
def test_server_enforced_read_only_shortens_before_the_scope(width):
    """'READ-ONLY (enforced by the server)' becomes 'READ-ONLY' once the database label is gone,
    before the scope or the last crumb give way."""
    text = banner_line(scope=SCOPE, short_scope=SHORT, database="default (postgresql)",
                       state="READ-ONLY (enforced by the server)", short_state="READ-ONLY", state_style="bold",
                       crumbs=CRUMBS, busy=False, width=width)
    line = text.plain
    assert text.cell_len <= width and SHORT in line and "READ-ONLY" in line
    if width >= 78:
        assert line.endswith("#41")
    if width >= 138:
        assert "READ-ONLY (enforced by the server)" in line and "default (postgresql)" in line
    if "postgresql" not in line and width < 98:
        assert "enforced" not in line
