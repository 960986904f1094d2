"""The REPL inside the real console: :repl, following the tenant, the banner badge, "use in REPL"."""

from __future__ import annotations

from conference.models import Submission, Tag

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.repl.dialogs import WritableDialog
from tenant_console.ui.repl.screen import ReplScreen
from tests.ui.conftest import banner_text, ready, screen_is, until
from tests.ui.test_repl_pane import count, run

REPL = ("tenant_console.ui.repl",)
MARK = "tc-repl-console"



async def test_repl_follows_the_console_tenant(make_app, ui_project, db_alias):
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("grave_accent")  # the toggle key
        screen = await screen_is(pilot, ReplScreen)
        await until(pilot, lambda: screen.pane.ready.is_set(), "the REPL")
        res = await run(pilot, "(event.slug, Submission.objects.count())")
        expected = count(ui_project, db_alias, Submission, event__slug="democon")
        assert res.value.text == f"('democon', {expected})"
        # The console switches tenant: the REPL follows, user variables stay.
        await run(pilot, "kept = 'yes'")
        pk = dict(app.session.run(lambda: list(__import__("conference.models").models.Event._base_manager
                                                .values_list("slug", "pk")), scoped=False))["pycon-nordic"]
        assert await app.activate_tenant("event", pk)
        await until(pilot, lambda: "pycon-nordic" in screen.pane.runner.scope.describe(), "the REPL to follow")
        res = await run(pilot, "(event.slug, kept)")
        assert res.value.text == "('pycon-nordic', 'yes')"
        # ctrl+f: full screen and back; esc hides the REPL and keeps it.
        await pilot.press("ctrl+f")
        assert screen.has_class("-full")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReplScreen), "the REPL to hide")
        app.run_command_line("repl")
        await screen_is(pilot, ReplScreen)
        assert (await run(pilot, "kept")).value.text == "'yes'", "the namespace survives hiding"


async def test_writable_repl_turns_the_console_banner(make_app, ui_project, db_alias, marked_tags_removed):
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        app.run_command_line("repl")
        screen = await screen_is(pilot, ReplScreen)
        await until(pilot, lambda: screen.pane.ready.is_set(), "the REPL")
        await pilot.press("f3")
        await screen_is(pilot, WritableDialog)
        await pilot.press(*"WRITE", "enter")
        await until(pilot, lambda: screen.pane.runner.writable, "writable mode")
        await until(pilot, lambda: not app.readonly, "the console badge")
        await pilot.press("escape")  # hide the REPL: the console below says WRITABLE too
        await until(pilot, lambda: not isinstance(app.screen, ReplScreen), "the REPL to hide")
        await until(pilot, lambda: "WRITABLE" in banner_text(app), "the console banner")
        app.run_command_line("repl")
        await screen_is(pilot, ReplScreen)
        await run(pilot, f"Tag.objects.create(event=event, tag='{MARK}')")
        app.run_command_line("rollback")
        await until(pilot, lambda: not screen.pane.runner.writable, "the rollback")
        await until(pilot, lambda: app.readonly, "the badge back to read-only")
    assert count(ui_project, db_alias, Tag, tag=MARK) == 0


async def test_use_an_object_in_the_repl(make_app, ui_project, db_alias):
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        pk = app.session.run(lambda: Submission.objects.order_by("pk").values_list("pk", flat=True).first())
        app.action_repl_use("conference.Submission", pk)
        screen = await screen_is(pilot, ReplScreen)
        await until(pilot, lambda: screen.pane.results, "the object to load")
        res = screen.pane.results[-1]
        assert res.ok and res.value.kind == "object" and f"#{pk}" in res.value.title
        assert (await run(pilot, "obj.pk")).value.text == str(pk)


async def _writable_with_a_change(pilot, screen, tag: str) -> None:
    await pilot.press("f3")
    await screen_is(pilot, WritableDialog)
    await pilot.press(*"WRITE", "enter")
    await until(pilot, lambda: screen.pane.runner.writable, "writable mode")
    await run(pilot, f"Tag.objects.create(event=event, tag='{tag}')")
    assert screen.pane.runner.dirty


async def test_console_asks_before_switching_tenant_or_quitting(make_app, ui_project, db_alias, marked_tags_removed):
    from conference.models import Event

    from tenant_console.ui.repl.dialogs import UncommittedDialog

    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=REPL)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        app.run_command_line("repl")
        screen = await screen_is(pilot, ReplScreen)
        await until(pilot, lambda: screen.pane.ready.is_set(), "the REPL")
        await _writable_with_a_change(pilot, screen, f"{MARK}-switch")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReplScreen), "the REPL to hide")
        other = app.session.run(lambda: Event._base_manager.get(slug="pycon-nordic").pk, scoped=False)

        # Switching tenant asks first; "stay" keeps both the console and the REPL where they were.
        app.choose_tenant("event", other)
        await screen_is(pilot, UncommittedDialog)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, UncommittedDialog), "the dialog to close")
        await pilot.pause(0.2)
        assert "democon" in app.scope.describe() and screen.pane.runner.dirty

        # Quitting asks too; "stay" keeps the app running.
        await pilot.press("ctrl+q")
        await screen_is(pilot, UncommittedDialog)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.is_running

        # Roll back, and the switch goes through; the REPL follows.
        app.choose_tenant("event", other)
        await screen_is(pilot, UncommittedDialog)
        await pilot.press("r")
        await until(pilot, lambda: "pycon-nordic" in app.scope.describe(), "the console to switch")
        await until(pilot, lambda: "pycon-nordic" in screen.pane.runner.scope.describe(), "the REPL to follow")
        assert not screen.pane.runner.writable and app.readonly
    assert count(ui_project, db_alias, Tag, tag=f"{MARK}-switch") == 0
