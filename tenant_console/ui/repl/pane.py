"""The REPL pane: an output log above a Python editor, bound to its own session.

The pane owns a :class:`~tenant_console.core.repl.runner.ReplRunner` on a
session of its own, so a long input, an interrupt or the open transaction of
writable mode never get in the way of the console's browsing session. The
console tells the pane which scope to follow (:meth:`ReplPane.set_scope`) and
asks it before switching tenant or quitting (:meth:`ReplPane.confirm_leave`).
No ORM code runs on the event loop: every call goes through the runner's
session, awaited from async workers.

The pane wires its parts together; each lives in a module of its own:
:mod:`.help` (keys, commands, help text), :mod:`.banner` (the status lines),
:mod:`.streaming` (an input's output while it runs), :mod:`.completions` (tab),
:mod:`.transaction` (writable mode, commit, roll back, the leave question),
:mod:`.output` and :mod:`.table` (how results look).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, RichLog, Static

from tenant_console.core.repl.history import History, HistoryCursor, history_path
from tenant_console.core.repl.runner import ReplRunner, RunResult
from tenant_console.core.scope import ScopeState
from tenant_console.ui.repl.banner import ReplBanner, ScopeWarning
from tenant_console.ui.repl.completions import CompletionList, insert_at_once
from tenant_console.ui.repl.dialogs import HistorySearch
from tenant_console.ui.repl.editor import ReplEditor
from tenant_console.ui.repl.help import WRITABLE_HINT, help_text
from tenant_console.ui.repl.output import render_input, render_result
from tenant_console.ui.repl.streaming import stream_output
from tenant_console.ui.repl.transaction import WriteMode

if TYPE_CHECKING:
    from tenant_console.core.project import Project


class ReplPane(Vertical):
    """Output log, scope warning, editor and status line of the REPL."""

    BINDINGS: ClassVar = [
        Binding("f2", "toggle_sql", "SQL echo"),
        Binding("f3", "toggle_writable", "Writable"),
        Binding("ctrl+s", "commit", "Commit", show=True),
        Binding("ctrl+r", "search_history", "History"),
        Binding("ctrl+l", "clear_log", "Clear", show=False),
        # Priority, so that the footer shows it over the editor's cut (which it still does on a selection).
        Binding("ctrl+x", "interrupt", "Interrupt", key_display="^c/^x", priority=True),
        Binding("escape", "escape", "Hide", show=False),
    ]
    DEFAULT_CSS = """
    ReplPane { height: 1fr; background: $surface; }
    ReplPane #repl-banner { height: auto; padding: 0 1; background: $primary-darken-2; color: $text; }
    ReplPane #repl-banner.-writable { background: $error-darken-1; color: $text; text-style: bold; }
    ReplPane #repl-banner.-dirty { background: $error; color: $text; text-style: bold; }
    ReplPane #repl-log { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ReplPane #repl-scope-warning { height: auto; padding: 0 1; background: $error; color: $text;
        text-style: bold; display: none; }
    ReplPane #repl-scope-warning.-on { display: block; }
    ReplPane #repl-scope-warning.-none { background: $warning-darken-2; }
    ReplPane #repl-completions { height: auto; max-height: 10; display: none; border: round $accent; }
    ReplPane #repl-completions.-on { display: block; }
    ReplPane #repl-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    class Ran(Message):
        """An input finished (ok, error, refused or interrupted)."""

        def __init__(self, result: RunResult) -> None:
            super().__init__()
            self.result = result

    class ModeChanged(Message):
        """Writable mode or its uncommitted state changed."""

        def __init__(self, writable: bool, dirty: bool) -> None:
            super().__init__()
            self.writable = writable
            self.dirty = dirty

    class CloseRequested(Message):
        """esc with nothing to close inside the pane."""

    sql_echo: reactive[bool] = reactive(False)
    running: reactive[bool] = reactive(False)

    def __init__(self, project: Project, *, scope: ScopeState | None = None, alias: str | None = None,
                 history: History | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.project = project
        self.alias = alias or project.alias
        self._initial_scope = scope or ScopeState()
        self.history = history if history is not None else History(
            history_path(project.config.state_dir, project.settings_module))
        self._cursor: HistoryCursor = self.history.cursor()
        self.runner: ReplRunner | None = None
        self.ready = asyncio.Event()
        self.last_result: RunResult | None = None
        self.results: list[RunResult] = []
        self.write_mode = WriteMode(self)

    # -- layout ----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ReplBanner("REPL · starting…", id="repl-banner")
        yield RichLog(id="repl-log", wrap=True, markup=False, highlight=False, auto_scroll=True, max_lines=20_000)
        yield ScopeWarning("", id="repl-scope-warning")
        yield CompletionList(id="repl-completions")
        yield ReplEditor(id="repl-editor")
        yield Static("", id="repl-status")

    @property
    def editor(self) -> ReplEditor:
        return self.query_one(ReplEditor)

    @property
    def log_view(self) -> RichLog:
        return self.query_one("#repl-log", RichLog)

    @property
    def completions(self) -> CompletionList:
        return self.query_one(CompletionList)

    @property
    def timings(self) -> bool:
        """Times vary from run to run; headless runs (tests, snapshots) leave them out."""
        return not self.app.is_headless

    def on_mount(self) -> None:
        if self.app.is_headless:
            self.editor.cursor_blink = False
        self.editor.focus()
        self._start()

    @work(group="repl-start", exit_on_error=False)
    async def _start(self) -> None:
        session = self.project.session("repl", alias=self.alias)
        self.runner = ReplRunner(self.project, session)
        self.runner.writable_hint = WRITABLE_HINT
        try:
            await self._apply_scope(self._initial_scope)
            info = await asyncio.wrap_future(self.runner.start())
        except Exception as exc:
            self.say(f"The REPL could not start: {exc}", "bold red")
            return
        self.say(info.summary() + ". :help lists the keys.", "dim")
        self.refresh_banner()
        self.ready.set()

    async def _apply_scope(self, scope: ScopeState, *, discard: bool = False) -> None:
        assert self.runner is not None
        runner = self.runner
        await asyncio.to_thread(runner.set_scope, scope.pks() if scope.tenants else None,
                                disabled=scope.disabled, discard=discard)

    def on_unmount(self) -> None:
        if self.runner is not None:
            self.runner.interrupt()
            self.runner.close()

    # -- banner and status -------------------------------------------------------
    def database(self) -> str:
        vendor = self.runner.vendor if self.runner else ""
        return f"{self.alias} ({vendor})" if vendor else self.alias

    def refresh_banner(self) -> None:
        if self.runner is None:
            return
        self.query_one(ReplBanner).show(self.runner, self.database(), self.sql_echo)
        self.query_one(ScopeWarning).show(self.runner, bool(self.project.registry.dimensions))

    def _status(self, text: str) -> None:
        self.query_one("#repl-status", Static).update(text)

    def watch_running(self, running: bool) -> None:
        if self.is_mounted:
            self._status("running… ctrl+c interrupts" if running else "")

    def watch_sql_echo(self, echo: bool) -> None:
        if self.is_mounted and self.runner is not None:
            self.refresh_banner()

    def say(self, message: str, style: str = "") -> None:
        self.log_view.write(Text(message, style=style), expand=True)

    # -- running input -----------------------------------------------------------
    @on(ReplEditor.Submitted)
    def submitted(self, event: ReplEditor.Submitted) -> None:
        event.stop()
        self._hide_completions()
        source = event.source
        if source.startswith(":"):
            self.editor.set_source("")
            self.run_command(source[1:].strip())
            return
        if not self.ready.is_set():
            self.app.notify("The REPL is still starting (or could not start: see its log).", severity="warning")
            return
        if self.running:
            self.app.notify("An input is still running; ctrl+c interrupts it.", severity="warning")
            return
        self.history.append(source, database=self.alias)
        self._cursor.reset()
        self.editor.set_source("")
        self.execute(source)

    def execute(self, source: str) -> None:
        """Run ``source`` as if it had been typed (also for the console's "use in REPL")."""
        self.running = True
        self._execute(source)

    @work(group="repl-run", exit_on_error=False)
    async def _execute(self, source: str) -> None:
        await self.ready.wait()
        runner = self.runner
        assert runner is not None
        log = self.log_view
        try:
            pending = runner.submit(source)
        except Exception as exc:  # the session itself is gone
            self.running = False
            self.say(f"The input could not run: {exc}", "bold red")
            return
        log.write(render_input(pending.number, source, pending.writable), expand=True)
        result = await stream_output(runner, pending, log)
        self.running = False
        self.last_result = result
        self.results.append(result)
        log.write(render_result(result, sql_echo=self.sql_echo, timings=self.timings, output=False), expand=True)
        self.refresh_banner()
        self.post_message(self.Ran(result))
        if result.writable:
            self.post_message(self.ModeChanged(runner.writable, runner.dirty))

    def action_interrupt(self) -> None:
        """ctrl+x: as ctrl+c (the console's cancel key); with text selected in the editor it cuts."""
        editor = self.editor
        if self.app.focused is editor and editor.selected_text:
            editor.action_cut()
            return
        self.interrupt()

    @on(ReplEditor.Interrupt)
    def interrupt(self, event: ReplEditor.Interrupt | None = None) -> None:
        if event is not None:
            event.stop()
        if self.running and self.runner is not None:
            if self.runner.interrupt():
                self._status("interrupting…")
            return
        if self.editor.text:
            self.editor.set_source("")
            self._cursor.reset()

    # -- history -------------------------------------------------------------------
    @on(ReplEditor.HistoryStep)
    def history_step(self, event: ReplEditor.HistoryStep) -> None:
        event.stop()
        if self.completions.is_open:
            self._hide_completions()
        source = self._cursor.previous(self.editor.text) if event.step < 0 else self._cursor.next()
        if source is not None:
            self.editor.set_source(source)

    def action_search_history(self) -> None:
        def chosen(source: str | None) -> None:
            if source is not None:
                self.editor.set_source(source)
            self.editor.focus()

        self.app.push_screen(HistorySearch(self.history.search(""), self.history.search), chosen)

    # -- completion ------------------------------------------------------------------
    @on(ReplEditor.CompletionRequested)
    def completion_requested(self, event: ReplEditor.CompletionRequested) -> None:
        event.stop()
        if self.running or self.runner is None:
            self._status("completion waits until the running input ends")
            return
        self._complete()

    @work(group="repl-complete", exclusive=True, exit_on_error=False)
    async def _complete(self) -> None:
        assert self.runner is not None
        editor = self.editor
        source = editor.text
        line, column = editor.cursor_for_jedi()
        try:
            found = await asyncio.wrap_future(self.runner.complete(source, line, column))
        except Exception as exc:
            self._status(f"no completion: {exc}")
            return
        if editor.text != source:
            return  # typed on meanwhile
        if not found:
            self._status("no completions")
            return
        at_once = insert_at_once(found)
        if at_once is not None:
            self._apply_completion(*at_once)
            if len(found) == 1:
                return
        prefix_length = len(at_once[0]) if at_once is not None else found[0].prefix_length
        self.completions.offer(found, prefix_length)
        self._status(f"{len(found)} completions · enter picks · esc closes")

    def _apply_completion(self, text: str, prefix_length: int) -> None:
        editor = self.editor
        row, col = editor.cursor_location
        editor.replace(text, (row, max(0, col - prefix_length)), (row, col))

    @on(OptionList.OptionSelected, "#repl-completions")
    def completion_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        completions = self.completions
        chosen = completions.completions[event.option_index]
        prefix_length = completions.prefix_length
        self._hide_completions()
        self._apply_completion(chosen.text, prefix_length)

    def _hide_completions(self) -> None:
        self.completions.close()
        self.editor.focus()
        self._status("")

    @on(ReplEditor.Escape)
    def editor_escape(self, event: ReplEditor.Escape) -> None:
        event.stop()
        self.action_escape()

    def action_escape(self) -> None:
        """esc: close the completion list, or ask the host to hide the REPL."""
        if self.completions.is_open:
            self._hide_completions()
        else:
            self.post_message(self.CloseRequested())

    # -- commands ----------------------------------------------------------------------
    def run_command(self, command: str) -> None:
        word = command.split(" ", 1)[0]
        word = word.lower()
        actions = {
            "commit": self.action_commit, "rollback": self.action_rollback, "write": self.action_writable,
            "writable": self.action_writable, "readonly": self.action_readonly, "read-only": self.action_readonly,
            "sql": self.action_toggle_sql, "clear": self.action_clear_log, "help": self.action_help,
        }
        action = actions.get(word)
        if action is None and hasattr(self.app, "run_command_line"):
            # The console's own commands (:tenant democon, :model …); :q goes through the console's
            # quit, which asks this pane (a leave guard) about uncommitted changes first.
            self.app.run_command_line(command)
            return
        if action is None and word in ("q", "quit", "exit"):
            self._quit()
            return
        if action is None:
            self.say(f"Unknown REPL command :{word}. Known: " + ", ".join(f":{k}" for k in actions), "yellow")
            return
        action()

    def action_help(self) -> None:
        from tenant_console.core.examples import model_name

        self.say(help_text(model_name(), list(self.project.registry.dimensions)), "")

    @work(group="repl-quit", exclusive=True, exit_on_error=False)
    async def _quit(self) -> None:
        """:q with no console around (the pane on its own): ask, then leave."""
        if await self.confirm_leave("Quitting."):
            self.app.exit()

    def action_clear_log(self) -> None:
        self.log_view.clear()

    def action_toggle_sql(self) -> None:
        self.sql_echo = not self.sql_echo
        self.say(f"SQL echo {'on' if self.sql_echo else 'off'}.", "dim")

    # -- writable mode (ui/repl/transaction.py) -------------------------------------------
    def action_toggle_writable(self) -> None:
        self.write_mode.toggle()

    def action_writable(self) -> None:
        self.write_mode.ask_writable()

    def action_commit(self) -> None:
        self.write_mode.commit()

    def action_rollback(self) -> None:
        self.write_mode.rollback()

    def action_readonly(self) -> None:
        self.write_mode.to_readonly()

    # -- the console's side ------------------------------------------------------------
    @property
    def has_uncommitted_changes(self) -> bool:
        return bool(self.runner and self.runner.dirty)

    async def confirm_leave(self, reason: str) -> bool:
        """Before switching tenant or quitting: ask about uncommitted changes; False means stay."""
        return await self.write_mode.confirm_leave(reason)

    async def set_scope(self, scope: ScopeState) -> bool:
        """Follow the console's scope: rebind the tenant variable; user variables stay.

        Asks first when there are uncommitted changes; returns False if the user stays.
        """
        await self.ready.wait()
        if not await self.confirm_leave(f"Switching the scope to {scope.describe()}."):
            return False
        try:
            await self._apply_scope(scope, discard=True)
        except Exception as exc:
            self.say(f"The REPL could not switch scope: {exc}", "bold red")
            return False
        assert self.runner is not None
        self.say(f"Scope: {self.runner.scope.describe()}. " + (
            ", ".join(f"{d} = {label}" for d, label in self.runner.info.tenants.items()) or "No tenant variable."),
            "bold red" if scope.disabled else "cyan")
        self.refresh_banner()
        return True
