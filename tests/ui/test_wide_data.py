"""Wide and awkward data in the object list and the detail view (issue 13)."""

from __future__ import annotations

import asyncio

import pytest

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.objects import ObjectListScreen
from tests.ui.conftest import SIZE, ready, screen_is, until


@pytest.fixture
def wide_alias(project, target_alias, tmp_path):
    """The small demo plus 'megacon' with 10,000 submissions: the first page has ids of two or three
    digits, the last ones have five (wider than the column's title and the first page)."""
    from conference.seeding import seed
    from django.db import connections

    from tests.ui.conftest import _project_on

    seed(target_alias, events=2, submissions=5, users=12, large=100_000)
    connections[target_alias].close()
    return _project_on(project, target_alias, tmp_path)


@pytest.mark.parametrize("target_alias", ["target"], ids=["sqlite"], indirect=True)
async def test_column_widths_follow_a_deep_jump(wide_alias, make_app):
    """After :row 9999 and G the five-digit ids are shown whole (not cut as 100…), and the column
    keeps its width when the cursor goes back to the top."""
    app = make_app(wide_alias, scope_flags=[ScopeFlag("event__slug", "megacon")])

    def pks():
        from conference.models import Event, Submission

        ev = Event._base_manager.using(wide_alias.alias).get(slug="megacon")
        return list(Submission._base_manager.using(wide_alias.alias).filter(event=ev)
                    .order_by("pk").values_list("pk", flat=True))

    expected = await asyncio.to_thread(pks)
    assert len(str(expected[0])) < len(str(expected[-1])) == 5
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Submission")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.cache.row(0) is not None, "the first page")
        first_width = table._widths[0]
        assert first_width < 5
        await pilot.press("colon", *"row 9999", "enter")
        await until(pilot, lambda: table.cache.row(9998) is not None and table.cursor_row == 9998, ":row")
        await pilot.pause()
        row = table.cache.row(9998)
        assert row.pk == expected[9998]
        assert table._row_strip(row, 9998).text.split()[0] == str(expected[9998]), "the id is shown whole"
        await pilot.press("G")
        last = len(expected) - 1
        await until(pilot, lambda: table.cache.row(last) is not None and table.cursor_row == last, "the end")
        await pilot.pause()
        assert table._row_strip(table.cache.row(last), last).text.split()[0] == str(expected[-1])
        # back at the top the column keeps its width
        await pilot.press("g")
        await until(pilot, lambda: table.cursor_row == 0, "the top")
        assert table._widths[0] == 5 > first_width


async def test_filter_by_a_choice_label_says_which_matched(sqlite_ui_project, make_app):
    """/state=Accepted (the label the list shows) lists the rows stored as 'accepted' and says so;
    a text that is neither value nor label gets a hint instead of a silent empty list."""
    from tests.ui.conftest import notifications

    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"model Submission", "enter")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.cache.row(0) is not None, "the first page")
        await pilot.press("slash", *"state=Accepted", "enter")
        await until(pilot, lambda: table.spec.filter_text == "state=Accepted" and table.state.total is not None
                    and not table.state.counting, "the filtered list")

        def accepted():
            from conference.models import Event, Submission

            ev = Event._base_manager.using(sqlite_ui_project.alias).get(slug="democon")
            return Submission._base_manager.using(sqlite_ui_project.alias).filter(event=ev, state="accepted").count()

        assert table.row_count == await asyncio.to_thread(accepted) > 0
        assert any("matched the label 'Accepted' (stored as 'accepted')" in n for n in notifications(app))
        await pilot.press("slash", "ctrl+u", *"state=paid", "enter")
        await until(pilot, lambda: table.spec.filter_text == "state=paid" and table.state.total is not None
                    and not table.state.counting, "the second filter")
        assert table.row_count == 0
        assert any("'paid' is neither a value nor a label of the choices" in n for n in notifications(app))


def _plain(renderable, width: int = 100) -> list[str]:
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_long_field_names_never_run_into_their_values():
    from tenant_console.core.browse.detail import FieldView
    from tenant_console.ui.screens.detail import MAX_NAME_WIDTH, NAME_WIDTH, field_prompt, name_width

    short = FieldView("state", "value", "Accepted")
    long = FieldView("review_score_weighting_factor", "value", "3")  # 29 characters
    huge = FieldView("x" * 60, "fk", "DemoCon 2026 (democon)")
    assert name_width([short]) == NAME_WIDTH
    width = name_width([short, long])
    assert width == len(long.name) + 2
    assert _plain(field_prompt(long, width)) == ["review_score_weighting_factor  3"]
    assert _plain(field_prompt(short, width)) == ["state" + " " * (width - 5) + "Accepted"]
    width = name_width([short, long, huge])
    assert width == MAX_NAME_WIDTH
    # a name longer than the widest column: the value goes on the next line, under the values
    assert _plain(field_prompt(huge, width)) == ["x" * 60, " " * width + "DemoCon 2026 (democon)"]
    assert _plain(field_prompt(long, width)) == ["review_score_weighting_factor" + " " * 11 + "3"]


def test_long_model_names_never_run_into_their_scope():
    from tenant_console.core.browse.catalog import ModelInfo
    from tenant_console.ui.screens.models import column_widths, model_prompt

    infos = [ModelInfo("common.GlobalSettings_SettingsStore", "common", "GlobalSettings_SettingsStore",
                       "settings", (), ()),
             ModelInfo("event.Event_SettingsStore", "event", "Event_SettingsStore", "settings",
                       (("event", "object__organiser__event_set_with_a_long_path"),), ())]
    widths = column_widths(infos)
    lines = [_plain(model_prompt(info, 7, widths), 200)[0] for info in infos]
    assert lines[0].startswith("  GlobalSettings_SettingsStore  shared")
    assert "GlobalSettings_SettingsStoreshared" not in lines[0]
    assert "event via object__organiser__event_set_with_a_long_path  " in lines[1]
    assert lines[0].index("shared") == lines[1].index("event via"), "the scope column lines up"
    assert lines[0].rindex("7") == lines[1].rindex("7"), "the counts line up"


async def test_model_list_and_detail_keep_columns_apart(sqlite_ui_project, make_app):
    """On the demo project: every model line has its name, then at least two spaces, then its scope;
    every one-line field of a detail view has its name, then at least two spaces, then its value."""
    from textual.widgets import OptionList

    from tenant_console.ui.screens.detail import ObjectDetailScreen
    from tenant_console.ui.screens.models import ModelBrowser

    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        browser = await screen_is(pilot, ModelBrowser)
        await until(pilot, lambda: browser.rounds > 0, "the counts")
        lst = browser.query_one("#model-list", OptionList)
        infos = {i.label: i for i in browser.infos}
        for index in range(lst.option_count):
            option = lst.get_option_at_index(index)
            if option.id in infos:
                info = infos[option.id]
                plain = option.prompt.plain
                assert plain.startswith(f"  {info.name}  "), plain
                assert plain[2 + browser.widths[0]:].startswith(info.scope_text()), plain
        await pilot.press("colon", *"model Submission", "enter")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.cache.row(0) is not None, "the first page")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen) and app.screen.loaded, "the detail")
        detail = app.screen
        fields = {f"field:{f.name}": f for f in detail.view.fields}
        lst = detail.query_one("#detail-fields", OptionList)
        checked = 0
        for index in range(lst.option_count):
            option = lst.get_option_at_index(index)
            f = fields.get(option.id or "")
            if f is not None and f.kind not in ("json", "text"):
                assert option.prompt.plain.startswith(f"{f.name}  "), option.prompt.plain
                checked += 1
        assert checked > 5


def test_a_name_just_shorter_than_the_widest_column_keeps_two_spaces():
    from tenant_console.core.browse.detail import FieldView
    from tenant_console.ui.screens.detail import MAX_NAME_WIDTH, field_prompt, name_width

    for length in (MAX_NAME_WIDTH - 3, MAX_NAME_WIDTH - 2, MAX_NAME_WIDTH - 1, MAX_NAME_WIDTH):
        f = FieldView("n" * length, "value", "v")
        lines = _plain(field_prompt(f, name_width([f])))
        if length <= MAX_NAME_WIDTH - 2:
            assert lines == ["n" * length + " " * (name_width([f]) - length) + "v"]
            assert name_width([f]) - length >= 2
        else:
            assert lines == ["n" * length, " " * MAX_NAME_WIDTH + "v"]
