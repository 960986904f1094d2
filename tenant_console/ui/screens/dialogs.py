"""Small modal dialogs: the ``:`` command line, the typed confirmation (and disabling scopes with it), help."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


def focus_input(screen: ModalScreen[Any]) -> None:
    """Focus the dialog's input now, not after a refresh (keys typed ahead are waiting for it); its cursor
    does not blink in a headless run (stable snapshots)."""
    inp = screen.query_one(Input)
    if screen.app.is_headless:
        inp.cursor_blink = False
    screen.set_focus(inp)


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
            from tenant_console.core.examples import model_name

            yield HistoryInput(self.initial, placeholder=f":command  (tenant TEXT · model {model_name()} · q)  "
                               "↑ history", suggester=SuggestFromList(self.words, case_sensitive=False),
                               id="cmd-input", history=self.history)

    def on_mount(self) -> None:
        focus_input(self)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip().lstrip(":")
        remember(self.history, text)
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TypedConfirm(ModalScreen[bool]):
    """An act that cannot be taken back goes ahead only when the user types the phrase shown; esc cancels.

    ``text`` (markup) says what happens; ``act`` what enter does once the phrase is typed ("delete"; None:
    the text has said it), ``back`` what esc does, ``unchanged`` what a wrong phrase leaves as it was
    ("nothing was deleted"). The disable-scopes dialog and the REPL's writable dialog are configurations.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TypedConfirm { align: center middle; }
    TypedConfirm #typed-box { width: 84; max-width: 100%; height: auto; border: heavy $error; background: $panel;
                              padding: 1 2; }
    TypedConfirm #typed-error { color: $error; height: auto; }
    """

    def __init__(self, text: str, phrase: str, *, act: str | None = "delete", back: str = "goes back",
                 unchanged: str = "nothing was deleted", placeholder: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.phrase = phrase
        self.act = act
        self.back = back
        self.unchanged = unchanged
        self.placeholder = phrase if placeholder is None else placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="typed-box"):
            enter = f"press enter to {self.act}" if self.act else "press enter"
            yield Static(f"{self.text}\n\nType [b]{self.phrase}[/b] and {enter}; esc {self.back}.", id="typed-text")
            yield Input(placeholder=self.placeholder, id="typed-input")
            yield Static("", id="typed-error")

    def on_mount(self) -> None:
        focus_input(self)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == self.phrase:
            self.dismiss(True)
        else:
            self.query_one("#typed-error", Static).update(
                f"That is not {self.phrase!r}; {self.unchanged}. Type it exactly, or press esc.")

    def action_cancel(self) -> None:
        self.dismiss(False)


class DisableScopesDialog(TypedConfirm):
    """Scopes are only disabled after the user types :data:`DISABLE_WORD`."""

    DEFAULT_CSS = """
    DisableScopesDialog #typed-box { width: 76; }
    """

    def __init__(self) -> None:
        super().__init__(
            "[b]Disable scopes?[/b]\n\nEvery tenant's rows become visible in every list and count, until you "
            "choose a tenant again. The banner turns red while it lasts, and this is recorded in the audit trail.",
            DISABLE_WORD, act="continue", back="cancels", unchanged="scopes stay enabled",
            placeholder=f"type {DISABLE_WORD}")


#: The widest the usage column of the help's command list gets (a longer usage wraps).
USAGE_WIDTH = 34


class HelpScreen(ModalScreen[None]):
    """``?``: what the current view is for, and every key that applies in it now."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box {
        width: 100; max-width: 96%; max-height: 90%; height: auto; border: round $accent; background: $panel;
        padding: 1 2;
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
        with VerticalScroll(id="help-box"):
            yield Static(Text.from_markup(f"[b]{escape(self.title_text)}[/b]\n\n{escape(self.intro)}\n"))
            yield Static(table)
            yield Static(Text.from_markup("\n[b]Commands[/b] (press : to type one)\n"))
            yield Static(self.commands_table())
            yield Static(Text.from_markup("\n[dim]esc, q or ? closes this help[/dim]"))

    def commands_table(self) -> Table:
        cmds = Table.grid(padding=(0, 2))
        # A long usage (:move's options) wraps in its column instead of squeezing every description.
        cmds.add_column(style="bold green", max_width=USAGE_WIDTH)
        cmds.add_column(min_width=30)
        for usage, desc in self.commands:
            cmds.add_row(":" + usage, desc)
        return cmds

    def action_close(self) -> None:
        self.dismiss(None)
