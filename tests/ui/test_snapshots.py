"""SVG snapshots of each screen on the seeded SQLite demo data (fixed size, no blinking cursor).

Update after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/ui/__snapshots__/`` before committing them.
"""

from __future__ import annotations

import pytest

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.core.errors import ProjectLoadError
from tenant_console.ui.app import StartupSpec, TenantConsoleApp
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.dialogs import CommandLine, DisableScopesDialog, HelpScreen
from tenant_console.ui.screens.models import ModelBrowser
from tenant_console.ui.screens.objects import ObjectListScreen
from tenant_console.ui.screens.picker import TenantPicker
from tests.ui.conftest import _project_on, ready, screen_is, until

SIZE = (128, 34)
DEMOCON = [ScopeFlag("event__slug", "democon")]


@pytest.fixture
def app_on(project, tmp_path):
    apps = []

    def factory(scope_flags=(), disabled=False):
        app = TenantConsoleApp(_project_on(project, "default", tmp_path),
                               startup=StartupSpec(scope_flags=scope_flags, disabled=disabled),
                               extension_packages=())
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close_session()


async def settle(pilot) -> None:
    """No worker running, nothing busy, no toast: the same picture every time."""
    app = pilot.app
    def idle() -> bool:
        running = [w for w in app.workers if w.is_running and getattr(w.node, "screen", None) is app.screen]
        return not running and not app.busy

    await until(pilot, idle, "idle")
    # A notification is a message (App.notify posts it): one sent as the work ended may still be queued,
    # and would show after a clear made now. Let the queue run first.
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()


async def _models(pilot) -> None:
    await ready(pilot)
    browser = await screen_is(pilot, ModelBrowser)
    await until(pilot, lambda: browser.counted_scope == pilot.app.scope, "counts")
    await settle(pilot)


async def _objects(pilot, label: str = "conference.Submission", filter_text: str = "") -> ObjectListScreen:
    await _models(pilot)
    pilot.app.open_model(label, filter_text)
    screen = await screen_is(pilot, ObjectListScreen)
    await until(pilot, lambda: screen.table.cache.row(0) is not None, "rows")
    await settle(pilot)
    return screen


def test_snapshot_tenant_picker(snap_compare, app_on):
    async def run_before(pilot):
        await ready(pilot)
        picker = await screen_is(pilot, TenantPicker)
        await pilot.press(*"con")
        await until(pilot, lambda: picker.searched_text == "con", "search")
        await settle(pilot)

    assert snap_compare(app_on(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_model_browser(snap_compare, app_on):
    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=_models)


def test_snapshot_object_list(snap_compare, app_on):
    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=_objects)


def test_snapshot_object_list_filtered_and_sorted(snap_compare, app_on):
    async def run_before(pilot):
        screen = await _objects(pilot, filter_text="state=accepted")
        table = screen.table
        table.cursor_column = [c.name for c in table.columns].index("title")
        await pilot.press("s", "s")
        await until(pilot, lambda: table.spec.descending and table.cache.row(0) is not None, "sorted")
        await settle(pilot)

    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=run_before)


def test_snapshot_object_detail_with_cross_tenant_link(snap_compare, app_on):
    async def run_before(pilot):
        screen = await _objects(pilot, "conference.Review", "planted")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ObjectDetailScreen) and pilot.app.screen.loaded,
                    "detail")
        assert screen is not pilot.app.screen
        await settle(pilot)

    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=run_before)


def test_snapshot_disable_dialog(snap_compare, app_on):
    async def run_before(pilot):
        await _models(pilot)
        await pilot.press("colon", *"disable", "enter")
        await screen_is(pilot, DisableScopesDialog)
        await settle(pilot)

    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=run_before)


def test_snapshot_scopes_disabled_banner(snap_compare, app_on):
    assert snap_compare(app_on(disabled=True), terminal_size=SIZE, run_before=_models)


def test_snapshot_help(snap_compare, app_on):
    async def run_before(pilot):
        await _objects(pilot)
        await pilot.press("question_mark")
        await screen_is(pilot, HelpScreen)
        await settle(pilot)

    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=run_before)


def test_snapshot_command_line(snap_compare, app_on):
    async def run_before(pilot):
        await _models(pilot)
        await pilot.press("colon", *"mod")
        await screen_is(pilot, CommandLine)
        await settle(pilot)

    assert snap_compare(app_on(DEMOCON), terminal_size=SIZE, run_before=run_before)


def test_snapshot_load_error(snap_compare):
    def loader():
        raise ProjectLoadError(
            "Cannot reach the postgresql database 'shop' on db.internal:5432 (alias 'default'): connection "
            "refused. Check that the server is running and the DATABASES settings are right.")

    app = TenantConsoleApp(startup=StartupSpec(loader=loader, description="shop.settings · database default"),
                           extension_packages=())

    async def run_before(pilot):
        from tenant_console.ui.screens.loading import LoadErrorScreen

        await screen_is(pilot, LoadErrorScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.fixture
def cross_tenant_tag(project, tmp_path):
    """The small demo on the empty SQLite target, with a submission tagged into another tenant."""
    from tests.conftest import flush
    from tests.ui.conftest import seed_with_cross_tenant_tag

    flush("target")
    sub_pk, slug, _tag, _review = seed_with_cross_tenant_tag("target")
    apps = []

    def factory():
        app = TenantConsoleApp(_project_on(project, "target", tmp_path),
                               startup=StartupSpec(scope_flags=[ScopeFlag("event__slug", slug)]),
                               extension_packages=())
        apps.append(app)
        return app

    yield factory, sub_pk
    for app in apps:
        app.close_session()
    flush("target")


@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
def test_snapshot_object_detail_with_m2m_into_another_tenant(snap_compare, cross_tenant_tag, size):
    """tags: 3 through-table rows, one into another tenant (counted, listed first, flagged), and the
    review from the other tenant shown as a flagged reverse link."""
    factory, sub_pk = cross_tenant_tag

    async def run_before(pilot):
        await _models(pilot)
        pilot.app.open_object("conference.Submission", sub_pk)
        detail = await screen_is(pilot, ObjectDetailScreen)
        await until(pilot, lambda: detail.loaded >= 1, "the detail")
        lst = detail.query_one("#detail-fields")
        lst.highlighted = lst.option_count - 1  # the end: the tags and the reverse links in view
        await settle(pilot)

    assert snap_compare(factory(), terminal_size=size, run_before=run_before)


@pytest.fixture
def megacon_10k(project, tmp_path):
    """The small demo plus 'megacon' with 10,000 submissions on the empty SQLite target: the first
    page has three-digit ids, the end five-digit ones."""
    from conference.seeding import seed
    from django.db import connections

    from tests.conftest import flush

    flush("target")
    seed("target", events=2, submissions=5, users=12, large=100_000)
    connections["target"].close()
    apps = []

    def factory():
        app = TenantConsoleApp(_project_on(project, "target", tmp_path),
                               startup=StartupSpec(scope_flags=[ScopeFlag("event__slug", "megacon")]),
                               extension_packages=())
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close_session()
    flush("target")


@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
def test_snapshot_object_list_after_a_deep_jump(snap_compare, megacon_10k, size):
    """:row 9999 then G: the five-digit ids at the end are shown whole (the id column widened)."""
    async def run_before(pilot):
        await _models(pilot)
        pilot.app.open_model("conference.Submission")
        screen = await screen_is(pilot, ObjectListScreen)
        table = screen.table
        await until(pilot, lambda: table.cache.row(0) is not None, "rows")
        await pilot.press("colon", *"row 9999", "enter")
        await until(pilot, lambda: table.cursor_row == 9998 and table.cache.row(9998) is not None, ":row")
        await pilot.press("G")
        await until(pilot, lambda: table.cursor_row == table.row_count - 1
                    and table.cache.row(table.row_count - 1) is not None, "the end")
        await settle(pilot)

    assert snap_compare(megacon_10k(), terminal_size=size, run_before=run_before)
