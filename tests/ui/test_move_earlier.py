"""The ``:move`` screen on an earlier move of the tenant, driven as a user does: a move stopped before it was
verified, then ``:move target`` typed again at full speed shows its status (``--status``'s own sentences), and
``r`` resumes it and ``b`` (the tenant's slug typed) rolls it back, each audited as the CLI's; ``:move --status``
opens it from anywhere and ``s`` reads it again; a snapshot at 80x24.

SQLite to SQLite (``default`` to ``target``), as tests/ui/test_move_screen.py; the Mover's resume and rollback
themselves are tested on every vendor in tests/move.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tenant_console.core.move import CHECKPOINTS, Mover, describe, load_journal
from tenant_console.ui.importer.confirm import ConfirmApply
from tenant_console.ui.move.screen import MoveScreen
from tenant_console.ui.screens.dialogs import TypedConfirm
from tests.move.conftest import seeded as reseed
from tests.ui.conftest import _project_on, notifications, ready, screen_is, until
from tests.ui.test_move_screen import MOVE, SIZE, TENANT, _cells, _planned, _rows, _status, _typed

SLUG = "djangocon-lab"


class Stopped(RuntimeError):
    pass



@pytest.fixture
def stop_before_verify():
    """The console's move stops where a killed process would: committed in the target, not yet verified.
    Call the fixture's value to let later moves through."""
    def stop(phase: str, point: str) -> None:
        if (phase, point) == ("verify", "start"):
            raise Stopped("stopped by the test before verifying (as if the console had been killed)")

    CHECKPOINTS.append(stop)

    def release() -> None:
        if stop in CHECKPOINTS:
            CHECKPOINTS.remove(stop)

    yield release
    release()


def _app(project, make_app, state_dir):
    return make_app(_project_on(project, "default", state_dir), scope_flags=TENANT, extension_packages=MOVE)


def _described(project, path) -> list[str]:
    """``--status``'s sentences for the journal at ``path``, read as the CLI reads them (off the event loop)."""
    journal = load_journal(path)
    mover = Mover(project, journal)
    try:
        return describe(journal, mover.where())
    finally:
        mover.close()


def _drop_submissions(project, alias: str) -> None:
    """The tenant's submissions (and what cascades from them) deleted from ``alias``, as another process would."""
    from conference.models import Submission

    with project.session("test-writer", alias=alias, readonly=False) as s:
        s.run(lambda: Submission._base_manager.using(alias).filter(event__slug=SLUG).delete(), scoped=False,
              readonly=False)


def _moves(project) -> list[dict]:
    return [r for r in project.audit.outcomes() if r["action"] == "move"]


async def _stopped_move(pilot, app, command: str = "move target") -> Path:
    """A move started on the screen and stopped before its verification; back on the first screen."""
    screen = await _planned(pilot, command)
    await pilot.press("m", "y")
    await until(pilot, lambda: screen.state in ("done", "stopped"), "the move to stop", timeout=90)
    assert screen.state == "stopped" and screen.journal.phase == "imported", _status(screen)
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, MoveScreen), "the screen to close")
    return Path(screen.journal.path)


async def _journaled(pilot, command: str = "move target") -> MoveScreen:
    await _typed(pilot, command)
    screen = await screen_is(pilot, MoveScreen)
    await until(pilot, lambda: screen.state in ("journaled", "planned", "failed"), "the status", timeout=30)
    assert screen.state == "journaled", _status(screen)
    return screen


async def _settled(pilot, screen: MoveScreen) -> None:
    await until(pilot, lambda: screen.state in ("journaled", "planned", "failed"), "the step to end", timeout=90)


async def test_a_stopped_move_is_shown_resumed_and_rolled_back(target, project, make_app, tmp_path,
                                                               stop_before_verify):
    before = await asyncio.to_thread(_rows, "default")
    app = _app(project, make_app, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        path = await _stopped_move(pilot, app)
        stop_before_verify()
        screen = await _journaled(pilot)
        assert screen.journal.path == path.resolve()
        status = _status(screen)
        for line in await asyncio.to_thread(_described, project, path):  # --status, word for word
            assert line in status, (line, status)
        assert _cells(screen, "source")["conference.submission"] == str(before)
        assert _cells(screen, "target")["conference.submission"] == str(before)  # imported, not verified
        assert _cells(screen, "check")["conference.submission"] == ""
        assert screen.check_action("resume", ()) and screen.check_action("rollback", ())
        assert not screen.check_action("start", ())
        await pilot.press("m")  # no new move over an earlier one
        await pilot.pause()
        assert app.screen is screen and screen.state == "journaled"

        await pilot.press("r")
        dialog = await screen_is(pilot, ConfirmApply)
        assert "phase imported: verify" in str(dialog.query_one("#confirm-text").render())
        await pilot.press("y")
        await until(pilot, lambda: screen.mode == "resume" and screen.state == "journaled", "the resume", timeout=90)
        assert screen.journal.phase == "done", _status(screen)
        assert "Resumed" in _status(screen) and _cells(screen, "check")["conference.submission"] == "equal"
        assert app.readonly and not app.activity
        resumed = _moves(project)[-1]
        assert (resumed["outcome"], resumed["mode"], resumed["from_phase"], resumed["source"]) == (
            "ok", "resume", "imported", "console"), resumed
        assert resumed["move_phase"] == "done" and resumed["move"] == screen.journal.id
        assert await asyncio.to_thread(_rows, "target") == before

        await pilot.press("b")
        dialog = await screen_is(pilot, TypedConfirm)
        assert dialog.phrase == SLUG
        await pilot.press(*"djangocon", "enter")  # not the slug: nothing happens
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the dialog to close")
        assert screen.state == "journaled" and screen.journal.phase == "done"
        assert await asyncio.to_thread(_rows, "target") == before

        await pilot.press("b", *SLUG, "enter")  # the key and the slug typed at full speed
        await until(pilot, lambda: screen.mode == "rollback" and screen.state == "journaled", "the rollback",
                    timeout=90)
        assert screen.journal.phase == "rolled_back", _status(screen)
        assert "Rolled back" in _status(screen)
        assert not screen.check_action("resume", ()) and not screen.check_action("rollback", ())
        rolled = _moves(project)[-1]
        assert (rolled["outcome"], rolled["mode"], rolled["from_phase"], rolled["source"]) == (
            "ok", "rollback", "done", "console"), rolled
        removal = [r for r in project.audit.outcomes() if r["action"] == "delete"][-1]
        assert removal["move"] == screen.journal.id and removal.get("rollback") is True, removal
        assert any("rolled_back" in n for n in notifications(app))

        await pilot.press("s")  # the move is over: a new one can be planned
        await until(pilot, lambda: screen.state in ("planned", "failed"), "the plan", timeout=30)
        assert screen.state == "planned", _status(screen)
    assert await asyncio.to_thread(_rows, "target") == 0
    assert await asyncio.to_thread(_rows, "default") == before


async def test_move_status_finds_the_move_and_s_reads_it_again(target, project, make_app, tmp_path,
                                                               stop_before_verify):
    app = _app(project, make_app, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _typed(pilot, "move --status")
        await until(pilot, lambda: notifications(app), "the answer")
        assert "No move of" in notifications(app)[-1] and "is journaled" in notifications(app)[-1]
        assert not isinstance(app.screen, MoveScreen)
        path = await _stopped_move(pilot, app)
        screen = await _journaled(pilot, "move --status")  # no alias: the tenant's last move
        assert screen.target == "target" and screen.journal.path == path.resolve()
        assert _cells(screen, "target")["conference.submission"] == str(await asyncio.to_thread(_rows, "target"))

        await asyncio.to_thread(_drop_submissions, project, "target")  # changed behind the console's back
        await pilot.press("s")
        await until(pilot, lambda: _cells(screen, "target").get("conference.submission") == "0", "the new status",
                    timeout=30)
        status = _status(screen)
        for line in await asyncio.to_thread(_described, project, path):
            assert line in status, (line, status)

        await _typed(pilot, "move --status")  # on the screen: reads it again, no second screen
        await _settled(pilot, screen)
        assert app.screen is screen and screen.state == "journaled"


async def test_a_move_with_the_clis_decisions_is_left_to_the_cli_before_its_import(target, project, make_app,
                                                                                    tmp_path):
    def stop(phase: str, point: str) -> None:
        if (phase, point) == ("import", "start"):
            raise Stopped("stopped by the test before importing")

    CHECKPOINTS.append(stop)
    app = _app(project, make_app, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            screen = await _planned(pilot)
            await pilot.press("m", "y")
            await until(pilot, lambda: screen.state == "stopped", "the move to stop", timeout=90)
            CHECKPOINTS.remove(stop)
            journal = await asyncio.to_thread(load_journal, screen.journal.path)
            assert journal.phase == "importing"
            journal.options["defaults"] = ["skip"]  # as `move --default skip` records it
            await asyncio.to_thread(journal.save)
            await pilot.press("ctrl+r")  # the status of the move just stopped
            await until(pilot, lambda: screen.state == "journaled", "the status", timeout=30)
            await pilot.press("r")
            await until(pilot, lambda: notifications(app), "the refusal")
            assert "tenant-console move --resume" in notifications(app)[-1], notifications(app)
            assert app.screen is screen and screen.state == "journaled"
        after = await asyncio.to_thread(load_journal, journal.path)
        assert after.phase == "importing" and after.blocked is None and after.history == journal.history
    finally:
        if stop in CHECKPOINTS:
            CHECKPOINTS.remove(stop)
    assert await asyncio.to_thread(_rows, "target") == 0


@pytest.fixture
def restore_default():
    """A resumed --delete-source move empties djangocon-lab out of the shared ``default``: seeded again after
    (set up before the app, so torn down after its session is closed)."""
    yield
    reseed("default")


async def test_resuming_into_the_delete_of_the_source_needs_the_slug_typed(restore_default, target, project,
                                                                           make_app, tmp_path, stop_before_verify):
    before = await asyncio.to_thread(_rows, "default")
    app = _app(project, make_app, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _planned(pilot, "move target --delete-source")
        await pilot.press("m", *SLUG, "enter")
        await until(pilot, lambda: screen.state == "stopped", "the move to stop", timeout=90)
        stop_before_verify()
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, MoveScreen), "the screen to close")
        screen = await _journaled(pilot)  # without --delete-source: the journal's options are the move's
        assert screen.journal.delete_source and "then delete it from the source" in str(
            screen.query_one("#move-title").render())
        await pilot.press("r")
        dialog = await screen_is(pilot, TypedConfirm)
        assert dialog.phrase == SLUG and "deleted from default" in str(dialog.query_one("#typed-text").render())
        await pilot.press(*SLUG, "enter")
        await until(pilot, lambda: screen.mode == "resume" and screen.state == "journaled", "the resume", timeout=90)
        assert screen.journal.phase == "done", _status(screen)
        assert screen.check_action("rollback", ()) and not screen.check_action("resume", ())
    assert await asyncio.to_thread(_rows, "target") == before
    assert await asyncio.to_thread(_rows, "default") == 0
    assert (screen.journal.folder / "source-deleted.jsonl.gz").exists()


@pytest.fixture
def fixed_state():
    """A state directory at a fixed place, so the journal's path on show is the same every run."""
    state = Path("/tmp/tenant-console-test-move-earlier")
    shutil.rmtree(state, ignore_errors=True)
    yield state
    shutil.rmtree(state, ignore_errors=True)


def test_snapshot_move_earlier(target, snap_compare, project, make_app, fixed_state, stop_before_verify) -> None:
    from tests.ui.test_snapshots import settle

    reseed("default")  # the counts on show, as the seed makes them
    app = _app(project, make_app, fixed_state)

    async def run_before(pilot) -> None:
        await ready(pilot)
        command = f"move target --journal {fixed_state}/moves/djangocon-lab"  # no time in the folder's name
        path = await _stopped_move(pilot, app, command)
        stop_before_verify()
        journal = await asyncio.to_thread(load_journal, path)
        journal.id = "0123456789abcdef"  # the one random part of the status
        await asyncio.to_thread(journal.save)
        await _journaled(pilot, command)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
