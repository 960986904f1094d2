"""The ``:move`` screen driven as a user does: ``:move target`` typed at full speed on the current tenant, the
plan, the confirmation, the move with its progress, the verification and the journal; a refusal for an alias
that is not a database; ``--delete-source`` behind the tenant's slug typed; quitting during a move; snapshots
at 80x24 and wide.

SQLite to SQLite (``default``, the shared seeded database, to ``target``, flushed around each test); the move
itself runs on SQLite, PostgreSQL and MariaDB in tests/move.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.importer.confirm import ApplyRunning, ConfirmApply
from tenant_console.ui.move.progress import ModelProgress
from tenant_console.ui.move.screen import MoveScreen
from tenant_console.ui.screens.dialogs import TypedConfirm
from tests.move.conftest import seeded as reseed
from tests.ui.conftest import _project_on, notifications, ready, screen_is, until

MOVE = ("tenant_console.ui.move",)
SIZE = (140, 42)
TENANT = [ScopeFlag("event__slug", "djangocon-lab")]



@pytest.fixture
def app_on_default(project, target, make_app, tmp_path):
    """The console on the seeded ``default`` with djangocon-lab chosen; ``target`` empty."""
    def factory():
        return make_app(_project_on(project, "default", tmp_path), scope_flags=TENANT, extension_packages=MOVE)

    return factory


def _rows(alias: str, slug: str = "djangocon-lab") -> int:
    from conference.models import Submission
    from django.db import connections

    try:
        return Submission._base_manager.using(alias).filter(event__slug=slug).count()
    finally:
        connections[alias].close()


def _status(screen: MoveScreen) -> str:
    return str(screen.query_one("#move-status").render())


def _cells(screen: MoveScreen, column: str) -> dict[str, str]:
    table = screen.query_one(ModelProgress)
    return {str(key.value): str(table.get_cell(key, column)) for key in table.rows}


async def _typed(pilot, command: str) -> None:
    await pilot.press("colon", *command, "enter")  # typed at full speed: no pause between the keys


async def _planned(pilot, command: str = "move target") -> MoveScreen:
    await ready(pilot)
    await _typed(pilot, command)
    screen = await screen_is(pilot, MoveScreen)
    await until(pilot, lambda: screen.state in ("planned", "failed"), "the plan", timeout=30)
    assert screen.state == "planned", _status(screen)
    return screen


async def _moved(pilot, screen: MoveScreen) -> None:
    await until(pilot, lambda: screen.state in ("done", "stopped"), "the move", timeout=90)
    assert screen.state == "done", _status(screen)


async def test_move_copies_verifies_and_shows_the_journal(app_on_default, project, monkeypatch):
    before = await asyncio.to_thread(_rows, "default")
    seen: set[tuple[str, str]] = set()
    shown = MoveScreen.on_move_screen_rows

    def rows(screen, message):  # the per-model progress as it arrives
        seen.add((message.phase, message.model))
        shown(screen, message)

    monkeypatch.setattr(MoveScreen, "on_move_screen_rows", rows)
    app = app_on_default()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _planned(pilot)
        assert _cells(screen, "source")["conference.submission"] == str(before)
        await pilot.press("m")
        await screen_is(pilot, ConfirmApply)
        await pilot.press("y")
        await _moved(pilot, screen)
        status = _status(screen)
        assert "Moved and verified" in status and "Journal:" in status and "keeps" not in status, status
        assert str(screen.journal.path) in status
        checks = _cells(screen, "check")
        assert checks["conference.submission"] == "equal"
        assert {v for v in checks.values() if v} == {"equal"}
        assert _cells(screen, "import")["conference.submission"] == str(before)
        assert screen.query_one("#move-plan").display  # the import plan's summary, as in the import review
        assert {("export", "conference.submission"), ("import", "conference.submission")} <= seen
        assert app.readonly and not app.activity  # writable for the move only
        assert any("moved to target" in n for n in notifications(app))
    assert await asyncio.to_thread(_rows, "target") == before
    assert await asyncio.to_thread(_rows, "default") == before  # no --delete-source: the source keeps it
    assert screen.journal.phase == "done"
    records = [r for r in project.audit.outcomes() if r["action"] == "move"]
    assert records[-1]["outcome"] == "ok" and records[-1]["source"] == "console", records[-1]


async def test_an_alias_that_is_not_a_database_is_refused(app_on_default):
    app = app_on_default()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _typed(pilot, "move nowhere")
        await until(pilot, lambda: notifications(app), "the refusal")
        message = notifications(app)[-1]
        assert "'nowhere' is not a database alias in DATABASES" in message, message
        assert "can move to: target" in message and "Nothing was done" in message, message
        app.clear_notifications()
        await _typed(pilot, "move default")  # the tenant is there already
        await until(pilot, lambda: notifications(app), "the refusal")
        assert "a move needs another database" in notifications(app)[-1]
        app.clear_notifications()
        await _typed(pilot, "move")
        await until(pilot, lambda: notifications(app), "the question")
        assert "Name the database to move" in notifications(app)[-1] and "target" in notifications(app)[-1]
        await pilot.pause()
        assert not isinstance(app.screen, MoveScreen)
    assert await asyncio.to_thread(_rows, "target") == 0


@pytest.fixture
def seeded_target(target):
    """``target`` seeded: djangocon-lab is there already (flushed again by ``target``)."""
    reseed(target)
    return target


async def test_a_target_that_holds_the_tenant_is_refused_in_the_plan(app_on_default, seeded_target):
    """A move never merges: the plan says so, and m starts nothing."""
    app = app_on_default()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _typed(pilot, "move target")
        screen = await screen_is(pilot, MoveScreen)
        await until(pilot, lambda: screen.state == "failed", "the refusal", timeout=30)
        assert "already exists in 'target'" in _status(screen) and "never merges" in _status(screen)
        await pilot.press("m")
        await pilot.pause()
        assert app.screen is screen and screen.journal is None


@pytest.fixture
def restore_default():
    """A move with --delete-source empties djangocon-lab out of the shared ``default``: seeded again after (set
    up before the app, so torn down after its session is closed: an open session makes connections read-only)."""
    yield
    reseed("default")


async def test_delete_source_needs_the_tenants_slug_typed(restore_default, app_on_default):
    before = await asyncio.to_thread(_rows, "default")
    app = app_on_default()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _planned(pilot, "move target --delete-source")
        await pilot.press("m")
        dialog = await screen_is(pilot, TypedConfirm)
        assert dialog.phrase == "djangocon-lab"
        await pilot.press(*"djangocon-lab", "enter")  # typed at full speed
        await _moved(pilot, screen)
        assert "Deleted from default" in _status(screen)
    assert await asyncio.to_thread(_rows, "target") == before
    assert await asyncio.to_thread(_rows, "default") == 0
    assert (screen.journal.folder / "source-deleted.jsonl.gz").exists()


async def test_quit_during_a_move_asks_and_cancels_it(app_on_default, slow_apply, project):
    app = app_on_default()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _planned(pilot)
        await pilot.press("m", "y")
        await until(pilot, lambda: slow_apply.is_set(), "the import to start", timeout=60)
        assert screen.tenant_switch_blocker() is not None
        await pilot.press("ctrl+q")
        dialog = await screen_is(pilot, ApplyRunning)
        text = str(dialog.query_one("#running-text").render())
        assert "A move is running" in text and str(screen.journal.path) in text
        await pilot.press("c")
        await until(pilot, lambda: not app.is_running or app._exit, "the console to quit", timeout=60)
    assert screen.state == "stopped"
    assert await asyncio.to_thread(_rows, "target") == 0  # the import was rolled back
    assert screen.journal.phase == "importing"
    records = [r for r in project.audit.outcomes() if r["action"] == "move"]
    assert records[-1]["outcome"] == "interrupted", records[-1]


@pytest.fixture(scope="module")
def pristine_default():
    """``default`` as the seed makes it, once before the snapshots: the suite's earlier tests use it, and a
    row one of them leaves in djangocon-lab would change the counts on show."""
    reseed("default")


@pytest.mark.parametrize("moved", [False, True], ids=["plan", "verified"])
@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
def test_snapshot_move(pristine_default, snap_compare, app_on_default, tmp_path, monkeypatch, size, moved) -> None:
    from tests.ui.test_snapshots import settle

    monkeypatch.chdir(tmp_path)  # the journal's folder is shown as given: a relative one, the same every run
    app = app_on_default()

    async def run_before(pilot) -> None:
        screen = await _planned(pilot, "move target --journal moves/djangocon-lab")
        if moved:
            await pilot.press("m", "y")
            await _moved(pilot, screen)
        await settle(pilot)
        assert Path("moves/djangocon-lab/journal.json").exists() is moved

    assert snap_compare(app, terminal_size=size, run_before=run_before)
