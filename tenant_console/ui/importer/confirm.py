"""The last question before an import writes: which database, which tenant, how many rows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmApply(ModalScreen[bool]):
    """``y`` applies, ``esc`` or ``n`` goes back to the review."""

    BINDINGS = [Binding("y", "yes", "Apply"), Binding("n,escape", "no", "Back")]
    DEFAULT_CSS = """
    ConfirmApply { align: center middle; }
    ConfirmApply #confirm-box { width: 84; height: auto; border: heavy $warning; background: $panel; padding: 1 2; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.text, id="confirm-text")
            yield Static("\n[b]y[/b] apply in one transaction · [b]n[/b]/esc back to the review")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
