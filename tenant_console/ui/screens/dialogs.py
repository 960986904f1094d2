"""Small modal dialogs: the ``:`` command line, the disable-scopes confirmation, help."""

from __future__ import annotations

from collections.abc import Iterable

from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from tenant_console.ui.widgets.history_input import HistoryInput, remember

DISABLE_WORD = "DISABLE"


class CommandLine(ModalScreen[str | None]):
    """k9s-style ``:`` prompt at the bottom of the screen; returns the typed command."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    CommandLine { align: left bottom; background: $background 30%; }
    CommandLine #cmd-box { height: auto; width: 100%; background: $panel; padding: 0 1; }
    CommandLine #cmd-help { color: $text-muted; height: auto; }
    CommandLine Input { border: tall $accent; }
    """

    def __init__(self, words: Iterable[str], hint: str, initial: str = "", history: list[str] | None = None) -> None:
        super().__init__()
        self.words = sorted(set(words))
        self.hint = hint
        self.initial = initial
        self.history = history if history is not None else []

    def compose(self) -> ComposeResult:
        with Vertical(id="cmd-box"):
            yield Static(self.hint, id="cmd-help", markup=False)
            yield HistoryInput(self.initial, placeholder=":command  (tenant democon · model Submission · q)  "
                               "↑ history", suggester=SuggestFromList(self.words, case_sensitive=False),
                               id="cmd-input", history=self.history)

    def on_mount(self) -> None:
        inp = self.query_one(Input)
        if self.app.is_headless:
            inp.cursor_blink = False
        self.set_focus(inp)  # now, not after a refresh: keys typed ahead are waiting for this box

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip().lstrip(":")
        remember(self.history, text)
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DisableScopesDialog(ModalScreen[bool]):
    """Scopes are only disabled after the user types the word this dialog asks for."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    DisableScopesDialog { align: center middle; }
    DisableScopesDialog #disable-box {
        width: 76; height: auto; border: heavy $error; background: $panel; padding: 1 2;
    }
    DisableScopesDialog #disable-error { color: $error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="disable-box"):
            yield Static(
                "[b]Disable scopes?[/b]\n\nEvery tenant's rows become visible in every list and count, "
                "until you choose a tenant again. The banner turns red while it lasts, and this is recorded "
                f"in the audit trail.\n\nType [b]{DISABLE_WORD}[/b] and press enter to continue; esc cancels."
            )
            yield Input(placeholder=f"type {DISABLE_WORD}", id="disable-input")
            yield Static("", id="disable-error")

    def on_mount(self) -> None:
        inp = self.query_one(Input)
        if self.app.is_headless:
            inp.cursor_blink = False
        self.set_focus(inp)  # now, not after a refresh: keys typed ahead are waiting for this box

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == DISABLE_WORD:
            self.dismiss(True)
        else:
            self.query_one("#disable-error", Static).update(
                f"That is not {DISABLE_WORD}; scopes stay enabled. Type it exactly, or press esc.")

    def action_cancel(self) -> None:
        self.dismiss(False)


class HelpScreen(ModalScreen[None]):
    """``?``: what the current view is for, and every key that applies in it now."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box {
        width: 84; max-height: 90%; height: auto; border: round $accent; background: $panel; padding: 1 2;
    }
    """

    def __init__(self, title: str, intro: str, keys: list[tuple[str, str]], commands: list[tuple[str, str]]):
        super().__init__()
        self.title_text = title
        self.intro = intro
        self.keys = keys
        self.commands = commands

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, desc in self.keys:
            table.add_row(key, desc)
        cmds = Table.grid(padding=(0, 2))
        cmds.add_column(style="bold green", no_wrap=True)
        cmds.add_column()
        for usage, desc in self.commands:
            cmds.add_row(":" + usage, desc)
        with VerticalScroll(id="help-box"):
            yield Static(Text.from_markup(f"[b]{escape(self.title_text)}[/b]\n\n{escape(self.intro)}\n"))
            yield Static(table)
            yield Static(Text.from_markup("\n[b]Commands[/b] (press : to type one)\n"))
            yield Static(cmds)
            yield Static(Text.from_markup("\n[dim]esc, q or ? closes this help[/dim]"))

    def action_close(self) -> None:
        self.dismiss(None)
