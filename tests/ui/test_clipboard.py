"""c copies the value under the cursor (list, detail), C the row: through OSC 52, so it works over SSH."""

from __future__ import annotations

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.objects import ObjectListScreen
from tests.ui.conftest import SIZE, ready, screen_is, until


async def test_copy_a_value_and_a_row(sqlite_ui_project, make_app) -> None:
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Submission")
        screen = await screen_is(pilot, ObjectListScreen)
        await until(pilot, lambda: screen.table.cache.row(0) is not None, "rows")
        row = screen.table.current_row()
        await pilot.press("c")
        assert app.clipboard == row.cells[0].text == str(row.pk)
        await pilot.press("right", "c")
        assert app.clipboard == row.cells[1].text
        await pilot.press("C")
        names, values = app.clipboard.split("\n")
        assert names.split("\t")[:2] == [c.name for c in screen.table.columns][:2]
        assert values.split("\t")[0] == str(row.pk)
        await pilot.press("enter")
        detail = await screen_is(pilot, ObjectDetailScreen)
        await until(pilot, lambda: detail.loaded >= 1, "the object")
        await pilot.press("c")
        first = detail.view.fields[0]
        assert app.clipboard == first.text
