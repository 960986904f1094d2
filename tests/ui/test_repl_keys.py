"""The console's keys inside the REPL: ctrl+q and :q quit (asking first), f1 shows the REPL's keys.

The REPL is a modal screen, so the console's bindings do not reach it; these
tests drive the real console with the editor focused, as a user would.
"""

from __future__ import annotations

import pytest
from conference.models import Tag

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.repl.dialogs import UncommittedDialog, WritableDialog
from tenant_console.ui.repl.editor import ReplEditor
from tenant_console.ui.repl.screen import ReplScreen
from tenant_console.ui.screens.dialogs import HelpScreen
from tests.ui.conftest import ready, screen_is, until
from tests.ui.test_repl_pane import run

REPL = ("tenant_console.ui.repl",)
#: The finding's own reproduction: change an existing tag in writable mode.
UPDATE = 'Tag.objects.filter(pk=Tag.objects.first().pk).update(tag="zzz")'


def _first_tag(project, alias: str, event_pk) -> tuple[int, str]:
    s = project.session("observer", alias=alias)
    try:
        return s.run(lambda: Tag._base_manager.filter(event_id=event_pk).order_by("pk")
                     .values_list("pk", "tag").first(), scoped=False)
    finally:
        s.close()


def _tag(project, alias: str, pk: int) -> str:
    s = project.session("observer", alias=alias)
    try:
        return s.run(lambda: Tag._base_manager.get(pk=pk).tag, scoped=False)
    finally:
        s.close()


@pytest.fixture
def first_tag(project, db_alias, event_pks):
    """The tag the update changes; put back whatever happens (the database is shared by the run)."""
    pk, tag = _first_tag(project, db_alias, event_pks["democon"])
    yield pk, tag
    if _tag(project, db_alias, pk) != tag:
        s = project.session("cleanup", alias=db_alias, readonly=False)
        s.run(lambda: Tag._base_manager.filter(pk=pk).update(tag=tag), scoped=False)
        s.close()


async def _open_repl(app, pilot) -> ReplScreen:
    await ready(pilot)
    await pilot.press("grave_accent")
    screen = await screen_is(pilot, ReplScreen)
    await until(pilot, lambda: screen.pane.ready.is_set(), "the REPL")
    assert isinstance(app.focused, ReplEditor)
    return screen


async def _type_command(pilot, screen: ReplScreen, command: str) -> None:
    screen.pane.editor.insert(command)
    await pilot.press("enter")


@pytest.mark.parametrize("how", ["ctrl+q", ":q"])
async def test_quit_from_the_repl_editor(make_app, sqlite_ui_project, how):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(130, 36)) as pilot:
        screen = await _open_repl(app, pilot)
        if how == "ctrl+q":
            await pilot.press("ctrl+q")
        else:
            await _type_command(pilot, screen, ":q")
        await until(pilot, lambda: app._exit, "the console to quit")


async def test_quitting_with_uncommitted_writes_asks(make_app, ui_project, db_alias, first_tag):
    pk, before = first_tag
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(130, 36)) as pilot:
        screen = await _open_repl(app, pilot)
        await pilot.press("f3")
        await screen_is(pilot, WritableDialog)
        await pilot.press(*"WRITE", "enter")
        await until(pilot, lambda: screen.pane.runner.writable, "writable mode")
        res = await run(pilot, UPDATE)
        assert res.ok and res.writes == 1 and screen.pane.runner.dirty

        # ctrl+q in the editor asks; "stay" keeps the app and the open transaction.
        await pilot.press("ctrl+q")
        dialog = await screen_is(pilot, UncommittedDialog)
        assert "1 writing statement" in str(dialog.query_one("Static").render())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, UncommittedDialog), "the question to close")
        await pilot.pause(0.2)
        assert not app._exit and app.is_running
        assert screen.pane.runner.writable and screen.pane.runner.dirty
        assert _tag(ui_project, db_alias, pk) == before, "not committed: invisible to a second connection"

        # :q typed in the REPL goes the same way.
        await _type_command(pilot, screen, ":q")
        await screen_is(pilot, UncommittedDialog)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not app._exit and screen.pane.runner.dirty

        # From the console below (REPL hidden), ctrl+q asks too; "roll back" quits with nothing written.
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReplScreen), "the REPL to hide")
        await pilot.press("ctrl+q")
        await screen_is(pilot, UncommittedDialog)
        await pilot.press("r")
        await until(pilot, lambda: app._exit, "the console to quit")
        assert not screen.pane.runner.writable
    assert _tag(ui_project, db_alias, pk) == before


async def test_f1_shows_the_repl_keys_and_ctrl_x_is_one_of_them(make_app, sqlite_ui_project):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(130, 36)) as pilot:
        screen = await _open_repl(app, pilot)
        footer = {b.binding.key for b in screen.active_bindings.values() if b.binding.show}
        assert {"ctrl+q", "f1", "ctrl+x", "f3"} <= footer
        await pilot.press("f1")
        help_screen = await screen_is(pilot, HelpScreen)
        keys = dict(help_screen.keys)
        assert "interrupt" in keys["ctrl+c / ctrl+x"] and "ctrl+q" in keys and "f3" in keys
        assert not any("Cancel query" in d for d in keys.values()), "the console's key list is not the REPL's"
        commands = dict(help_screen.commands)
        assert "commit" in commands and "q" in commands
        await pilot.press("escape")
        await screen_is(pilot, ReplScreen)
        assert screen.pane.editor.text == "", "no key of the help typed into the editor"
        # ctrl+x with text selected still cuts; with none it clears the idle input, as ctrl+c does.
        editor = screen.pane.editor
        editor.insert("abc def")
        editor.select_all()
        editor.selection = type(editor.selection)((0, 0), (0, 3))
        await pilot.press("ctrl+x")
        assert editor.text == " def"
        await pilot.press("ctrl+x")
        assert editor.text == ""
