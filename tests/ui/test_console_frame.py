"""The frame: start-up errors, commands, help, plug-in points (SQLite only: no data differences)."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.core.errors import ProjectLoadError
from tenant_console.ui.app import StartupSpec, TenantConsoleApp
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.dialogs import HelpScreen
from tenant_console.ui.screens.loading import LoadErrorScreen
from tenant_console.ui.screens.models import ModelBrowser
from tenant_console.ui.screens.objects import ObjectListScreen
from tenant_console.ui.screens.picker import TenantPicker
from tests.ui.conftest import SIZE, notifications, ready, screen_is, until


async def _error_screen(pilot) -> LoadErrorScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, LoadErrorScreen), "the error screen")
    return pilot.app.screen


async def test_unknown_scope_flag_gets_the_cli_message(project, make_app, tmp_path):
    from tests.ui.conftest import _project_on

    app = make_app(_project_on(project, "default", tmp_path), scope_flags=[ScopeFlag("evnt__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        screen = await _error_screen(pilot)
        assert "there is no scope dimension 'evnt'" in screen.message
        assert "Did you mean 'event'" in screen.message
        await pilot.press("q")
    assert app.return_code == 2


async def test_unknown_tenant_gets_closest_names(project, make_app, tmp_path):
    from tests.ui.conftest import _project_on

    app = make_app(_project_on(project, "default", tmp_path), scope_flags=[ScopeFlag("event__slug", "democn")])
    async with app.run_test(size=SIZE) as pilot:
        screen = await _error_screen(pilot)
        assert "no conference.Event matches" in screen.message


async def test_load_error_is_shown_in_the_app_and_offers_to_quit():
    def loader():
        raise ProjectLoadError("The settings module 'nope.settings' cannot be imported: No module named 'nope'.")

    app = TenantConsoleApp(startup=StartupSpec(loader=loader), extension_packages=())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _error_screen(pilot)
        text = str(screen.query_one("#error-box", Static).content)
        assert "nope.settings" in text and "quit" in text
        await pilot.press("enter")
    assert app.return_code == 2


async def test_the_first_screen_appears_while_django_loads(project, tmp_path):
    """The loader blocks until the test lets it go; the loading screen is up meanwhile."""
    import threading

    from tests.ui.conftest import _project_on

    gate = threading.Event()

    def loader():
        gate.wait(10)
        return _project_on(project, "default", tmp_path)

    app = TenantConsoleApp(startup=StartupSpec(loader=loader), extension_packages=())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "LoadingScreen"
        gate.set()
        await ready(pilot)
        assert isinstance(app.screen, TenantPicker)
    app.close_session()


async def test_the_command_line_opens_while_the_project_loads(project, tmp_path, monkeypatch):
    """`:` pressed before Django is set up (pretix takes seconds to load) opens the command line with a
    neutral example, no traceback; the console then starts as usual."""
    import threading

    from django.apps import apps

    from tenant_console.ui.screens.dialogs import CommandLine
    from tests.ui.conftest import _project_on

    gate = threading.Event()

    def loader():
        gate.wait(10)
        return _project_on(project, "default", tmp_path)

    app = TenantConsoleApp(startup=StartupSpec(loader=loader), extension_packages=())
    monkeypatch.setattr(apps, "ready", False)  # as in a real start: the project's apps are not loaded yet
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await pilot.press("colon")
        line = await screen_is(pilot, CommandLine)
        assert "model Model" in str(line.query_one("#cmd-input").placeholder)
        await pilot.press("escape")
        monkeypatch.setattr(apps, "ready", True)
        gate.set()
        await ready(pilot)
        assert isinstance(app.screen, TenantPicker)
        await pilot.press(*"democon", "enter")
        await screen_is(pilot, ModelBrowser)
        await pilot.press("colon")
        line = await screen_is(pilot, CommandLine)
        assert "model Submission" in str(line.query_one("#cmd-input").placeholder)
        await pilot.press("escape")
    app.close_session()


async def test_command_line_help_and_unknown_command(project, make_app, tmp_path):
    from tests.ui.conftest import _project_on

    app = make_app(_project_on(project, "default", tmp_path), scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"modle Submission", "enter")
        await until(pilot, lambda: notifications(app), "a message")
        assert "Unknown command :modle. Did you mean 'model'?" in notifications(app)[-1]
        await pilot.press("colon", *"model Sbmission", "enter")
        await until(pilot, lambda: len(notifications(app)) >= 2, "a message")
        assert "There is no model 'Sbmission'. Did you mean 'conference.Submission'?" in notifications(app)[-1]
        await pilot.press("colon", *"m conference.Submission", "enter")
        await screen_is(pilot, ObjectListScreen)
        await pilot.press("question_mark")
        await screen_is(pilot, HelpScreen)
        keys = dict(app.screen.keys)
        assert "Sort by column" in keys.values() and "Filter" in keys.values()
        assert any(usage.startswith("tenant") for usage, _ in app.screen.commands)
        await pilot.press("escape")
        assert isinstance(app.screen, ObjectListScreen)
        await pilot.press("colon", "q", "enter")
    assert app.return_code == 0


async def test_scope_flag_by_pk(project, make_app, tmp_path):
    """``--event=PK`` works as in the CLI (the flag value here is not a pk: a clear error)."""
    from tests.ui.conftest import _project_on

    app = make_app(_project_on(project, "default", tmp_path), scope_flags=[ScopeFlag("event", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        screen = await _error_screen(pilot)
        assert "democon" in screen.message


async def test_plugins_not_in_this_build_say_so_and_registered_screens_open(project, tmp_path):
    from tests.ui.conftest import _project_on

    class FakeGraph(Screen):
        def __init__(self, model_label, pk):
            super().__init__()
            self.args = (model_label, pk)

    app = TenantConsoleApp(_project_on(project, "default", tmp_path),
                           startup=StartupSpec(scope_flags=[ScopeFlag("event__slug", "democon")]),
                           extension_packages=())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Track")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.cache.row(0) is not None, "rows")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen) and app.screen.loaded, "detail")
        await pilot.press("g")
        await until(pilot, lambda: notifications(app), "a message")
        assert "not available in this build" in notifications(app)[-1]
        await pilot.press("x")
        await pilot.press("p")
        await pilot.pause(0.05)
        assert sum("not available in this build" in m for m in notifications(app)) == 3
        pk = app.screen.pk
        app.extensions.screen("graph", lambda app, model_label, pk: FakeGraph(model_label, pk))
        await pilot.press("g")
        await screen_is(pilot, FakeGraph)
        assert app.screen.args == ("conference.Track", pk)
    app.close_session()


async def test_extension_package_that_fails_is_reported_not_fatal(project, tmp_path):
    from tests.ui.conftest import _project_on

    app = TenantConsoleApp(_project_on(project, "default", tmp_path),
                           startup=StartupSpec(scope_flags=[ScopeFlag("event__slug", "democon")]),
                           extension_packages=("tenant_console.ui.no_such_extension", "json.no_such"))
    assert app.extensions.errors == [] or all("no_such" in e for e in app.extensions.errors)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, ModelBrowser)
    app.close_session()


async def test_palette_finds_tenants_and_models(project, make_app, tmp_path):
    from tenant_console.ui.palette import ModelCommands, TenantCommands
    from tests.ui.conftest import _project_on

    app = make_app(_project_on(project, "default", tmp_path), scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = app.screen
        tenants = TenantCommands(screen)
        hits = [h async for h in tenants.search("opsf")]
        assert [h.text for h in hits] == ["Tenant event: OpsFest (opsfest)"]
        hits[0].command()
        await until(pilot, lambda: "OpsFest" in app.scope.describe(), "the palette's tenant")
        models = ModelCommands(screen)
        hits = [h async for h in models.search("submission")]
        assert "Model conference.Submission" in [h.text for h in hits]


async def test_unexpected_startup_error_is_shown_not_a_traceback():
    def loader():
        raise RuntimeError("the settings module exploded")

    app = TenantConsoleApp(startup=StartupSpec(loader=loader), extension_packages=())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _error_screen(pilot)
        assert "RuntimeError: the settings module exploded" in screen.message
        await pilot.press("q")
    assert app.return_code == 1


def test_long_breadcrumbs_keep_where_you_are_now():
    """A deep trail (graph over graph) drops crumbs from the left, never the current one."""
    from tenant_console.ui.widgets.banner import fit_crumbs

    crumbs = ["Models", "conference.Submission", "#12", "graph conference.Submission #12",
              "graph conference.Review #401"]
    assert fit_crumbs(crumbs, 200) == " › ".join(crumbs)
    assert fit_crumbs(crumbs, 70) == "… › graph conference.Submission #12 › graph conference.Review #401"
    assert fit_crumbs(crumbs, 40) == "… › graph conference.Review #401"
    assert fit_crumbs(crumbs, 20) == "… › graph conferenc…"
    assert len(fit_crumbs(crumbs, 20)) == 20


def test_a_long_command_usage_wraps_in_its_column_and_leaves_the_description_its_width():
    """:move's usage is 90 characters: it wraps within the usage column, and every description keeps at
    least 30 columns (it was squeezed to one word per line)."""
    from rich.console import Console

    from tenant_console.ui.move import USAGE
    from tenant_console.ui.screens.dialogs import USAGE_WIDTH

    description = "Move the current tenant to another database: export, import, verify, optionally delete the source"
    help_screen = HelpScreen("Help", "", [], [(USAGE, description), ("q", "Leave the console")])
    console = Console(width=76, record=True, color_system=None)
    console.print(help_screen.commands_table())
    lines = console.export_text().splitlines()
    assert all(len(line) <= 76 for line in lines)
    assert lines[0].startswith(":move ALIAS")
    assert lines[0][USAGE_WIDTH + 2:].startswith("Move the current tenant"), lines
    assert " ".join(line[USAGE_WIDTH + 2:].strip() for line in lines[:-1]).strip().startswith(description), lines


async def test_help_at_80x24_keeps_the_usage_column_and_room_for_descriptions(project, make_app, tmp_path):
    """At 80x24, typed at full speed: `:m conference.Submission` then `?`; the help box fits the screen and
    leaves the descriptions at least 30 columns beside the usage column."""
    from tenant_console.ui.screens.dialogs import USAGE_WIDTH
    from tests.ui.conftest import _project_on

    app = make_app(_project_on(project, "default", tmp_path), scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"m conference.Submission", "enter", "question_mark")
        help_screen = await screen_is(pilot, HelpScreen)
        box = help_screen.query_one("#help-box")
        await until(pilot, lambda: box.region.width > 0, "the help box")
        assert box.region.right <= 80
        assert box.content_region.width >= USAGE_WIDTH + 2 + 30, box.content_region
        await pilot.press("escape")
        assert isinstance(app.screen, ObjectListScreen)
