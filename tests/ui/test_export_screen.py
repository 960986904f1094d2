"""The export screen driven with the pilot: plan, choose the cross-tenant policy, export, cancel."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from pathlib import Path

import pytest

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.core.export.verify import verify_export
from tenant_console.ui.app import StartupSpec, TenantConsoleApp
from tenant_console.ui.export.screen import ExportScreen
from tests.ui.conftest import SIZE, notifications, ready, screen_is, until

EXPORT = ("tenant_console.ui.export", "tenant_console.ui.graph")


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def _other_tenant(screen: ExportScreen, label: str) -> str:
    """The "other tenant" cell of a model's row in the plan table."""
    table = screen.query_one("#export-plan")
    for i in range(table.row_count):
        cells = table.get_row_at(i)
        if str(cells[0]) == label:
            return str(cells[3])
    raise AssertionError(f"{label} is not in the plan")


async def _open(pilot, **kwargs) -> ExportScreen:
    pilot.app.open_screen("export", **kwargs)
    screen = await screen_is(pilot, ExportScreen)
    await until(pilot, lambda: screen.plans >= 1 or screen.state == "failed", "the plan")
    return screen


async def test_export_the_current_tenant(ui_project, make_app, tmp_path: Path) -> None:
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=EXPORT)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon")
        await pilot.press(*":export tenant".lstrip(":"), "enter")
        screen = await screen_is(pilot, ExportScreen)
        await until(pilot, lambda: screen.plans >= 1, "the plan")
        assert screen.plan is not None and screen.plan.refused  # the planted review
        table = screen.query_one("#export-plan")
        assert table.row_count == len(screen.plan.selections) + 1
        # The "other tenant" column names the tenant in refuse mode too, not only the reference list.
        assert _other_tenant(screen, "conference.submission") == "1 ref → PyCon Nordic (pycon-nordic)"
        assert "belongs to PyCon Nordic (pycon-nordic)" in str(screen.query_one("#export-refs").render())
        await pilot.press("e")  # refused: nothing happens but a warning
        await pilot.pause()
        assert screen.state == "planned" and "cross-tenant references" in notifications(app)[-1]
        await pilot.press("o")  # -> omit, re-planned
        await until(pilot, lambda: screen.plans >= 2 and screen.state == "planned", "the new plan")
        assert screen.policy == "omit" and not screen.plan.refused
        assert _other_tenant(screen, "conference.submission") == "1 left out → PyCon Nordic (pycon-nordic)"
        out = tmp_path / "exports"
        out.mkdir()
        screen.query_one("#export-output").value = str(out / "democon.jsonl.gz")
        await pilot.press("e")
        await until(pilot, lambda: screen.state in ("done", "failed"), "the export", timeout=30)
        assert screen.state == "done", str(screen.query_one("#export-result").render())
        assert _files(out) == ["democon.jsonl.gz", "democon.manifest.json"]
        report = await asyncio.to_thread(verify_export, out / "democon.jsonl.gz")
        assert report.ok, report.problems
        result = str(screen.query_one("#export-result").render())
        assert "SHA-256" in result and screen.outcome.result.sha256 in result
        result = " ".join(result.split())
        assert "1 dangling reference(s): 1 into another tenant" in result
        assert "`manage.py loaddata` will fail" in result and "unless the target database already has those rows" \
            in result
        assert "`tenant-console import democon.jsonl.gz` instead" in result
        assert f"In this console: :import {out / 'democon.jsonl.gz'}" in result


async def test_export_the_selected_object(ui_project, make_app, tmp_path: Path) -> None:
    def first_submission() -> int:
        from conference.models import Event, Submission
        from django.db import connections

        ev = Event._base_manager.using(ui_project.alias).get(slug="democon")
        pk = Submission._base_manager.using(ui_project.alias).filter(event=ev).order_by("pk")[2].pk
        connections[ui_project.alias].close()
        return pk

    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=EXPORT)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pk = await asyncio.to_thread(first_submission)
        app.action_export_object("conference.Submission", pk)
        screen = await screen_is(pilot, ExportScreen)
        await until(pilot, lambda: screen.plans >= 1, "the plan")
        assert screen.plan.kind == "objects" and screen.plan.roots == [f"conference.Submission.{pk}"]
        assert screen.crumb == f"export conference.Submission.{pk}"
        screen.query_one("#export-output").value = str(tmp_path / "one.jsonl")
        await pilot.press("e")
        await until(pilot, lambda: screen.state in ("done", "failed"), "the export", timeout=30)
        assert screen.state == "done"
        assert screen.outcome.result.counts["conference.submission"] >= 1
        assert (tmp_path / "one.manifest.json").exists()


async def test_export_marked_objects_and_bad_output(ui_project, make_app, tmp_path: Path) -> None:
    from tenant_console.ui.graph import marks

    def some_pks() -> tuple[int, int]:
        from conference.models import Event, Room, Track
        from django.db import connections

        ev = Event._base_manager.using(ui_project.alias).get(slug="democon")
        found = (Track._base_manager.using(ui_project.alias).filter(event=ev).first().pk,
                 Room._base_manager.using(ui_project.alias).filter(event=ev).first().pk)
        connections[ui_project.alias].close()
        return found

    out = tmp_path / "exports"
    out.mkdir()
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=EXPORT)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.run_command_line("export marked")
        await pilot.pause()
        assert "No objects are marked" in notifications(app)[-1]
        track, room = await asyncio.to_thread(some_pks)
        marks.toggle(app, "conference.Track", track)
        marks.toggle(app, "conference.Room", room)
        app.run_command_line("export marked")
        screen = await screen_is(pilot, ExportScreen)
        await until(pilot, lambda: screen.plans >= 1 or screen.state == "failed", "the plan")
        assert screen.objects == [f"conference.Track.{track}", f"conference.Room.{room}"]
        assert screen.plan.counts()["conference.track"] == 1
        screen.query_one("#export-output").value = str(out / "bad.json")
        await pilot.press("e")
        await pilot.pause()
        assert screen.state == "planned" and "must end in .jsonl" in str(screen.query_one("#export-result").render())
        assert _files(out) == []
        # enter in the output field starts the export, as e does
        box = screen.query_one("#export-output")
        box.value = str(out / "marked.jsonl")
        box.focus()
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: screen.state in ("done", "failed"), "the export", timeout=30)
        assert screen.state == "done" and _files(out) == ["marked.jsonl", "marked.manifest.json"]
        # the same name again: told it exists (in the console's terms, not the CLI's --overwrite) ...
        first = (out / "marked.manifest.json").read_text()
        await pilot.press("enter")
        await until(pilot, lambda: "already exists" in str(screen.query_one("#export-result").render()), "the question")
        said = " ".join(str(screen.query_one("#export-result").render()).split())
        assert "Press e (or enter in the output field) again to overwrite it" in said and "--overwrite" not in said
        assert (out / "marked.manifest.json").read_text() == first
        # ... and enter again overwrites
        await pilot.press("enter")
        await until(pilot, lambda: "Exported" in str(screen.query_one("#export-result").render()), "the overwrite")
        assert _files(out) == ["marked.jsonl", "marked.manifest.json"]


async def test_cancel_leaves_nothing_behind(large_alias, make_app, tmp_path: Path) -> None:
    """Cancel lands mid-write, deterministically: the export is held at its first progress report.

    The screen's ``progress_hook`` runs on the export's session thread after the first
    chunk is written; holding it there until c is pressed means the export can neither
    finish before the test sees it running (however fast or loaded the machine is) nor
    be cancelled before it wrote anything.
    """
    reached, release = threading.Event(), threading.Event()

    def hold(progress) -> None:
        if not reached.is_set():
            reached.set()
            release.wait(30)  # never forever: a failing test must not hang the run

    app = make_app(large_alias, scope_flags=[ScopeFlag("event__slug", "megacon")], extension_packages=EXPORT)
    out = tmp_path / "exports"
    out.mkdir()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            screen = await _open(pilot, tenant=True, directory=str(out))
            assert screen.plan is not None and screen.plan.total > 15_000
            screen.progress_hook = hold
            await pilot.press("e")
            await until(pilot, reached.is_set, "the export's first progress report", timeout=30)
            assert screen.state == "exporting"
            partial = _files(out)
            assert len(partial) == 1 and ".jsonl.gz.tmp-" in partial[0], partial  # the data, half written
            await pilot.press("c")
            release.set()
            await until(pilot, lambda: screen.state != "exporting", "the cancel", timeout=30)
            assert screen.state == "cancelled", str(screen.query_one("#export-result").render())
            assert screen.outcome is None
            assert _files(out) == []
            assert app.project.audit.outcomes()[-1]["outcome"] == "interrupted"
            await pilot.press("escape")  # leaving the screen closes its session
            await pilot.pause()
            assert not isinstance(app.screen, ExportScreen)
    finally:
        release.set()


def test_snapshot_export_plan(project, tmp_path, snap_compare) -> None:
    config = dataclasses.replace(project.config, state_dir=tmp_path)
    sqlite_project = dataclasses.replace(project, config=config, warnings=[])
    app = TenantConsoleApp(sqlite_project, startup=StartupSpec(scope_flags=[ScopeFlag("event__slug", "democon")]),
                           extension_packages=EXPORT)

    async def before(pilot):
        await ready(pilot)
        pilot.app.open_screen("export", tenant=True, output="democon.jsonl.gz")
        screen = await screen_is(pilot, ExportScreen)
        await until(pilot, lambda: screen.plans >= 1, "the plan")
        await pilot.pause()  # a notification sent as the work ended is a queued message: let it arrive, then clear
        pilot.app.clear_notifications()
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        app.close_session()


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)


async def test_leaving_while_planning_or_exporting_is_quiet(ui_project, make_app, tmp_path: Path) -> None:
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=EXPORT)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = len(notifications(app))
        pilot.app.open_screen("export", tenant=True, directory=str(tmp_path))
        await screen_is(pilot, ExportScreen)
        await pilot.press("escape")  # at once, while the plan is being computed
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ExportScreen)
        assert not [n for n in notifications(app)[before:] if "Error" in n or "NoMatches" in n]
