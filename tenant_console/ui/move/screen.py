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

An earlier move: when the tenant has a journaled move from this source to this target that is not rolled
back (:func:`~tenant_console.core.move.earlier.earlier_move`: the default folder, or ``--journal DIR``),
the screen shows it instead of a plan: the status in ``--status``'s own sentences
(:func:`~tenant_console.core.move.describe`), the rows now on both sides, and the keys ``r`` (resume,
after a confirmation; typed, the tenant's slug, if it goes on to delete the source) and ``b`` (roll back,
typed confirmation). Both run the same :class:`~tenant_console.core.move.runner.Mover` methods as the
CLI's ``--resume``/``--rollback``, under its lock, audited as the CLI audits them (a ``move`` act with
``mode`` resume or rollback), on the same worker thread and sessions as a move. ``s``/``ctrl+r`` reads
the status again (``:move --status`` too).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.plural import counted
from tenant_console.ui.importer.summary import add_summary_columns, fill_summary
from tenant_console.ui.move.progress import ModelProgress
from tenant_console.ui.screens.base import ConsoleScreen
from tenant_console.ui.writing import writable

PHASES = ("export", "import", "verify", "delete")
#: An earlier move's journal phase → how far along the phase strip it got (past the end: done).
REACHED = {"planned": 0, "exported": 1, "importing": 1, "imported": 2, "verify_failed": 2, "verified": 3,
           "deleting": 3, "done": 9}
#: What resuming from a journal phase does next.
NEXT = {"planned": "export, import, verify", "exported": "import, verify",
        "importing": "import again unless the interrupted import had committed, then verify",
        "imported": "verify", "verify_failed": "verify again", "verified": "finish",
        "deleting": "delete the source again unless the interrupted delete had committed"}


class MoveScreen(ConsoleScreen):
    HELP = ("Move the current tenant to another database, as `tenant-console move` does: export it from one "
            "read-only snapshot, import it into the target in one transaction, verify rows and checksums per "
            "model on both sides, and (only with :move ALIAS --delete-source, after a typed confirmation) delete "
            "it from the source with a backup. m starts the move after a confirmation. Every step is journaled: "
            "when the tenant has an earlier move to this database (stopped at any point, or finished), the screen "
            "shows its status instead, as tenant-console move --status does; r resumes it, b rolls it back (the "
            "tenant's slug typed), s reads the status again.")
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back"),
        Binding("m", "start", "Move…"),
        Binding("r", "resume", "Resume…"),
        Binding("b", "rollback", "Roll back…"),
        Binding("s", "status", "Status"),
        Binding("ctrl+r", "reload", "Re-plan", show=False),
    ]
    DEFAULT_CSS = """
    MoveScreen #move-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    MoveScreen #move-phases { height: 1; padding: 0 1; }
    MoveScreen #move-models { height: 1fr; }
    MoveScreen #move-plan { height: auto; max-height: 8; }
    MoveScreen #move-status { height: auto; max-height: 9; padding: 0 1; background: $panel; }
    MoveScreen.-journaled #move-status { max-height: 14; }
    MoveScreen.-journaled #move-models { min-height: 4; }
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
        self._asked_delete = delete_source
        self.crumb = f"move to {target}"
        self._state = "planning"
        self.state = "planning"  # planning, planned, failed, moving, done, stopped; journaled (an earlier move)
        self.mode = "move"  # what "moving" runs: move, resume, rollback
        self.phase = ""
        self.preview: Any = None
        self.journal: Any = None
        self.source = ""
        self.tenant: dict[str, Any] = {}
        self._mover: Any = None
        self._worker: Any = None

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value
        if self.is_attached:
            self.set_class(value == "journaled", "-journaled")
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys of an earlier move show only while one is shown; ``m`` only while none is."""
        from tenant_console.core.move.earlier import OVER, RESUMABLE

        journaled = self.state == "journaled" and self.journal is not None
        if action == "resume":
            return journaled and self.journal.phase in RESUMABLE
        if action == "rollback":
            return journaled and self.journal.phase not in OVER
        if action == "status":
            return journaled
        if action == "start":
            return not journaled
        return True

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
        """Plan again, or (an earlier move of the tenant journaled) read its status again."""
        if self.state == "moving":
            return
        self.run_worker(self._plan(), group="move-plan", exclusive=True, exit_on_error=False)

    def action_status(self) -> None:
        self.action_reload()

    async def _plan(self) -> None:
        from tenant_console.core.move.earlier import earlier_move
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
            found = await asyncio.to_thread(
                earlier_move, project.config.state_dir, project.settings_module, project.registry, self.tenant,
                self.source, self.target, self.journal_dir)
            for path in found.unreadable:
                self.notify(f"{path} cannot be read as a move journal; tenant-console move --status {path} says why.",
                            title="Move journal skipped", severity="warning", timeout=10)
            if found.journal is not None:
                await self._show_earlier(found.journal, "[b]An earlier move of this tenant[/] is journaled:")
                return
            self.delete_source = self._asked_delete
            self.journal = None
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
        models = counted(sum(1 for n in p.counts.values() if n), "model")
        self._status(f"{counted(p.total, 'row')} in {models}. [b]m[/b] moves them "
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
        text = (f"[b]Move {escape(p.label)}[/b] ({counted(p.total, 'row')}) from [b]{self.source}[/b] to "
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
        self.state = "moving"  # from the confirmation on: m is refused, the tenant stays
        try:
            journal = await asyncio.to_thread(self._new_journal)
        except (ConsoleError, OSError) as exc:
            self.state = "planned"
            self._status(f"[b red]Nothing was moved:[/] {escape(_message(exc))}")
            self.notify(_message(exc), title="Move not started", severity="error")
            return
        await self._drive(journal, "move", back="planned")

    async def _drive(self, journal: Any, mode: str, *, back: str) -> None:
        """Run the move of ``journal`` (``mode``: move, resume, rollback) on a worker thread, audited as the
        CLI's ``move`` (resp. ``--resume``, ``--rollback``) is: a ``move`` act begun before anything is written,
        failed or ended with the phase reached."""
        from tenant_console.core.move import MoveJob, Mover
        from tenant_console.core.move.journal import digest_rows

        console = self.console
        project = console.project
        assert project is not None
        self.state, self.mode = "moving", mode
        try:
            act = await asyncio.to_thread(
                project.audit.begin, "move", scope=dict(journal.tenant), database=journal.source_alias,
                target=journal.target_alias, mode=mode, move=journal.id, journal=str(journal.path),
                from_phase=journal.phase, delete_source=journal.delete_source, source="console")
        except (ConsoleError, OSError) as exc:
            self.state = back
            self._status(f"[b red]Nothing was {'moved' if mode == 'move' else 'done'}:[/] {escape(_message(exc))}")
            self.notify(_message(exc), title=f"{mode.capitalize()} not started", severity="error")
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
        activity = {"move": f"move to {self.target}", "resume": f"resuming the move to {self.target}",
                    "rollback": f"rolling back the move to {self.target}"}[mode]
        started = time.monotonic()
        with writable(console, f"WRITING: {activity}"):  # as a delete or an import does
            try:
                await asyncio.to_thread(_run, mover, mode)
            except Exception as exc:
                error = exc
        seconds = round(time.monotonic() - started, 3)
        try:
            where = await asyncio.to_thread(mover.where)
        except Exception:  # the status is a help, not a condition; the journal still says the phase
            where = None
        finally:
            await asyncio.to_thread(mover.close)
            self._mover = None
        with contextlib.suppress(ConsoleError):
            if error is None:
                await asyncio.to_thread(act.end, "ok", move_phase=journal.phase, seconds_total=seconds,
                                        rows=digest_rows(journal.source_digest))
            else:
                await asyncio.to_thread(act.fail, error, move_phase=journal.phase)
        if mode == "move":
            self._finished(journal, where, error)
        else:
            self._continued(journal, where, error, mode)

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
            from tenant_console.core.importer import Decisions, UndecidedConflicts, resolve
            from tenant_console.core.move import MoveRefused

            mover = self._mover
            options = mover.journal.options
            if options.get("decisions") or options.get("defaults"):
                raise MoveRefused(
                    f"This move was started with the CLI's import decisions (--default/--decisions), which the "
                    f"console does not read; nothing was imported. Resume it with tenant-console move --resume "
                    f"{mover.journal.path}.")
            decisions = Decisions()
            decisions.implied = plan.retarget.implied()
            resolution = mover.read(mover.target, resolve, plan, decisions)
            self.post_message(self.ImportPlanned(plan))
            if not resolution.complete:
                first = resolution.undecided[0]
                raise UndecidedConflicts(
                    f"The import into {self.target} has {len(resolution.undecided):,} conflicts (first: "
                    f"{first.item.ref}, {first.reason}); the console's move decides none of them. Nothing was "
                    f"imported: the tenant is only in {self.source}. Move with the CLI and decisions "
                    f"(tenant-console move ... --default CLASS=DECISION or --decisions FILE), after rolling this "
                    f"one back (tenant-console move --rollback {mover.journal.path}).")
            return decisions, resolution

        return decide

    # -- an earlier move: its status, resume, rollback -----------------------------------------
    async def _show_earlier(self, journal: Any, head: str) -> None:
        """Show ``journal``'s move: where the tenant is now (read from both databases, off the event loop),
        in ``--status``'s sentences, and the keys that go on from there."""
        self.journal = journal
        self.delete_source = journal.delete_source  # the earlier move's: no new move starts while it is shown
        self._status(f"Reading where {escape(journal.tenant_label)} is in {journal.source_alias} and "
                     f"{journal.target_alias} ...")
        try:
            where = await self._where(journal)
        except Exception as exc:
            where = None
            head += f"\n[b red]Where the tenant is could not be read:[/] {escape(_message(exc))}"
        self.state = "journaled"
        self._show_status(journal, where, head)

    async def _where(self, journal: Any) -> Any:
        from tenant_console.core.move import Mover

        assert self.console.project is not None
        mover = Mover(self.console.project, journal)
        try:
            return await asyncio.to_thread(mover.where)
        finally:
            await asyncio.to_thread(mover.close)

    def _show_status(self, journal: Any, where: Any, head: str) -> None:
        from tenant_console.core.move import describe

        self.phase = ""
        self.query_one("#move-title", Static).update(
            f"Move {escape(journal.tenant_label)}: {journal.source_alias} → {journal.target_alias}"
            + (" [red]then delete it from the source[/]" if journal.delete_source else ", the source kept")
            + f" · phase [b]{journal.phase}[/]")
        self.query_one(ModelProgress).show_where(journal, where)
        self.query_one("#move-plan", DataTable).display = False
        self._phases()
        lines = describe(journal, where) if where is not None else []  # the keys that go on are in the footer
        self._status("\n".join([head, *(escape(line) for line in lines), f"Journal: {escape(str(journal.path))}"]))

    def action_resume(self) -> None:
        from tenant_console.core.move.earlier import RESUMABLE

        j = self.journal
        if self.state != "journaled" or j is None or j.phase not in RESUMABLE:
            return
        cli_decisions = j.options.get("decisions") or j.options.get("defaults")
        if j.phase in ("planned", "exported", "importing") and cli_decisions:
            # refused here, not in the import: a refusal there is journaled as the move's own ("roll back")
            self.notify(f"This move was started with the CLI's import decisions (--default/--decisions), which the "
                        f"console does not read, and its import may still have to run: resume it with "
                        f"tenant-console move --resume {j.path}. Nothing was done.", title="Resume with the CLI",
                        severity="warning", timeout=15)
            return
        then = NEXT[j.phase]
        deletes = j.delete_source and j.phase != "done"
        if j.phase == "verified":
            then = f"delete it from {j.source_alias}" if deletes else "finish (the source is kept)"
        elif deletes and j.phase != "deleting":
            then += f", then delete it from {j.source_alias}"
        text = (f"[b]Resume the move of {escape(j.tenant_label)}[/b] from [b]{j.source_alias}[/b] to "
                f"[b]{j.target_alias}[/b], in phase {j.phase}: {escape(then)}.\nThis switches to writable mode "
                "for this step only, as tenant-console move --resume does.")

        def done(ok: bool | None) -> None:
            if ok:
                self._worker = self.run_worker(self._continue("resume"), group="move-run", exclusive=True,
                                               exit_on_error=False)

        if deletes:
            from tenant_console.ui.screens.dialogs import TypedConfirm

            text += (f"\n[b red]The tenant is deleted from {j.source_alias}[/] once the copy is verified (every "
                     "row backed up first, one transaction).")
            self.app.push_screen(TypedConfirm(text, j.tenant_slug, act="resume the move",
                                              unchanged="nothing was done"), done)
        else:
            from tenant_console.ui.importer.confirm import ConfirmApply

            self.app.push_screen(ConfirmApply(text, keys="\n[b]y[/b] resume · [b]n[/b]/esc back"), done)

    def action_rollback(self) -> None:
        from tenant_console.core.move.earlier import OVER

        j = self.journal
        if self.state != "journaled" or j is None or j.phase in OVER:
            return
        if j.phase in ("planned", "exported"):
            what = "nothing was written to either database: the journal is marked rolled back"
        else:
            what = (f"remove its copy from {j.target_alias} (a backup first; only if it is still what the move "
                    "wrote)")
            if j.delete_source and j.phase in ("deleting", "done", "restoring_source", "source_restored"):
                what = (f"restore it into {j.source_alias} from the delete's backup if it was deleted there, check "
                        f"it against the export, then {what}")
        text = (f"[b]Roll back the move of {escape(j.tenant_label)}[/b] ({j.source_alias} → {j.target_alias}, "
                f"phase {j.phase}), as tenant-console move --rollback does: {escape(what)}.")

        def done(ok: bool | None) -> None:
            if ok:
                self._worker = self.run_worker(self._continue("rollback"), group="move-run", exclusive=True,
                                               exit_on_error=False)

        from tenant_console.ui.screens.dialogs import TypedConfirm

        self.app.push_screen(TypedConfirm(text, j.tenant_slug, act="roll the move back",
                                          unchanged="nothing was rolled back"), done)

    async def _continue(self, mode: str) -> None:
        """Resume or roll back the shown move: its journal read again (as the CLI reads one), then the
        Mover on the worker thread. A journal that changed since it was shown is shown again instead."""
        shown = self.journal
        if self.state != "journaled" or shown is None:
            return
        self.state = "moving"
        try:
            journal = await asyncio.to_thread(self._reload, shown.path)
        except ConsoleError as exc:
            self.state = "journaled"
            self._status(f"[b red]Nothing was done:[/] {escape(_message(exc))}")
            self.notify(_message(exc), title=f"{mode.capitalize()} not started", severity="error")
            return
        if journal.phase != shown.phase:
            self.notify(f"The move is in phase {journal.phase} now, not {shown.phase} as shown (another process?); "
                        "nothing was done.", title=f"{mode.capitalize()} not started", severity="warning")
            await self._show_earlier(journal, "[b yellow]The journal changed since it was shown:[/]")
            return
        await self._drive(journal, mode, back="journaled")

    def _reload(self, path: Any) -> Any:
        """The journal from its file, checked as the CLI checks it (call off the event loop)."""
        from tenant_console.core.move import check_databases, load_journal

        project = self.console.project
        assert project is not None
        journal = load_journal(path)
        check_databases(journal, project.settings_module, project.registry)
        return journal

    def _continued(self, journal: Any, where: Any, error: BaseException | None, mode: str) -> None:
        done = "Rolled back" if mode == "rollback" else "Resumed"
        if error is None:
            head = f"[b green]{done}[/]: the move is in phase {journal.phase}."
            self.notify(f"{journal.tenant_label}: the move is in phase {journal.phase}.", title=done)
        else:
            title = (f"{'Rollback' if mode == 'rollback' else 'Resume'} "
                     f"{'cancelled' if isinstance(error, Cancelled) else 'stopped'}")
            head = f"[b red]{title} in phase {journal.phase}:[/] {escape(_message(error))}"
            self.notify(_message(error), title=title, severity="error", timeout=15)
        self.state = "journaled"
        self._show_status(journal, where, head)

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
        elif message.phase == "import":  # a rollback's restore of the source is told in the status
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
        elif self.state == "journaled" and self.journal is not None:
            reached = min(REACHED.get(self.journal.phase, -1), len(phases))
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


def _run(mover: Any, mode: str = "move") -> str:
    """The whole move (or its resume or rollback), on a worker thread, under the move's lock, as the CLI
    runs it; its database calls run on the mover's sessions."""
    with mover.journal.locked():
        return str(mover.rollback() if mode == "rollback" else mover.run())


def _message(exc: BaseException) -> str:
    cause = exc.__cause__ if type(exc).__name__ == "Reported" and exc.__cause__ is not None else exc
    return cause.message if isinstance(cause, ConsoleError) else f"{type(cause).__name__}: {cause}"
