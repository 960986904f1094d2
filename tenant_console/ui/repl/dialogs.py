"""The REPL's confirmations and its history search.

Writable mode is entered only by typing a word in a dialog that names the
tenant and the database; leaving with uncommitted changes asks what to do.
"""

from __future__ import annotations

from typing import Literal

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from tenant_console.ui.screens.dialogs import TypedConfirm

WRITE_WORD = "WRITE"
#: What the user types to commit rows written into another tenant.
CROSS_WORD = "OTHER TENANT"

Choice = Literal["commit", "rollback", "cancel"]


def _stable(screen: ModalScreen) -> None:
    if screen.app.is_headless:
        for inp in screen.query(Input):
            inp.cursor_blink = False


class WritableDialog(TypedConfirm):
    """Switch the REPL to writable: names the tenant and database; the user types WRITE."""

    DEFAULT_CSS = """
    WritableDialog #typed-box { width: 80; }
    """

    def __init__(self, tenant: str, database: str) -> None:
        super().__init__(
            "[b]Make the REPL writable?[/b]\n\n"
            f"Tenant:   [b]{escape(tenant)}[/b]\nDatabase: [b]{escape(database)}[/b]\n\n"
            "Your inputs will run inside one transaction that stays open. Nothing reaches the database "
            "until you commit ([b]ctrl+s[/b] or [b]:commit[/b]); [b]:rollback[/b] throws it all away. "
            "Commits are recorded in the audit trail with the inputs that made them.",
            WRITE_WORD, act=None, back="cancels", unchanged="the REPL stays read-only",
            placeholder=f"type {WRITE_WORD}")


class CrossTenantCommitDialog(TypedConfirm):
    """Commit although inputs wrote rows of another tenant: names them; the user types the word."""

    def __init__(self, warning: str) -> None:
        super().__init__(
            "[b]Commit changes to another tenant?[/b]\n\n"
            f"[b red]{escape(warning)}[/b red]\n\n"
            "Writable mode was opened for the active tenant. If these rows should not change, roll back "
            "([b]:rollback[/b]); if they should, commit here (the audit trail records them).",
            CROSS_WORD, act="commit", back="cancels", unchanged="nothing was committed",
            placeholder=f"type {CROSS_WORD}")


class UncommittedDialog(ModalScreen[Choice]):
    """There are uncommitted changes: commit them, roll them back, or stay."""

    BINDINGS = [Binding("escape", "choose('cancel')", "Cancel"), Binding("c", "choose('commit')", "Commit"),
                Binding("r", "choose('rollback')", "Roll back")]
    DEFAULT_CSS = """
    UncommittedDialog { align: center middle; }
    UncommittedDialog #uncommitted-box { width: 80; height: auto; border: heavy $warning; background: $panel;
        padding: 1 2; }
    UncommittedDialog Horizontal { height: auto; margin-top: 1; }
    UncommittedDialog Button { margin-right: 2; }
    """

    def __init__(self, reason: str, writes: int, inputs: list[str], foreign: str = "") -> None:
        super().__init__()
        self.reason = reason
        self.writes = writes
        self.inputs = inputs
        #: The warning about rows written into another tenant (empty: none).
        self.foreign = foreign

    def compose(self) -> ComposeResult:
        shown = "\n".join(f"  [dim]›[/dim] {escape(_first_line(src))}" for src in self.inputs[-5:])
        more = f"\n  … and {len(self.inputs) - 5} earlier input(s)" if len(self.inputs) > 5 else ""
        with Vertical(id="uncommitted-box"):
            yield Static(
                f"[b]Uncommitted changes in the REPL[/b]\n\n{escape(self.reason)}\n\n"
                f"The open transaction holds {self.writes} writing statement(s) from these inputs:\n"
                f"{shown}{more}\n\n"
                + (f"[b red]{escape(self.foreign)}[/b red]\nCommitting asks you to type {CROSS_WORD}.\n\n"
                   if self.foreign else "")
                + "Commit them, roll them back, or stay where you are.", id="uncommitted-text")
            with Horizontal():
                yield Button("Commit (c)", id="commit", variant="error")
                yield Button("Roll back (r)", id="rollback", variant="warning")
                yield Button("Cancel (esc)", id="cancel", variant="default")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)


def _first_line(source: str, limit: int = 70) -> str:
    first = source.strip().split("\n", 1)
    text = first[0] + (" …" if len(first) > 1 else "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HistorySearch(ModalScreen[str | None]):
    """ctrl+r: type to search the history (newest first); enter takes the highlighted entry."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("down", "move(1)", show=False),
                Binding("up", "move(-1)", show=False), Binding("ctrl+r", "move(1)", show=False)]
    DEFAULT_CSS = """
    HistorySearch { align: center bottom; background: $background 30%; }
    HistorySearch #history-box { width: 100%; height: auto; max-height: 60%; background: $panel; padding: 0 1; }
    HistorySearch OptionList { height: auto; max-height: 16; }
    HistorySearch #history-hint { color: $text-muted; }
    """

    def __init__(self, entries: list[str], search: object) -> None:
        super().__init__()
        self._search = search
        self._initial = entries

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static("history search (reverse-i-search): type to filter · enter takes · esc cancels",
                         id="history-hint")
            yield OptionList(id="history-list")
            yield Input(placeholder="search the REPL history", id="history-input")

    def on_mount(self) -> None:
        _stable(self)
        self._fill(self._initial)
        self.query_one(Input).focus()

    def _fill(self, entries: list[str]) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for entry in entries:
            first = entry.split("\n", 1)
            label = first[0] + (" …" if len(first) > 1 else "")
            options.add_option(Option(label, id=None))
        self._entries = entries
        if entries:
            options.highlighted = 0

    @on(Input.Changed)
    def changed(self, event: Input.Changed) -> None:
        self._fill(self._search(event.value))  # type: ignore[operator]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if self._entries and options.highlighted is not None:
            self.dismiss(self._entries[options.highlighted])
        else:
            self.dismiss(None)

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._entries[event.option_index])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if not self._entries:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self._entries) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
