"""Writable mode of the REPL: switching it on (asked first), commit, roll back, and the question
about uncommitted changes before the console switches tenant or quits.

The pane owns one :class:`WriteMode`; its keys and ``:commands`` call in here. Every commit and
roll back runs on the REPL's session (awaited), never on the event loop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tenant_console.core.errors import ConsoleError
from tenant_console.core.repl.crosswrite import unchecked_text, warning_text
from tenant_console.ui.repl.dialogs import CrossTenantCommitDialog, UncommittedDialog, WritableDialog

if TYPE_CHECKING:
    from tenant_console.ui.repl.pane import ReplPane


class WriteMode:
    def __init__(self, pane: ReplPane) -> None:
        self.pane = pane

    # -- keys and commands ------------------------------------------------------------
    def toggle(self) -> None:
        if self.pane.runner is not None and self.pane.runner.writable:
            self.to_readonly()
        else:
            self.ask_writable()

    def ask_writable(self) -> None:
        pane, runner = self.pane, self.pane.runner
        if runner is None or runner.writable:
            return
        if pane.running:
            pane.app.notify("Wait for the running input (or ctrl+c) before switching modes.", severity="warning")
            return
        scope = runner.scope
        tenant = scope.describe() if (scope.tenants or scope.disabled) else "no tenant (unscoped models only)"

        def confirmed(ok: bool | None) -> None:
            pane.editor.focus()
            if ok:
                pane.run_worker(self._enable_writes(), group="repl-mode", exit_on_error=False)
            else:
                pane.say("Still read-only.", "dim")

        pane.app.push_screen(WritableDialog(tenant, pane.database()), confirmed)

    async def _enable_writes(self) -> None:
        pane, runner = self.pane, self.pane.runner
        assert runner is not None
        try:
            await asyncio.wrap_future(runner.enable_writes())
        except Exception as exc:
            pane.say(f"Writable mode could not start: {exc}", "bold red")
            return
        pane.say("WRITABLE: inputs now run in one open transaction; nothing is committed until ctrl+s or :commit.",
                 "bold red")
        self.changed()

    def commit(self) -> None:
        if self.pane.runner is None or not self.pane.runner.writable:
            self.pane.say("Nothing to commit: the REPL is read-only.", "dim")
            return
        warning = self.foreign_warning()
        if not warning:
            self.pane.run_worker(self.finish("commit"), group="repl-mode", exit_on_error=False)
            return
        pane = self.pane
        pane.say(warning, "bold red")

        def confirmed(ok: bool | None) -> None:
            pane.editor.focus()
            if ok:
                pane.run_worker(self.finish("commit"), group="repl-mode", exit_on_error=False)
            else:
                pane.say("Not committed; the transaction is still open (:rollback throws it away).", "bold yellow")

        pane.app.push_screen(CrossTenantCommitDialog(warning), confirmed)

    def foreign_warning(self) -> str:
        """The warning about rows the open transaction wrote into another tenant, or could not check
        (empty: none); non-empty means a commit needs the typed OTHER TENANT confirmation."""
        runner = self.pane.runner
        if runner is None:
            return ""
        lines = [warning_text(runner.transaction.foreign, runner.scope),
                 unchecked_text(runner.transaction.unchecked)]
        return "\n".join(line for line in lines if line)

    def rollback(self) -> None:
        if self.pane.runner is None or not self.pane.runner.writable:
            self.pane.say("Nothing to roll back: the REPL is read-only.", "dim")
            return
        self.pane.run_worker(self.finish("rollback"), group="repl-mode", exit_on_error=False)

    def to_readonly(self) -> None:
        pane, runner = self.pane, self.pane.runner
        if runner is None or not runner.writable:
            return
        if not runner.dirty:
            pane.run_worker(self.finish("rollback"), group="repl-mode", exit_on_error=False)
            return

        def chosen(choice: str | None) -> None:
            pane.editor.focus()
            if choice == "commit":
                self.commit()  # asks for the typed word when rows of another tenant are pending
            elif choice == "rollback":
                pane.run_worker(self.finish(choice), group="repl-mode", exit_on_error=False)

        pane.app.push_screen(UncommittedDialog("Going back to read-only ends the open transaction.",
                                               runner.transaction.writes, self.writing_inputs(),
                                               self.foreign_warning()), chosen)

    async def finish(self, how: str) -> bool:
        """Commit or roll back the open transaction (on the REPL's session) and say what happened."""
        pane, runner = self.pane, self.pane.runner
        assert runner is not None
        if pane.running:
            pane.app.notify("Wait for the running input (or ctrl+c) first.", severity="warning")
            return False
        try:
            done = await asyncio.wrap_future(runner.commit() if how == "commit" else runner.rollback())
        except ConsoleError as exc:
            pane.say(str(exc), "bold red")
            self.changed()
            return False
        if how == "commit":
            pane.say(f"Committed {done.writes} writing statement(s) from {len(done.inputs)} input(s); "
                     "recorded in the audit trail. Back to read-only.", "bold green")
        else:
            pane.say(f"Rolled back: {done.writes} writing statement(s) discarded. Back to read-only.", "bold yellow")
        self.changed()
        return True

    def changed(self) -> None:
        """The banner and the console follow the mode (and whether changes wait for a commit)."""
        pane = self.pane
        pane.refresh_banner()
        if pane.runner is not None:
            pane.post_message(pane.ModeChanged(pane.runner.writable, pane.runner.dirty))

    def writing_inputs(self) -> list[str]:
        runner = self.pane.runner
        return [i.source for i in runner.transaction.inputs if i.writes] if runner is not None else []

    # -- the console's side ------------------------------------------------------------
    async def confirm_leave(self, reason: str) -> bool:
        """Before switching tenant or quitting: ask about uncommitted changes; False means stay."""
        pane, runner = self.pane, self.pane.runner
        if runner is None or not runner.writable:
            return True
        if not runner.dirty:
            await asyncio.wrap_future(runner.rollback())
            self.changed()
            return True
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        pane.app.push_screen(UncommittedDialog(reason, runner.transaction.writes, self.writing_inputs(),
                                               self.foreign_warning()),
                             lambda choice: answer.set_result(choice) if not answer.done() else None)
        choice = await answer
        if choice not in ("commit", "rollback"):
            return False
        warning = self.foreign_warning()
        if choice == "commit" and warning:
            # One key must not commit rows of another tenant: the same typed word as ctrl+s.
            typed: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
            pane.app.push_screen(CrossTenantCommitDialog(warning),
                                 lambda ok: typed.set_result(ok) if not typed.done() else None)
            if not await typed:
                pane.say("Not committed; the transaction is still open (:rollback throws it away).", "bold yellow")
                return False
        try:
            done = await asyncio.wrap_future(runner.commit() if choice == "commit" else runner.rollback())
        except ConsoleError as exc:
            pane.say(str(exc), "bold red")
            self.changed()
            return False
        verb = "Committed" if choice == "commit" else "Rolled back"
        pane.say(f"{verb} {done.writes} writing statement(s) before: {reason}", "bold yellow")
        self.changed()
        return True
