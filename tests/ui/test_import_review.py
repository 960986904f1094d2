"""The import review screen driven with the pilot: plan, decide, bulk-decide, save, confirm, apply.

The database side of every decision is tested on SQLite and PostgreSQL in tests/importer/; these
flows run on SQLite (the console's target database is the test alias ``target``).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tenant_console.ui.importer.confirm import ConfirmApply
from tenant_console.ui.importer.screen import ImportScreen
from tests.conftest import flush
from tests.importer.conftest import Importer, load_base, table_state
from tests.importer.exports import export_tenant
from tests.ui.conftest import _project_on, notifications, ready, screen_is, until

SIZE = (140, 40)
IMPORT = ("tenant_console.ui.importer",)



@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict[str, Path]:
    """democon and pycon-nordic as the seed makes them, exported once (one seeding: the same users): not
    from ``default``, which the suite's earlier tests use (a row one of them leaves there would change
    the plan, and the snapshot with it)."""
    from conference.seeding import seed

    folder = tmp_path_factory.mktemp("pristine")
    flush("target")
    try:
        seed("target")
        return {slug: export_tenant("target", slug, folder / f"{slug}.jsonl.gz")
                for slug in ("democon", "pycon-nordic")}
    finally:
        flush("target")


def _copy(export: Path, folder: Path) -> Path:
    manifest = export.with_name(export.name.removesuffix(".jsonl.gz") + ".manifest.json")
    for f in (export, manifest):
        (folder / f.name).write_bytes(f.read_bytes())
    return folder / export.name


@pytest.fixture
def export_file(pristine, tmp_path_factory):
    return _copy(pristine["democon"], tmp_path_factory.mktemp("review"))


@pytest.fixture
def app_on_target(project, target, make_app, tmp_path):
    def factory():
        return make_app(_project_on(project, target, tmp_path), extension_packages=IMPORT)

    return factory


async def open_review(pilot, path) -> ImportScreen:
    await ready(pilot)
    pilot.app.open_screen("import", path=str(path))
    screen = await screen_is(pilot, ImportScreen)
    await until(pilot, lambda: screen.state in ("planned", "failed"), "the plan", timeout=30)
    assert screen.state == "planned", str(screen.query_one("#import-status").render())
    return screen


async def settled(pilot, screen) -> None:
    """The decisions typed so far are resolved (on the session thread) and shown."""
    await until(pilot, lambda: not screen.resolving, "the decisions to be resolved")
    await pilot.pause()


def _side_text(screen) -> str:
    """The side panel (detail, side-by-side table, decision keys) as plain text."""
    from io import StringIO

    from rich.console import Console

    console = Console(width=200, record=True, file=StringIO())
    console.print(screen.query_one("#import-side").content)
    return console.export_text()


def _rows(screen, table_id):
    return screen.query_one(table_id).row_count


async def test_decide_save_confirm_apply(app_on_target, export_file, project):
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, export_file)
        assert _rows(screen, "#import-summary") == len(screen.plan.items) + 1
        assert _rows(screen, "#import-conflicts") == 1  # the planted cross-tenant review
        assert "1 undecided" in str(screen.query_one("#import-status").render())
        await pilot.press("a")  # refused while anything is undecided
        await pilot.pause()
        assert "undecided" in notifications(app)[-1] and not isinstance(app.screen, ConfirmApply)
        await pilot.press("o")  # not possible for a missing reference
        await settled(pilot, screen)
        assert "not possible" in notifications(app)[-1]
        await pilot.press("s")
        await settled(pilot, screen)
        assert screen.resolution.complete
        saved = export_file.with_name("democon.decisions.json")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: saved.exists() and "Decisions saved" in notifications(app)[-1], "the save")
        doc = json.loads(saved.read_text())
        assert list(doc["objects"].values()) == [{"decision": "skip", "class": "missing_ref"}]
        await pilot.press("a")
        confirm = await screen_is(pilot, ConfirmApply)
        text = str(confirm.query_one("#confirm-text").render())
        assert "into database target (sqlite)" in text and "as exported" in text
        assert "y apply: write the import in one transaction" in str(confirm.query_one("#confirm-keys").render())
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done", "the apply", timeout=30)
        assert "Imported" in str(screen.query_one("#import-report").render())
        assert app.readonly  # the writable session is gone again
    from conference.models import Submission

    count = await asyncio.to_thread(
        lambda: Submission._base_manager.using("target").filter(event__slug="democon").count())
    assert count == 40
    record = [r for r in project.audit.outcomes() if r["action"] == "import"][-1]
    assert record["outcome"] == "ok" and record["database"] == "target"
    assert record["decisions"]["objects"]


async def test_side_by_side_bulk_decisions_and_dry_run(app_on_target, export_file, project):
    imp = Importer(project, "target")
    try:
        load_base(imp, export_file)
        from conference.models import Submission

        pks = imp.run(lambda: list(Submission._base_manager.filter(event__slug="democon").order_by("pk")
                                   .values_list("pk", flat=True)[:3]))
        imp.run(lambda: Submission._base_manager.filter(pk__in=pks).update(title="Edited in the target"))
    finally:
        imp.close()
    before = await asyncio.to_thread(table_state, "target")
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, export_file)
        assert _rows(screen, "#import-conflicts") == 4
        table = screen.query_one("#import-conflicts")
        refs = [screen._listed[i].ref for i in range(table.row_count)]
        first = refs.index(f"conference.submission:{pks[0]}")
        table.move_cursor(row=first)
        await pilot.pause()
        differing = [row for row in screen.side if row[3]]
        assert [(f, e) for f, _i, e, _d in differing] == [("title", "Edited in the target")]
        assert len(screen.side) > 5  # every field, side by side
        await pilot.press("O")  # overwrite every changed submission
        await settled(pilot, screen)
        decided = [it for it in screen._listed if screen.resolution.decision(it) == "overwrite"]
        assert len(decided) == 3
        assert len(screen.resolution.undecided) == 1
        table.move_cursor(row=next(i for i, r in enumerate(refs) if r.startswith("conference.review")))
        await pilot.press("s")
        await settled(pilot, screen)
        await pilot.press("d")
        confirm = await screen_is(pilot, ConfirmApply)
        keys = str(confirm.query_one("#confirm-keys").render())
        assert "y rehearse" in keys and "roll it back" in keys and "y apply" not in keys  # says what y does
        said: list[str] = []
        app.watch(app, "activity", lambda value: said.append(value), init=False)
        await pilot.press("y")
        await until(pilot, lambda: screen.report is not None and screen.state == "planned", "the dry run", timeout=30)
        assert "DRY RUN" in str(screen.query_one("#import-report").render())
        # the banner said what was happening (not READ-ONLY), and says READ-ONLY again after it
        assert said[0] == "DRY RUN: import, rolled back at the end" and said[-1] == ""
    assert await asyncio.to_thread(table_state, "target") == before


async def test_bad_file_is_a_message_not_a_crash(app_on_target, tmp_path):
    bad = tmp_path / "nothing.jsonl"
    bad.write_text("{}\n")
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_screen("import", path=str(bad))
        screen = await screen_is(pilot, ImportScreen)
        await until(pilot, lambda: screen.state == "failed", "the failure")
        assert "manifest" in notifications(app)[-1]
        await pilot.press("a")  # nothing to apply, nothing happens
        assert isinstance(app.screen, ImportScreen)


async def test_import_command_opens_the_review(app_on_target, export_file):
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.run_command_line(f"import {export_file}")
        screen = await screen_is(pilot, ImportScreen)
        await until(pilot, lambda: screen.state == "planned", "the plan", timeout=30)


def test_review_snapshot(app_on_target, export_file, project, snap_compare, tmp_path, monkeypatch):
    imp = Importer(project, "target")
    try:
        load_base(imp, export_file)
        from conference.models import Submission

        pk = imp.run(lambda: Submission._base_manager.filter(event__slug="democon").order_by("pk").first().pk)
        imp.run(lambda: Submission._base_manager.filter(pk=pk).update(title="Edited in the target", duration=99))
    finally:
        imp.close()
    local = tmp_path / "democon.jsonl.gz"
    local.write_bytes(export_file.read_bytes())
    local.with_name("democon.manifest.json").write_bytes(
        export_file.with_name("democon.manifest.json").read_bytes())
    monkeypatch.chdir(tmp_path)
    app = app_on_target()

    async def run_before(pilot) -> None:
        screen = await open_review(pilot, Path("democon.jsonl.gz"))
        await until(pilot, lambda: not [w for w in app.workers if w.is_running and w.node is screen], "idle")
        await pilot.pause()  # a notification sent as the work ended is a queued message: let it arrive, then clear
        app.clear_notifications()
        await pilot.pause()

    assert os.getcwd() == str(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_review_flag_opens_the_console_on_the_review(project, target, export_file, tmp_path):
    """``tenant-console ... import FILE --review``: the console starts on the review of FILE."""
    from tenant_console.ui.app import StartupSpec
    from tenant_console.ui.importer.launch import ReviewApp

    app = ReviewApp(_project_on(project, target, tmp_path), str(export_file), startup=StartupSpec(),
                    extension_packages=IMPORT)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await screen_is(pilot, ImportScreen)
            # Real-project finding F15: the keys go to the review, not into the path box, from the start
            # (keys typed while the plan runs must not end up in the path).
            conflicts = screen.query_one("#import-conflicts")
            assert app.focused is conflicts
            await pilot.press("a", "d", "k")
            await until(pilot, lambda: screen.state == "planned", "the plan", timeout=30)
            assert screen.query_one("#import-path").value == str(export_file)
            assert app.focused is conflicts and conflicts.row_count == 1
            assert screen.plan.export.data_path == export_file
            # The console started once: one model browser under the review, nothing pushed over it later.
            await pilot.pause(0.5)
            assert [type(s).__name__ for s in app.screen_stack].count("ModelBrowser") == 1
            assert app.screen is screen
    finally:
        app.close_session()


async def test_cross_tenant_reference_is_listed_and_needs_an_explicit_decision(app_on_target, export_file, project,
                                                                              pristine, tmp_path):
    """Restoring democon beside pycon-nordic: the planted review would point into pycon-nordic. The
    summary counts it in its own column, the list shows it undecided, keep is refused, and it can be
    skipped or explicitly allowed (x)."""
    from tenant_console.core.importer import Decisions

    nordic = _copy(pristine["pycon-nordic"], tmp_path)
    imp = Importer(project, "target")
    try:
        plan = imp.plan(nordic)
        imp.apply(plan, imp.resolve(plan))
        plan = imp.plan(export_file)
        d = Decisions()
        d.set_default("skip", "cross_tenant_reference")
        imp.apply(plan, imp.resolve(plan, d))
    finally:
        imp.close()
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, export_file)
        summary = screen.query_one("#import-summary")
        headers = [str(c.label) for c in summary.columns.values()]
        assert "cross-tenant" in headers
        column = headers.index("cross-tenant")
        total = summary.get_row_at(summary.row_count - 1)
        assert str(total[column]) == "1"
        table = screen.query_one("#import-conflicts")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        crossing = [r for r in rows if r[1] == "cross_tenant_reference"]
        assert len(crossing) == 1 and str(crossing[0][2]) == "undecided"
        assert "pycon-nordic" in str(crossing[0][3])
        table.move_cursor(row=rows.index(crossing[0]))
        await pilot.pause()
        assert "x allow cross tenant" in _side_text(screen)
        await pilot.press("k")  # keep is not a decision for a new object that points across tenants
        await settled(pilot, screen)
        assert "not possible" in notifications(app)[-1]
        item = screen._listed[table.cursor_row]
        await pilot.press("x")
        await settled(pilot, screen)
        assert screen.resolution.decision(item) == "allow_cross_tenant"
        assert screen.resolution.effective(item) == "insert"
        table.move_cursor(row=screen._listed.index(item))
        await pilot.press("s")
        await settled(pilot, screen)
        assert screen.resolution.decision(item) == "skip"
        assert screen.resolution.complete


async def test_decisions_resolve_on_the_session_thread_and_fast_keys_apply_the_decided_plan(
        app_on_target, export_file, monkeypatch):
    """Resolving the decisions walks the whole plan (0.2-1 s at 30k objects): it runs on the console's
    session thread, never on the event loop. ``s`` then ``a`` typed with no pause between them opens
    the confirmation of the decided plan (``a`` waits for the resolution instead of refusing it)."""
    import threading

    from tenant_console.ui.importer import screen as screen_module

    threads: list[str] = []
    original = screen_module.resolve_items

    def recorded(plan, decisions):
        threads.append(threading.current_thread().name)
        return original(plan, decisions)

    monkeypatch.setattr(screen_module, "resolve_items", recorded)
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot, export_file)
        assert app.focused is screen.query_one("#import-conflicts")
        await pilot.press("s", "a")  # typing speed: no pause between the decision and the apply
        confirm = await screen_is(pilot, ConfirmApply)
        assert screen.resolution.complete
        assert "Write" in str(confirm.query_one("#confirm-text").render())
        await pilot.press("n")
    assert len(threads) == 2  # the plan's resolution and the one after s
    assert all(name.startswith("tenant-console-console") for name in threads), threads


async def test_a_plan_started_from_the_path_box_moves_the_focus_to_the_review(app_on_target, export_file):
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_screen("import")
        screen = await screen_is(pilot, ImportScreen)
        path_box = screen.query_one("#import-path")
        assert app.focused is path_box  # no file yet: the path is what to give
        await pilot.press(*str(export_file), "enter")
        await until(pilot, lambda: screen.state == "planned", "the plan", timeout=30)
        assert app.focused is screen.query_one("#import-conflicts")
        await pilot.press("s")  # a decision, not a letter in the path
        await settled(pilot, screen)
        assert path_box.value == str(export_file) and screen.resolution.complete


async def _quit_while_applying(app, pilot, export_file, slow_apply, key: str):
    from tenant_console.ui.importer.confirm import ApplyRunning

    screen = await open_review(pilot, export_file)
    await pilot.press("s")  # the one conflict
    await pilot.press("a")
    await screen_is(pilot, ConfirmApply)
    await pilot.press("y")
    await until(pilot, lambda: slow_apply.is_set() and screen.state == "applying", "the apply to start", timeout=30)
    await pilot.press("ctrl+q")
    dialog = await screen_is(pilot, ApplyRunning)
    text = str(dialog.query_one("#running-text").render())
    assert "An import is running" in text and "rolled back whole" in text
    await pilot.press(key)
    return screen


def _imported(target: str) -> int:
    from conference.models import Submission

    return Submission._base_manager.using(target).filter(event__slug="democon").count()


async def test_quit_during_apply_cancels_it_on_the_database(app_on_target, export_file, project, slow_apply):
    """ctrl+q while an import is applied, then c: the import is cancelled and rolled back before the
    console quits, and the audit trail says interrupted, nothing written."""
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        await _quit_while_applying(app, pilot, export_file, slow_apply, "c")
        await until(pilot, lambda: not app.is_running or app._exit, "the console to quit", timeout=30)
    assert await asyncio.to_thread(_imported, "target") == 0
    record = [r for r in project.audit.outcomes() if r["action"] == "import"][-1]
    assert record["outcome"] == "interrupted" and record["written"] is False, record
    assert "rolled back" in record["error"]


async def test_quit_during_apply_waits_for_it(app_on_target, export_file, project, slow_apply):
    """ctrl+q, then w: the console quits once the import has committed; the audit trail says ok."""
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _quit_while_applying(app, pilot, export_file, slow_apply, "w")
        await until(pilot, lambda: not app.is_running or app._exit, "the console to quit", timeout=60)
        assert screen.state == "done"
    assert await asyncio.to_thread(_imported, "target") == 40
    record = [r for r in project.audit.outcomes() if r["action"] == "import"][-1]
    assert record["outcome"] == "ok"


async def test_quit_during_apply_can_stay(app_on_target, export_file, project, slow_apply):
    """ctrl+q, then esc: nothing stops, the console stays, the import finishes."""
    app = app_on_target()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _quit_while_applying(app, pilot, export_file, slow_apply, "escape")
        await until(pilot, lambda: screen.state == "done", "the apply", timeout=60)
        assert app.is_running and app.screen is screen
    assert await asyncio.to_thread(_imported, "target") == 40
