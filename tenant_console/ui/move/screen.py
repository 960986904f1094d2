"""The ``:move`` screen: the plan, the move with progress per model, then the verification and the journal.

The plan (the tenant's rows per model in the source; the target's checks: reachable, migrated, no such
tenant yet) is read on the console's session and on a read-only session of the target, never on the
event loop. ``m`` asks for a confirmation (a typed one, the tenant's slug, with ``--delete-source``),
then runs :class:`~tenant_console.core.move.runner.Mover` (the CLI's ``move``) on a worker thread; every
database call of it runs on sessions of its own, one per alias, and the console is writable for the
move only (the banner says WRITING). Progress comes back as messages: the phase, the model being
exported, each model's imported rows, then the import plan's summary (as in the import review). At
the end the table shows the verification per model and the status says where the journal is.

Quitting during a move asks, as during an import: wait for it, or cancel it (the running import or
delete rolls back; the journal says where the tenant is, and ``tenant-console move --resume`` or
``--rollback`` continues from there).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.ui.importer.summary import add_summary_columns, fill_summary
from tenant_console.ui.move.progress import ModelProgress
from tenant_console.ui.screens.base import ConsoleScreen
from tenant_console.ui.writing import writable

PHASES = ("export", "import", "verify", "delete")


class MoveScreen(ConsoleScreen):
    HELP = ("Move the current tenant to another database, as `tenant-console move` does: export it from one "
            "read-only snapshot, import it into the target in one transaction, verify rows and checksums per "
            "model on both sides, and (only with :move ALIAS --delete-source, after a typed confirmation) delete "
            "it from the source with a backup. m starts the move after a confirmation. Every step is journaled: "
            "a move stopped at any point is resumed or rolled back with tenant-console move --resume/--rollback "
            "JOURNAL.")
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back"),
        Binding("m", "start", "Move…"),
        Binding("ctrl+r", "reload", "Re-plan", show=False),
    ]
    DEFAULT_CSS = """
    MoveScreen #move-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    MoveScreen #move-phases { height: 1; padding: 0 1; }
    MoveScreen #move-models { height: 1fr; }
    MoveScreen #move-plan { height: auto; max-height: 8; }
    MoveScreen #move-status { height: auto; max-height: 9; padding: 0 1; background: $panel; }
    """

    class Step(Message):
        """The move reached a step (posted from its worker thread)."""

        def __init__(self, phase: str, text: str) -> None:
            super().__init__()
            self.phase = phase
            self.text = text

    class Rows(Message):
        """Rows of a model exported or imported (posted from a session thread)."""

        def __init__(self, phase: str, model: str, done: int, total: int) -> None:
            super().__init__()
            self.phase = phase
            self.model = model
            self.done = done
            self.total = total

    class ImportPlanned(Message):
        """The import into the target is planned and resolved (posted from the worker thread)."""

        def __init__(self, plan: Any) -> None:
            super().__init__()
            self.plan = plan

    def __init__(self, target: str, *, delete_source: bool = False, journal: str | None = None,
                 cross_tenant: str = "refuse") -> None:
        super().__init__()
        self.target = target
        self.delete_source = delete_source
        self.journal_dir = journal
        self.cross_tenant = cross_tenant
        self.crumb = f"move to {target}"
        self.state = "planning"  # planning, planned, failed, moving, done, stopped
        self.phase = ""
        self.preview: Any = None
        self.journal: Any = None
        self.source = ""
        self.tenant: dict[str, Any] = {}
        self._mover: Any = None
        self._worker: Any = None

    # -- the frame ------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static(f"Move to {self.target}", id="move-title")
        yield Static("", id="move-phases")
        yield ModelProgress(id="move-models")
        yield DataTable(id="move-plan", cursor_type="none", zebra_stripes=True)
        yield Static("Reading the tenant's rows and checking the target ...", id="move-status")

    def on_mount(self) -> None:
        guards = getattr(self.app, "leave_guards", None)
        if isinstance(guards, list) and self.confirm_leave not in guards:
            guards.append(self.confirm_leave)
        plan = self.query_one("#move-plan", DataTable)
        add_summary_columns(plan)
        plan.display = False
        self.action_reload()

    def on_unmount(self) -> None:
        guards = getattr(self.app, "leave_guards", None)
        if isinstance(guards, list) and self.confirm_leave in guards:
            guards.remove(self.confirm_leave)

    def tenant_switch_blocker(self) -> str | None:
        if self.state == "moving":
            return "A move is running: the tenant switches when it has finished."
        return None

    def action_back(self) -> None:
        if self.state == "moving":
            self.notify("A move is running; the screen stays until it has finished (ctrl+q asks to cancel it).",
                        severity="warning")
            return
        super().action_back()

    # -- the plan ---------------------------------------------------------------------------
    def action_reload(self) -> None:
        if self.state in ("moving", "done"):
            return
        self.run_worker(self._plan(), group="move-plan", exclusive=True, exit_on_error=False)

    async def _plan(self) -> None:
        from tenant_console.core.move.targets import check_target, check_target_database, preview_move

        console = self.console
        project, session = console.project, console.session
        assert project is not None and session is not None
        self.state = "planning"
        self.source = project.writable_alias(session.alias)
        self.tenant = console.scope.pks() if console.scope.is_active else {}
        try:
            if not self.tenant:
                raise ConsoleError(":move moves the current tenant: choose it first (t).")
            await asyncio.to_thread(check_target, self.source, self.target)
            self.preview = await self._on(self.source, preview_move, project.registry, self.source, self.tenant)
            warnings = await self._on(self.target, check_target_database, project.registry, self.target,
                                      self.tenant, readonly=False)
        except Exception as exc:
            self.state = "failed"
            self._status(f"[b red]Nothing can be moved:[/] {escape(_message(exc))}")
            return
        for warning in warnings:
            self.notify(warning, title=f"Target {self.target}", severity="warning", timeout=10)
        p = self.preview
        self.query_one("#move-title", Static).update(
            f"Move {escape(p.label)}: {self.source} ({p.vendor}) → {self.target}"
            + (" [red]then delete it from the source[/]" if self.delete_source else ", the source kept"))
        self.query_one(ModelProgress).show_source(p.counts)
        self._phases()
        then = (f", then [b red]delete it from {self.source}[/] (typed confirmation; a backup first)"
                if self.delete_source else f"; {self.source} keeps it")
        self._status(f"{p.total:,} rows in {sum(1 for n in p.counts.values() if n)} models. [b]m[/b] moves them "
                     f"(after a confirmation): export, import into {self.target} in one transaction, verify"
                     f"{then}.")
        self.state = "planned"

    async def _on(self, alias: str, fn: Any, *args: Any, readonly: bool = True) -> Any:
        """``fn`` on the console's session when it is on ``alias``, else on a session of its own."""
        console = self.console
        assert console.project is not None and console.session is not None
        if alias == console.session.alias and readonly:
            return await console.db(fn, *args, scoped=False, quiet=True)
        session = console.project.session("move-check", alias=alias)
        try:
            return await session.call(fn, *args, scoped=False, readonly=readonly)
        finally:
            await asyncio.to_thread(session.close)

    # -- the move ---------------------------------------------------------------------------
    def action_start(self) -> None:
        if self.state != "planned" or self.preview is None:
            if self.state in ("moving", "done"):
                self.notify("The move is running." if self.state == "moving" else "The tenant was moved.",
                            severity="warning")
            else:
                self.notify("Nothing can be moved (the status says why).", severity="warning")
            return
        p = self.preview
        text = (f"[b]Move {escape(p.label)}[/b] ({p.total:,} rows) from [b]{self.source}[/b] to "
                f"[b]{self.target}[/b].\nThis switches to writable mode for this move only: the import writes "
                f"into {self.target} in one transaction.")

        def done(ok: bool | None) -> None:
            if ok:
                self._worker = self.run_worker(self._move(), group="move-run", exclusive=True, exit_on_error=False)

        if self.delete_source:
            from tenant_console.ui.screens.dialogs import TypedConfirm

            text += (f"\n[b red]Once the copy is verified, the tenant is deleted from {self.source}[/] (every row "
                     "backed up first, one transaction).")
            self.app.push_screen(TypedConfirm(text, p.slug, act="move it and then delete it from the source",
                                              unchanged="nothing was moved"), done)
        else:
            from tenant_console.ui.importer.confirm import ConfirmApply

            self.app.push_screen(ConfirmApply(text, keys=f"\n[b]y[/b] move it; {self.source} keeps it · "
                                                         "[b]n[/b]/esc back"), done)

    async def _move(self) -> None:
        from tenant_console.core.move import MoveJob, Mover

        console = self.console
        project = console.project
        assert project is not None
        self.state = "moving"
        try:
            journal = await asyncio.to_thread(self._new_journal)
            act = await asyncio.to_thread(
                project.audit.begin, "move", scope=dict(journal.tenant), database=self.source, target=self.target,
                mode="move", move=journal.id, journal=str(journal.path), from_phase=journal.phase,
                delete_source=self.delete_source, source="console")
        except (ConsoleError, OSError) as exc:
            self.state = "planned"
            self._status(f"[b red]Nothing was moved:[/] {escape(_message(exc))}")
            self.notify(_message(exc), title="Move not started", severity="error")
            return
        self.journal = journal
        def step(phase: str, text: str) -> None:  # on the move's threads: post_message is thread-safe
            self.post_message(self.Step(phase, text))

        def rows(phase: str, model: str, done: int, total: int) -> None:
            self.post_message(self.Rows(phase, model, done, total))

        job = MoveJob(progress=step, rows=rows)
        self._mover = mover = Mover(project, journal, job=job, decide=self._decider())
        error: BaseException | None = None
        where: Any = None
        with writable(console, f"WRITING: move to {self.target}"):  # as a delete or an import does
            try:
                await asyncio.to_thread(_run, mover)
            except Exception as exc:
                error = exc
        try:
            where = await asyncio.to_thread(mover.where)
        except Exception:  # the status is a help, not a condition; the journal still says the phase
            where = None
        finally:
            await asyncio.to_thread(mover.close)
            self._mover = None
        with contextlib.suppress(ConsoleError):
            if error is None:
                await asyncio.to_thread(act.end, "ok", move_phase=journal.phase)
            else:
                await asyncio.to_thread(act.fail, error, move_phase=journal.phase)
        self._finished(journal, where, error)

    def _new_journal(self) -> Any:
        """The move's journal, as the CLI writes it (call off the event loop: it writes files)."""
        from tenant_console.core.audit import database_identity
        from tenant_console.core.move import new_journal
        from tenant_console.core.move.journal import default_folder

        project, p = self.console.project, self.preview
        assert project is not None
        folder = (Path(self.journal_dir) if self.journal_dir
                  else default_folder(project.config.state_dir, p.slug, self.source, self.target))
        return new_journal(folder, settings=project.settings_module, tenant=self.tenant, tenant_label=p.label,
                           tenant_slug=p.slug, source={"alias": self.source, "db": database_identity(self.source)},
                           target={"alias": self.target, "db": database_identity(self.target)},
                           options={"delete_source": self.delete_source, "cross_tenant": self.cross_tenant,
                                    "defaults": [], "decisions": None, "jobs": 1, "routed_by": None})

    def _decider(self) -> Any:
        """The import's decisions: none but what the plan implies, so a move that conflicts stops before
        the import, nothing written (decisions are the CLI's: --default, --decisions)."""
        def decide(plan: Any) -> Any:  # on the move's worker thread
            from tenant_console.core.importer import Decisions, resolve
            from tenant_console.core.move import MoveRefused

            mover = self._mover
            decisions = Decisions()
            decisions.implied = plan.retarget.implied()
            resolution = mover.read(mover.target, resolve, plan, decisions)
            self.post_message(self.ImportPlanned(plan))
            if not resolution.complete:
                first = resolution.undecided[0]
                raise MoveRefused(
                    f"The import into {self.target} has {len(resolution.undecided):,} conflicts (first: "
                    f"{first.item.ref}, {first.reason}); the console's move decides none of them. Nothing was "
                    f"imported: the tenant is only in {self.source}. Move with the CLI and decisions "
                    f"(tenant-console move ... --default CLASS=DECISION or --decisions FILE), after rolling this "
                    f"one back (tenant-console move --rollback {mover.journal.path}).")
            return decisions, resolution

        return decide

    # -- progress ---------------------------------------------------------------------------
    def on_move_screen_step(self, message: Step) -> None:
        if message.phase != self.phase and self.phase == "export" and self.journal is not None:
            self.query_one(ModelProgress).show_journal(self.journal)  # the export's counts are journaled
        self.phase = message.phase
        self._phases()
        self._status(f"[b]{message.phase}[/b]: {escape(message.text)}")

    def on_move_screen_rows(self, message: Rows) -> None:
        table = self.query_one(ModelProgress)
        if message.phase == "export":
            table.exported(message.model)
        else:
            table.imported(message.model, message.done, message.total)

    def on_move_screen_import_planned(self, message: ImportPlanned) -> None:
        table = self.query_one("#move-plan", DataTable)
        fill_summary(table, message.plan)
        table.display = True

    def _phases(self) -> None:
        phases = [p for p in PHASES if p != "delete" or self.delete_source]
        reached = phases.index(self.phase) if self.phase in phases else -1
        if self.state == "done":
            reached = len(phases)
        parts = []
        for i, p in enumerate(phases):
            style = "green" if i < reached else "b reverse" if i == reached else "dim"
            parts.append(f"[{style}] {p} [/]")
        self.query_one("#move-phases", Static).update(" ▸ ".join(parts))

    def _finished(self, journal: Any, where: Any, error: BaseException | None) -> None:
        from tenant_console.core.move import describe

        self.query_one(ModelProgress).show_journal(journal)
        lines = describe(journal, where)[1:] if where is not None else []
        path = escape(str(journal.path))
        if error is None:
            self.state = "done"
            self.phase = ""
            verified = sum(1 for d in (journal.target_digest or {}).values() if d["count"])
            head = (f"[b green]Moved and verified[/]: {verified} models, rows and checksums equal in "
                    f"{self.target}." + (f" Deleted from {self.source}." if journal.delete_source else ""))
            self.notify(f"{journal.tenant_label} moved to {self.target}.", title="Moved")
        else:
            self.state = "stopped"
            title = "Move cancelled" if isinstance(error, Cancelled) else "Move stopped"
            head = f"[b red]{title} in phase {journal.phase}:[/] {escape(_message(error))}"
            self.notify(_message(error), title=title, severity="error", timeout=15)
        self._phases()
        self._status("\n".join([head, *(escape(line) for line in lines), f"Journal: {path}"]))

    # -- quitting during a move --------------------------------------------------------------
    async def confirm_leave(self, reason: str) -> bool:
        """A leave guard: while a move runs, ask to wait for it or to cancel it (then the console quits
        once the move has stopped). False: stay."""
        worker = self._worker
        if self.state != "moving" or worker is None or worker.is_finished:
            return True
        from tenant_console.ui.importer.confirm import ApplyRunning

        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        path = self.journal.path if self.journal is not None else "its journal"
        detail = (f"Cancelling stops it at once: a running import or delete is rolled back. The journal {path} "
                  "says where the tenant is; tenant-console move --resume or --rollback continues from there.")
        self.app.push_screen(ApplyRunning(reason, "A move", detail=detail, cancel="(the step running now is "
                                          "rolled back)"),
                             lambda choice: answer.set_result(choice) if not answer.done() else None)
        choice = await answer
        if choice not in ("wait", "cancel"):
            return False
        if worker.is_finished:
            return True
        if choice == "cancel" and self._mover is not None:
            self._mover.cancel()
            self._status("[b yellow]Cancelling the move on the database ...[/]")
        else:
            self._status("[b]Waiting for the move to finish, then quitting ...[/]")
        await worker.wait()
        return True

    def _status(self, markup: str) -> None:
        self.query_one("#move-status", Static).update(markup)


def _run(mover: Any) -> str:
    """The whole move, on a worker thread; its database calls run on the mover's sessions."""
    with mover.journal.locked():
        return str(mover.run())


def _message(exc: BaseException) -> str:
    cause = exc.__cause__ if type(exc).__name__ == "Reported" and exc.__cause__ is not None else exc
    return cause.message if isinstance(cause, ConsoleError) else f"{type(cause).__name__}: {cause}"
