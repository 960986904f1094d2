"""The review screen of an import.

Reading and verifying the file runs in a thread (no ORM); the plan, and the resolution of
the decisions after every key (0.2-1 s at 30k objects), run on the console's session
(read-only), never on the event loop; the apply runs on a writable session of its own,
opened for the apply and closed after it. Nothing can be applied while anything is
undecided, and the final confirmation names the database and the tenant.

Keys on the list of conflicts: ``k`` keep, ``o`` overwrite, ``n`` new key, ``u`` use
existing, ``r`` rename, ``s`` skip, ``x`` allow a cross-tenant reference, ``e`` detach (drop nullable
references into another tenant) (capitals: the
same for every conflict of that model and class; ``X`` is the explicit per-model
``cross_tenant_reference=allow_cross_tenant``), ``ctrl+s`` save the decisions, ``d`` dry run, ``a`` apply,
``i`` import into the current tenant (again: as exported).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, ProgressBar, Static

from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.ui.importer.summary import add_summary_columns, fill_summary
from tenant_console.ui.screens.base import ConsoleScreen
from tenant_console.ui.writing import audited_write

KEYS = {"k": "keep", "o": "overwrite", "n": "new_key", "u": "use_existing", "r": "rename", "s": "skip",
        "x": "allow_cross_tenant", "e": "detach"}
SHOWN = 2000  # conflicts listed at once; bulk decisions cover the rest


class PathInput(Input):
    """The export path box. ``:`` typed into an empty box, or into one that still holds the path just
    planned (after a failed plan the box keeps the focus), is the console's command line, not part of a
    path: switching tenant there (``:tenant x``) must not type ``:tenant x`` after the path."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        screen = self.screen
        if character == ":" and (not self.value or (isinstance(screen, ImportScreen) and self.value == screen.path
                                                    and screen.state in ("failed", "planned"))):
            return False
        return super().check_consume_key(key, character)


class ImportScreen(ConsoleScreen):
    HELP = ("Review an import before anything is written. Every conflict needs a decision: k keep, o overwrite, "
            "n new key, u use existing, r rename, s skip, x allow a reference into another tenant (only for "
            "cross-tenant references, and only when you mean it), e detach (import it with its nullable references "
            "into another tenant set to NULL); capital letter: for every conflict of that model and class. "
            "a applies in one transaction after a confirmation; d is a dry run; ctrl+s saves the "
            "decisions for a headless run (tenant-console import FILE --decisions D.json --apply).")
    BINDINGS: ClassVar = [
        *ConsoleScreen.BINDINGS,
        *[Binding(k, f"decide('{d}')", d.replace("_", " "), show=k in "kos") for k, d in KEYS.items()],
        *[Binding(k.upper(), f"decide_model('{d}')", f"{d} (model)", show=False) for k, d in KEYS.items()],
        Binding("a", "apply(False)", "Apply"),
        Binding("d", "apply(True)", "Dry run"),
        Binding("ctrl+s", "save", "Save decisions"),
        Binding("i", "toggle_into", "Into tenant"),
    ]
    DEFAULT_CSS = """
    ImportScreen #import-top { height: 3; }
    ImportScreen #import-path { width: 1fr; }
    ImportScreen #import-status { height: auto; padding: 0 1; }
    ImportScreen #import-summary { height: auto; max-height: 10; }
    ImportScreen #import-work { height: 1fr; }
    ImportScreen #import-conflicts { width: 3fr; }
    ImportScreen #import-side-box { width: 2fr; border-left: solid $accent; }
    ImportScreen #import-progress { height: 1; padding: 0 1; }
    ImportScreen #import-report { height: auto; max-height: 12; padding: 0 1; }
    """

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.path = path
        self.crumb = "import"
        self.state = "idle"
        self.export: Any = None
        self.plan: Any = None
        self.decisions: Any = None
        self.resolution: Any = None
        self.report: Any = None
        self.retarget: Any = None
        self.plans = 0
        #: Decisions are resolved on the session thread; keys typed meanwhile still count (their
        #: decisions are in ``self.decisions``), and apply and save wait for the resolution.
        self.resolving = False
        self._resolved = asyncio.Event()
        self._resolved.set()
        self._resolve_generation = 0
        self._items: list[Any] = []  # the conflicts and undecided objects, in the plan's order
        #: The apply running now (its worker, writable session and cancel event), for a quit that asks.
        self._apply_worker: Any = None
        self._apply_session: Any = None
        self._apply_cancel: threading.Event | None = None
        self._apply_dry_run = False
        self._listed: list[Any] = []
        #: The side-by-side rows on show: (field, incoming, existing, differs).
        self.side: list[tuple[str, str, str, bool]] = []

    # -- tenant switches (see ConsoleScreen.tenant_bound) --------------------------
    tenant_bound = "follow"

    def on_unmount(self) -> None:
        guards = getattr(self.app, "leave_guards", None)
        if isinstance(guards, list) and self.confirm_leave in guards:
            guards.remove(self.confirm_leave)

    async def confirm_leave(self, reason: str) -> bool:
        """A leave guard (quitting: ctrl+q, :q, :quit): while an import is applied, ask to wait for it or to
        cancel it on the database (rolled back); either way the audit trail gets what really happened,
        and the console quits only once the apply has ended. False: stay."""
        worker = self._apply_worker
        if self.state != "applying" or worker is None or worker.is_finished:
            return True
        what = "A dry run of an import" if self._apply_dry_run else "An import"
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        from tenant_console.ui.importer.confirm import ApplyRunning

        self.app.push_screen(ApplyRunning(reason, what),
                             lambda choice: answer.set_result(choice) if not answer.done() else None)
        choice = await answer
        if choice not in ("wait", "cancel"):
            return False
        if worker.is_finished:  # it ended while the question was open
            return True
        if choice == "cancel":
            self.cancel_apply()
            self._status("[b yellow]Cancelling the import on the database ...[/]")
        else:
            self._status("[b]Waiting for the import to finish, then quitting ...[/]")
        await worker.wait()
        return True

    def cancel_apply(self) -> None:
        """Stop the running apply: between batches (its cancel event) and the statement running now,
        on the database (``Session.cancel``: PostgreSQL cancel, MariaDB ``KILL QUERY``, SQLite
        interrupt). It rolls back; one that has already passed its last check commits, and says so."""
        if self._apply_cancel is not None:
            self._apply_cancel.set()
        if self._apply_session is not None:
            self._apply_session.cancel()

    def tenant_switch_blocker(self) -> str | None:
        if self.state == "applying":
            return "An import is being applied: wait for it to finish before switching tenant."
        return None

    def tenant_changed(self, scope: Any) -> None:
        """A plan "into the current tenant" is re-made for the new one (or as exported, when no tenant
        is active now); a plan as exported does not depend on the console's tenant."""
        from tenant_console.core.importer import Retarget

        if self.retarget is None or self.retarget.mode != "into":
            return
        if scope.is_active:
            self.retarget = Retarget.into_tenant(scope.pks(), {t.dimension: t.label for t in scope.tenants})
        else:
            self.retarget = None
            self.notify("No tenant is active now: the import is planned as exported.", title="Import",
                        severity="warning")
        self.plan = None
        self.state = "idle"
        self.start_plan()

    # -- layout ------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Vertical():
            with Horizontal(id="import-top"):
                yield PathInput(self.path, placeholder="export file (.jsonl.gz or .manifest.json), enter to plan",
                                id="import-path")
            yield Static("Give the export file to plan the import.", id="import-status")
            yield DataTable(id="import-summary", cursor_type="none", zebra_stripes=True)
            with Horizontal(id="import-work"):
                yield DataTable(id="import-conflicts", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="import-side-box"):
                    yield Static("", id="import-side")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("", id="import-report")

    def on_mount(self) -> None:
        guards = getattr(self.app, "leave_guards", None)
        if isinstance(guards, list) and self.confirm_leave not in guards:
            guards.append(self.confirm_leave)
        add_summary_columns(self.query_one("#import-summary", DataTable))
        conflicts = self.query_one("#import-conflicts", DataTable)
        conflicts.add_columns("object", "class", "decision", "detail")
        self.query_one("#import-progress", ProgressBar).display = False
        if self.path:
            # Opened on a file (--review, :import FILE): the review is what the user came for, so the
            # keys go to the conflict list from the start, never into the path box (real-project
            # finding F15: a, d or k typed while the plan ran ended up in the path).
            self.set_focus(conflicts, scroll_visible=False)
            self.start_plan()
        else:
            self.set_focus(self.query_one("#import-path", Input), scroll_visible=False)

    # -- planning ----------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "import-path":
            event.stop()
            self.path = event.value.strip()
            self.start_plan()

    def start_plan(self) -> None:
        if not self.path:
            self.notify("Give the path of an export file.", severity="warning")
            return
        self.run_worker(self._plan(), exclusive=True, group="import-plan", exit_on_error=False)

    async def _plan(self) -> None:
        from tenant_console.core.importer import Decisions, Retarget, build_plan, read_export

        self.state = "planning"
        self._status(f"Reading and verifying {self.path} ...")
        try:
            self.export = await asyncio.to_thread(read_export, self.path)
        except ConsoleError as exc:
            self.state = "failed"
            self._status(f"[b red]Cannot import:[/] {exc.message}")
            self.notify(exc.message, title="Import", severity="error")
            self._focus_path()
            return
        console = self.console
        project, session = console.project, console.session
        assert project is not None and session is not None
        self._status(f"Planning {self.export.describe()} against {project.database_label()} ...")
        retarget = self.retarget or Retarget()
        decisions = Decisions()
        try:
            self.plan = await console.db(build_plan, self.export, session.alias, project.registry,
                                         retarget, scoped=False)
            decisions.implied = self.plan.retarget.implied()
            self.resolution, self._items = await console.db(resolve_items, self.plan, decisions, scoped=False)
        except Exception:
            self.state = "failed"
            self._status("[b red]The plan failed[/] (see the notification).")
            self._focus_path()
            return
        self.decisions = decisions
        self.plans += 1
        self.state = "planned"
        self._fill_summary()
        self._fill_conflicts()
        self._refresh_status()
        # A plan on show: the keys (decide, a, d, ctrl+s) belong to the conflict list, also when the
        # plan was started from the path box and when nothing needs deciding.
        self.set_focus(self.query_one("#import-conflicts", DataTable), scroll_visible=False)

    def _focus_path(self) -> None:
        """No plan to review: the path box, to correct the file name (``:`` there still opens the command line)."""
        self.set_focus(self.query_one("#import-path", Input), scroll_visible=False)

    # -- tables ------------------------------------------------------------------
    def _fill_summary(self) -> None:
        fill_summary(self.query_one("#import-summary", DataTable), self.plan)

    def _fill_conflicts(self, keep_cursor: bool = False) -> None:
        table = self.query_one("#import-conflicts", DataTable)
        row = table.cursor_row if keep_cursor else 0
        table.clear()
        self._listed = self._items[:SHOWN]
        reasons = {id(u.item): u.reason for u in self.resolution.undecided}
        for it in self._listed:
            decision = self.resolution.decision(it)
            shown = Text(decision or "undecided", style="bold red" if decision is None else "green")
            detail = reasons.get(id(it), it.detail) if decision is None else it.detail
            detail = detail.removeprefix(f"{it.cls}: ")  # the class has its own column
            table.add_row(it.ref, it.cls, shown, detail[:90], key=it.ref)
        if self._listed:
            table.move_cursor(row=min(row, len(self._listed) - 1))
            self._show_side(self._listed[table.cursor_row])
        else:
            self.query_one("#import-side", Static).update("No conflicts: everything can be imported as planned.")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "import-conflicts" and 0 <= event.cursor_row < len(self._listed):
            self._show_side(self._listed[event.cursor_row])

    def _show_side(self, item: Any) -> None:
        """Incoming and existing row side by side, the differing fields highlighted."""
        from tenant_console.core.importer import allowed

        info = self.plan.infos[item.label]
        differing = {d.field for d in item.diff}
        table = Table(title=f"{item.ref} · {item.cls}", expand=True, show_lines=False)
        table.add_column("field", style="bold", no_wrap=True)
        table.add_column("incoming", overflow="fold")
        table.add_column(f"existing #{item.target_pk}" if item.target_pk is not None else "existing", overflow="fold")
        existing = item.existing or {}
        self.side = []
        names = list(item.row.fields)
        for m in info.m2ms:
            if m.name not in names:
                names.append(m.name)
        for name in names:
            try:
                f = info.model._meta.get_field(name)
                attname = getattr(f, "attname", name)
            except Exception:
                attname = name
            incoming = _short(item.row.fields.get(name))
            current = _short(existing.get(attname, existing.get(name, "")) if existing else "")
            diff = next((d for d in item.diff if d.field == name), None)
            if diff is not None:
                current = _short(diff.existing)
            style = "bold yellow" if name in differing else ""
            self.side.append((name, incoming, current, name in differing))
            table.add_row(Text(name, style=style), Text(incoming, style=style), Text(current, style=style))
        ok = allowed(item, info)
        keys = "  ".join(f"[b]{k}[/b] {d.replace('_', ' ')}" for k, d in KEYS.items() if d in ok)
        from rich.console import Group

        self.query_one("#import-side", Static).update(Group(
            Text(item.detail or "", style="italic"), table, Text.from_markup(f"decide: {keys}")))

    # -- decisions ---------------------------------------------------------------
    def _current(self) -> Any:
        table = self.query_one("#import-conflicts", DataTable)
        if self.plan is None or not self._listed or not (0 <= table.cursor_row < len(self._listed)):
            return None
        return self._listed[table.cursor_row]

    def action_decide(self, decision: str) -> None:
        from tenant_console.core.importer import allowed

        item = self._current()
        if item is None or self.state not in ("planned", "done"):
            return
        ok = allowed(item, self.plan.infos[item.label])
        if decision not in ok:
            self.notify(f"{decision.replace('_', ' ')} is not possible for {item.ref} ({item.cls}); "
                        f"possible: {', '.join(ok)}.", severity="warning")
            return
        self.decisions.set_object(item.ref, decision)
        self._resolve()
        table = self.query_one("#import-conflicts", DataTable)
        if table.cursor_row < len(self._listed) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_decide_model(self, decision: str) -> None:
        item = self._current()
        if item is None or self.state not in ("planned", "done"):
            return
        dependent = any(u.item is item and u.reason.startswith("depends on") for u in self.resolution.undecided)
        selector = "dependent" if dependent else item.cls
        if decision == "allow_cross_tenant" and selector != "cross_tenant_reference":
            self.notify("allow cross tenant is only for cross-tenant references.", severity="warning")
            return
        self.decisions.set_model(item.label, decision, selector)
        self._resolve()
        self.notify(f"{decision.replace('_', ' ')} for every {selector} conflict of {item.label} "
                    "(where it is possible).")

    def _resolve(self) -> None:
        """Resolve the decisions made so far on the session thread (the last key wins; the list and
        the status follow when it is done)."""
        self._resolve_generation += 1
        self.resolving = True
        self._resolved.clear()
        self.run_worker(self._resolve_on_session(copy.deepcopy(self.decisions), self._resolve_generation),
                        group="import-resolve", exit_on_error=False)

    async def _resolve_on_session(self, decisions: Any, generation: int) -> None:
        try:
            resolution, items = await self.console.db(resolve_items, self.plan, decisions, scoped=False)
        finally:
            if generation == self._resolve_generation:
                self.resolving = False
                self._resolved.set()
        if generation != self._resolve_generation:
            return  # a later key is being resolved
        self.resolution, self._items = resolution, items
        self._fill_conflicts(keep_cursor=True)
        self._refresh_status()

    def _when_resolved(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or once the decisions typed so far are resolved (``s`` then ``a`` at typing
        speed applies the decided plan, never the one before the last key)."""
        if not self.resolving:
            action()
            return

        async def later() -> None:
            await self._resolved.wait()
            action()

        self.run_worker(later(), group="import-after-resolve", exit_on_error=False)

    def action_save(self) -> None:
        self._when_resolved(self._save)

    def _save(self) -> None:
        self.run_worker(self._save_on_session(), group="import-save", exit_on_error=False)

    async def _save_on_session(self) -> None:
        if self.plan is None:
            return
        path = _decisions_path(self.plan.export.data_path)
        try:  # the whole plan is walked and a file written: on the session thread, not the event loop
            await self.console.db(self.decisions.save, path, self.plan, self.resolution.undecided, scoped=False,
                                  quiet=True)
        except Exception as exc:  # the app's Reported, quiet: the cause is said here
            self.notify(f"Cannot write {path}: {exc.__cause__ or exc}", severity="error")
            return
        left = len(self.resolution.undecided)
        todo = (f' {left:,} undecided objects are in it with "decision": null to fill in.' if left else "")
        name = self.plan.export.data_path.name
        self.notify(f"Decisions saved to {path}.{todo} Headless: tenant-console import {name} "
                    f"--decisions {path.name} --apply", title="Saved")

    def action_toggle_into(self) -> None:
        from tenant_console.core.importer import Retarget

        scope = self.console.scope
        if self.retarget is not None and self.retarget.mode == "into":
            self.retarget = None
        elif scope.is_active:
            self.retarget = Retarget.into_tenant(scope.pks(), {t.dimension: t.label for t in scope.tenants})
        else:
            self.notify("Choose the tenant to import into first (t).", severity="warning")
            return
        self.start_plan()

    # -- apply -------------------------------------------------------------------
    def action_apply(self, dry_run: bool) -> None:
        self._when_resolved(lambda: self._confirm_apply(dry_run))

    def _confirm_apply(self, dry_run: bool) -> None:
        if self.state != "planned":
            return
        if not self.resolution.complete:
            self.notify(f"{len(self.resolution.undecided):,} conflicts are undecided; nothing can be applied "
                        "until every conflict has a decision.", title="Undecided", severity="warning")
            return
        from tenant_console.ui.importer.confirm import ConfirmApply

        totals: dict[str, int] = {}
        for counts in self.resolution.counts(self.plan).values():
            for d, n in counts.items():
                totals[d] = totals.get(d, 0) + n
        what = ", ".join(f"{d} {n:,}" for d, n in sorted(totals.items()))
        verb = "Rehearse (dry run, rolled back)" if dry_run else "[b]Write[/b]"
        assert self.console.project is not None
        text = (f"{verb} the import of [b]{self.plan.export.data_path.name}[/b]\n"
                f"into database [b]{self.console.project.database_label()}[/b] ({self.plan.alias}),\n"
                f"tenant: [b]{self.plan.retarget.text()}[/b]\n\n{what}")

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._apply_dry_run = dry_run
                self._apply_worker = self.run_worker(self._apply(dry_run), exclusive=True, group="import-apply",
                                                     exit_on_error=False)

        self.app.push_screen(ConfirmApply(text, dry_run=dry_run), done)

    async def _apply(self, dry_run: bool) -> None:
        from tenant_console.core.importer import apply_import
        from tenant_console.core.importer.report import end_import, import_act

        console = self.console
        assert console.project is not None
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.state = "applying"
        self._status("Applying ..." if not dry_run else "Dry run ...")

        def progress(stage: str, done: int, total: int) -> None:  # on the session thread
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

        try:  # no record, no import: the act is begun before anything is written
            act = await asyncio.to_thread(import_act, console.project, self.plan, self.decisions, dry_run=dry_run)
        except ConsoleError as exc:
            self.state = "planned"
            self._status(f"[b red]Nothing was imported:[/] {exc.message}")
            self.notify(exc.message, title="Import not started", severity="error")
            return
        cancel = threading.Event()

        def opened(session: Any) -> None:  # what cancel_apply stops, while the apply runs
            self._apply_session, self._apply_cancel = session, (cancel if session is not None else None)

        work = functools.partial(apply_import, self.plan, self.resolution, dry_run=dry_run, progress=progress,
                                 cancel=cancel)
        try:
            self.report = await audited_write(
                console, act, work, name="import-apply", alias=self.plan.alias, scoped=False,
                activity=("DRY RUN: import, rolled back at the end" if dry_run
                          else f"WRITING: import into {self.plan.alias}"),
                failed={"written": False}, end=end_import, on_session=opened)
        except Exception as exc:
            message = exc.message if isinstance(exc, ConsoleError) else f"{type(exc).__name__}: {exc}"
            self.state = "planned"
            self._status(f"[b red]Nothing was imported:[/] {message}")
            self.notify(message, title="Import cancelled" if isinstance(exc, Cancelled) else "Import failed",
                        severity="error")
            return
        if cancel.is_set() and not dry_run:
            self.notify("The import had already passed its last check when the cancel came: it was committed.",
                        title="Import committed", severity="warning")
        bar.update(total=1, progress=1)
        self.state = "planned" if dry_run else "done"
        self.query_one("#import-report", Static).update("\n".join(self.report.lines(keys_limit=8)))
        self._status("[b]Dry run finished[/b]: nothing was written." if dry_run else
                     "[b green]Imported.[/] The report is below and in the audit trail.")

    # -- status ------------------------------------------------------------------
    def _status(self, markup: str) -> None:
        self.query_one("#import-status", Static).update(markup)

    def _refresh_status(self) -> None:
        plan = self.plan
        n = len(self.resolution.undecided)
        assert self.console.project is not None
        target = f"{self.console.project.database_label()}, {plan.retarget.text()}"
        if n:
            more = f" (first {SHOWN:,} listed)" if len(self._items) > SHOWN else ""
            self._status(f"{plan.export.describe()} → {target}. [b red]{n:,} undecided[/]{more}; "
                         "nothing can be applied until every conflict has a decision.")
        else:
            self._status(f"{plan.export.describe()} → {target}. [b green]Everything is decided[/]: "
                         "a applies (after a confirmation), d rehearses.")


def resolve_items(plan: Any, decisions: Any) -> tuple[Any, list[Any]]:
    """The decisions resolved against the plan, and the objects the review lists: every conflict and
    everything still undecided (a dependent of a skipped object), once each, in the plan's order.
    Walks the whole plan: run it on the session thread."""
    from tenant_console.core.importer import resolve

    resolution = resolve(plan, decisions)
    seen: dict[str, Any] = {}
    for it in plan.conflicts():
        seen.setdefault(it.ref, it)
    for u in resolution.undecided:
        seen.setdefault(u.item.ref, u.item)
    return resolution, list(seen.values())


def _short(value: Any, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decisions_path(data_path: Path) -> Path:
    name = data_path.name
    for suffix in (".jsonl.gz", ".jsonl"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return data_path.with_name(name + ".decisions.json")
