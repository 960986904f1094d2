"""Regenerate ``screenshots/*.svg`` from the real console on the seeded demo database.

    .venv/bin/python scripts/screenshots.py            # demo_project/demo.sqlite3 (demo.settings)
    .venv/bin/python scripts/screenshots.py --size 132x36 --out screenshots

Each picture is the app driven through a real flow (pick a tenant, open a model,
open an object, disable scopes, walk the graph, use the REPL, plan an export,
review an import) with ``run_test`` and saved with ``App.save_screenshot``. The
shots of the extension screens load only the extension packages they need.
The import review reads a real export of democon (written to a temporary file
by the exporter) and plans it into the tenant opsfest of the same demo
database, so keys and unique values clash; planning writes nothing. Recently used tenants are kept in a temporary state
directory so the pictures do not depend on who ran the console before.
Seed the demo first if it is empty: ``cd demo_project && ../.venv/bin/python manage.py seed_demo``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "demo_project")):
    if p not in sys.path:
        sys.path.insert(0, p)

from tenant_console.cli.scopeflags import ScopeFlag  # noqa: E402
from tenant_console.ui.app import StartupSpec, TenantConsoleApp  # noqa: E402

#: File name -> (what it shows). The README links these.
SHOTS = {
    "tenant-picker.svg": "the tenant picker searching for 'con'",
    "model-browser.svg": "models by app with row counts in the tenant democon",
    "object-list.svg": "the virtual object table of conference.Submission, filtered and sorted",
    "object-detail.svg": "a review that points at another tenant's submission",
    "scopes-disabled.svg": "the red banner while scopes are disabled",
    "help.svg": "? help in the object list",
    "graph-browser.svg": "the related-object graph of the submission with the planted cross-tenant review",
    "repl.svg": "the REPL pane with output, over the object list",
    "export-plan.svg": "the export screen's plan for the tenant democon (refused: a cross-tenant reference)",
    "import-review.svg": "the import review of a democon export into opsfest on the demo database (conflicts)",
    "delete-preview.svg": "the delete preview of the pycon-nordic talk whose cascade reaches democon's review",
}

GRAPH = ("tenant_console.ui.graph",)
REPL = ("tenant_console.ui.repl",)
EXPORT = ("tenant_console.ui.export", "tenant_console.ui.graph")
IMPORT = ("tenant_console.ui.importer",)
DELETE = ("tenant_console.ui.delete",)


async def until(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await pilot.pause(0.02)


async def settle(pilot: Any) -> None:
    app = pilot.app

    def idle() -> bool:
        running = [w for w in app.workers if w.is_running and getattr(w.node, "screen", None) is app.screen]
        return not running and not app.busy

    await until(pilot, idle, "the app to be idle")
    app.clear_notifications()
    await pilot.pause(0.05)


async def shoot(project: Any, size: tuple[int, int], out: Path, name: str,
                flow: Callable[[Any], Awaitable[None]], extensions: tuple[str, ...] = (), **startup: Any) -> None:
    app = TenantConsoleApp(project, startup=StartupSpec(**startup), extension_packages=extensions)
    try:
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: app.ready, "start-up")
            await flow(pilot)
            await settle(pilot)
            app.save_screenshot(filename=name, path=str(out))
    finally:
        app.close_session()
    print(f"wrote {out / name}: {SHOTS[name]}")


async def _counts(pilot: Any) -> None:
    from tenant_console.ui.screens.models import ModelBrowser

    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ModelBrowser) and app.screen.counted_scope == app.scope,
                "counts")


async def _open(pilot: Any, label: str, filter_text: str = "") -> Any:
    from tenant_console.ui.screens.objects import ObjectListScreen

    app = pilot.app
    await _counts(pilot)
    app.open_model(label, filter_text)
    await until(pilot, lambda: isinstance(app.screen, ObjectListScreen) and app.screen.is_mounted, "the list")
    screen = app.screen
    await until(pilot, lambda: screen.table.cache.row(0) is not None, "rows")
    return screen


async def picker(pilot: Any) -> None:
    screen = pilot.app.screen
    await pilot.press(*"con")
    await until(pilot, lambda: getattr(screen, "searched_text", None) == "con", "the search")


async def objects(pilot: Any) -> None:
    screen = await _open(pilot, "conference.Submission", "state__in=accepted,confirmed")
    table = screen.table
    table.cursor_column = [c.name for c in table.columns].index("title")
    await pilot.press("s")
    await until(pilot, lambda: table.spec.order == "title" and table.cache.row(0) is not None, "sorted")
    await pilot.press("down", "down")


async def detail(pilot: Any) -> None:
    from tenant_console.ui.screens.detail import ObjectDetailScreen

    await _open(pilot, "conference.Review", "planted")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ObjectDetailScreen) and pilot.app.screen.loaded,
                "the detail")


async def help_screen(pilot: Any) -> None:
    await _open(pilot, "conference.Submission")
    await pilot.press("question_mark")


def _planted(session: Any) -> tuple[int, int]:
    """(review pk, submission pk) of the seed's cross-tenant review (democon review, pycon-nordic talk)."""
    from conference.models import Review

    def find() -> tuple[int, int]:
        for review in Review._base_manager.select_related("submission").order_by("pk"):
            if review.event_id != review.submission.event_id:
                return review.pk, review.submission_id
        raise SystemExit("screenshots: the demo has no cross-tenant review; re-seed it (manage.py seed_demo)")

    return session.run(find, scoped=False)


async def graph(pilot: Any) -> None:
    """The talk of pycon-nordic that a democon review points at: its reviews expanded."""
    from tenant_console.ui.graph.screen import GraphScreen

    app = pilot.app
    _, submission = await asyncio.to_thread(_planted, app.session)
    app.action_open_graph("conference.Submission", submission)
    await until(pilot, lambda: isinstance(app.screen, GraphScreen) and app.screen.is_mounted, "the graph")
    screen = app.screen
    tree = screen.tree
    await until(pilot, lambda: tree.loads >= 1 and tree.root.children, "the root's relations")
    reviews = next(c for c in tree.root.children if c.data.info.name == "reviews")
    before = tree.loads
    tree.move_cursor(reviews)
    reviews.expand()
    await until(pilot, lambda: tree.loads > before, "the reviews")
    foreign = [c for c in reviews.children if "other tenant" in c.label.plain]
    if foreign:
        tree.move_cursor(foreign[0])
    await until(pilot, lambda: screen.summary.runs >= 1, "the closure summary")


def _more_results(pane: Any, before: int) -> bool:
    return len(pane.results) > before


async def repl(pilot: Any) -> None:
    """The REPL laid over the submissions list, after a few statements."""
    from tenant_console.ui.repl.pane import ReplPane

    await _open(pilot, "conference.Submission")
    app = pilot.app
    await pilot.press("grave_accent")
    await until(pilot, lambda: bool(app.screen.query(ReplPane)), "the REPL")
    pane = app.screen.query_one(ReplPane)
    await asyncio.wait_for(pane.ready.wait(), 20)
    for source in ("Submission.objects.count()",
                   "Submission.objects.filter(state='accepted').values_list('code', 'title')[:3]",
                   "Review.objects.filter(submission__event__slug='pycon-nordic').count()"):
        before: int = len(pane.results)
        pane.editor.insert(source)
        await pilot.press("enter")
        await until(pilot, functools.partial(_more_results, pane, before), "the REPL's result")
    await pilot.pause(0.1)


async def export_plan(pilot: Any) -> None:
    from tenant_console.ui.export.screen import ExportScreen

    app = pilot.app
    await _counts(pilot)
    app.run_command_line("export tenant")
    await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen.is_mounted, "the export")
    screen = app.screen
    await until(pilot, lambda: screen.plans >= 1 or screen.state == "failed", "the plan", timeout=60)
    screen.query_one("#export-output").value = "exports/democon.jsonl.gz"


def _export_democon(project: Any, path: Path) -> Path:
    """democon written by the real exporter (cross-tenant references omitted), for the import review."""
    from conference.models import Event

    from tenant_console.core.export import ExportRequest, run_export
    from tenant_console.core.export.storage import LocalOutput

    with project.session("screenshots-export") as session:
        pk = session.run(lambda: Event._base_manager.get(slug="democon").pk, scoped=False)
        request = ExportRequest(tenant_pks={"event": pk}, output=LocalOutput(str(path)), cross_tenant="omit",
                                overwrite=True)
        session.run(run_export, project, request, alias=session.alias)
    return path


def import_review(path: Path) -> Callable[[Any], Awaitable[None]]:
    async def flow(pilot: Any) -> None:
        from tenant_console.ui.importer.screen import ImportScreen

        app = pilot.app
        app.open_screen("import", path=str(path))
        await until(pilot, lambda: isinstance(app.screen, ImportScreen) and app.screen.is_mounted, "the review")
        screen = app.screen
        await until(pilot, lambda: screen.state in ("planned", "failed"), "the import plan", timeout=120)
        if screen.state != "planned":
            raise SystemExit(f"screenshots: the import plan failed: {screen.query_one('#import-status').render()}")
        # Copy democon into the console's tenant (opsfest): its keys and unique values clash with what the
        # demo database already has, so the review has conflicts to decide (planning writes nothing).
        plans = screen.plans
        screen.query_one("#import-conflicts").focus()  # not the path box, where "i" would be typed
        await pilot.press("i")
        await until(pilot, lambda: screen.retarget is not None and screen.state in ("planned", "failed")
                    and screen.plans > plans, "the plan into opsfest", timeout=120)
        conflicts = screen.query_one("#import-conflicts")
        conflicts.focus()
        if conflicts.row_count > 1:
            await pilot.press("down")

    return flow


async def delete_preview(pilot: Any) -> None:
    """The talk of pycon-nordic that a democon review points at: deleting it would reach democon (refused)."""
    from tenant_console.ui.delete.screen import DeleteScreen

    app = pilot.app
    _, submission = await asyncio.to_thread(_planted, app.session)
    app.open_screen("delete", model_label="conference.Submission", pk=submission)
    await until(pilot, lambda: isinstance(app.screen, DeleteScreen) and app.screen.loaded >= 1, "the preview")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", default="demo.settings")
    parser.add_argument("--database", default="default")
    parser.add_argument("--size", default="128x34", help="terminal size WIDTHxHEIGHT")
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from tenant_console.core.project import load_project

    project = await asyncio.to_thread(load_project, args.settings, [], args.database)
    state = Path(tempfile.mkdtemp(prefix="tc-shots-"))
    from tenant_console.core.audit import AuditTrail

    project = dataclasses.replace(project, config=dataclasses.replace(project.config, state_dir=state),
                                  audit=AuditTrail(state / "audit.jsonl", project.settings_module, project.alias))
    democon = [ScopeFlag("event__slug", "democon")]
    size = (width, height)
    await shoot(project, size, out, "tenant-picker.svg", picker)
    await shoot(project, size, out, "model-browser.svg", _counts, scope_flags=democon)
    await shoot(project, size, out, "object-list.svg", objects, scope_flags=democon)
    await shoot(project, size, out, "object-detail.svg", detail, scope_flags=democon)
    await shoot(project, size, out, "scopes-disabled.svg", _counts, disabled=True)
    await shoot(project, size, out, "help.svg", help_screen, scope_flags=democon)
    await shoot(project, size, out, "graph-browser.svg", graph, GRAPH,
                scope_flags=[ScopeFlag("event__slug", "pycon-nordic")])
    await shoot(project, size, out, "repl.svg", repl, REPL, scope_flags=democon)
    await shoot(project, size, out, "export-plan.svg", export_plan, EXPORT, scope_flags=democon)
    fixed = Path(tempfile.gettempdir()) / "tenant-console-screenshots"  # the same path in every picture
    fixed.mkdir(exist_ok=True)
    exported = await asyncio.to_thread(_export_democon, project, fixed / "democon.jsonl.gz")
    await shoot(project, size, out, "import-review.svg", import_review(exported), IMPORT,
                scope_flags=[ScopeFlag("event__slug", "opsfest")])
    await shoot(project, size, out, "delete-preview.svg", delete_preview, DELETE,
                scope_flags=[ScopeFlag("event__slug", "pycon-nordic")])
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
