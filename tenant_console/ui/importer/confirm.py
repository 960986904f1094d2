"""The last question before an import writes: which database, which tenant, how many rows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmApply(ModalScreen[bool]):
    """``y`` does what the dialog says (applies, or rehearses a dry run), ``esc`` or ``n`` goes back."""

    BINDINGS = [Binding("y", "yes", "Confirm"), Binding("n,escape", "no", "Back")]
    DEFAULT_CSS = """
    ConfirmApply { align: center middle; }
    ConfirmApply #confirm-box { width: 84; height: auto; border: heavy $warning; background: $panel; padding: 1 2; }
    """

    def __init__(self, text: str, *, dry_run: bool = False, keys: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.dry_run = dry_run
        self.keys = keys  # what y and n do, when it is not an import (the :move screen)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.text, id="confirm-text")
            what = ("rehearse: run the whole import in one transaction, then roll it back (nothing is kept)"
                    if self.dry_run else "apply: write the import in one transaction")
            yield Static(self.keys or f"\n[b]y[/b] {what} · [b]n[/b]/esc back to the review", id="confirm-keys")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ApplyRunning(ModalScreen[str]):
    """Quitting while an import is applied: ``w`` waits for it (then quits), ``c`` cancels it on the
    database (it rolls back, nothing is written; then quits), ``esc`` stays. The apply is one
    transaction, so nothing in between exists."""

    BINDINGS = [Binding("w", "choose('wait')", "Wait, then quit"),
                Binding("c", "choose('cancel')", "Cancel it, then quit"),
                Binding("escape,s", "choose('stay')", "Stay")]
    DEFAULT_CSS = """
    ApplyRunning { align: center middle; }
    ApplyRunning #running-box { width: 84; height: auto; border: heavy $error; background: $panel; padding: 1 2; }
    """

    ONE_TRANSACTION = "It is one transaction: it either commits whole or is rolled back whole."
    CANCEL = "(rolled back, nothing written)"

    def __init__(self, reason: str, what: str, *, detail: str = ONE_TRANSACTION, cancel: str = CANCEL) -> None:
        super().__init__()
        self.reason = reason
        self.what = what
        self.detail = detail  # what stopping it leaves (the :move screen says where the journal is)
        self.cancel_text = cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="running-box"):
            yield Static(f"[b]{self.what}[/b] is running. {self.reason}\n\n{self.detail}", id="running-text")
            yield Static(f"\n[b]w[/b] wait for it to finish, then quit · [b]c[/b] cancel it on the database "
                         f"{self.cancel_text}, then quit · [b]esc[/b] stay", id="running-keys")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
