"""The REPL's input editor: Python with syntax highlighting, REPL keys on top of a TextArea.

Enter runs the input when it is complete and continues the block when it is
not (decided by :func:`tenant_console.core.repl.compile.check`, as the standard
REPL does); ctrl+j (or alt+enter) always inserts a newline. Up/down walk the
history when the cursor is on the first/last line; Tab completes (or indents
at the start of a line); ctrl+c interrupts a running input, copies a selection,
or clears the input (ctrl+x, the console's cancel key, does the same through the
pane's binding, and cuts a selection).
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from tenant_console.core.repl.compile import check, next_indent

INDENT = "    "


def _has_syntax_support() -> bool:
    try:
        import tree_sitter  # noqa: F401
        import tree_sitter_python  # noqa: F401
    except ImportError:
        return False
    return True


class ReplEditor(TextArea):
    """A small code editor that speaks REPL."""

    DEFAULT_CSS = """
    ReplEditor { height: auto; min-height: 3; max-height: 12; border: tall $accent 50%; }
    ReplEditor:focus { border: tall $accent; }
    """

    class Submitted(Message):
        """A complete input (or a ``:command``) to run."""

        def __init__(self, editor: ReplEditor, source: str) -> None:
            super().__init__()
            self.editor = editor
            self.source = source

    class HistoryStep(Message):
        """Up on the first line (``-1``) or down on the last line (``+1``)."""

        def __init__(self, editor: ReplEditor, step: int) -> None:
            super().__init__()
            self.editor = editor
            self.step = step

    class CompletionRequested(Message):
        def __init__(self, editor: ReplEditor) -> None:
            super().__init__()
            self.editor = editor

    class Interrupt(Message):
        """ctrl+c with nothing selected."""

    class Escape(Message):
        """esc in the editor."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            language="python" if _has_syntax_support() else None,
            theme="monokai",
            soft_wrap=True,
            tab_behavior="indent",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder="Python in the active scope · enter runs · ctrl+j newline · tab completes · ctrl+r history",
            id=id,
        )

    # -- keys -----------------------------------------------------------------
    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        handled = True
        if key == "escape":
            self.post_message(self.Escape())  # the pane closes completions, or the host hides the REPL
        elif key == "enter":
            self._enter()
        elif key in ("ctrl+j", "alt+enter", "shift+enter"):
            self._newline()
        elif key == "tab":
            if self._at_line_start():
                self.insert(INDENT)
            else:
                self.post_message(self.CompletionRequested(self))
        elif key == "up" and self.cursor_location[0] == 0 and not self.selected_text:
            self.post_message(self.HistoryStep(self, -1))
        elif key == "down" and self.cursor_location[0] == self.document.line_count - 1 and not self.selected_text:
            self.post_message(self.HistoryStep(self, +1))
        elif key == "ctrl+c":
            if self.selected_text:
                self.app.copy_to_clipboard(self.selected_text)
            else:
                self.post_message(self.Interrupt())
        else:
            handled = False
        if handled:
            # prevent_default also keeps TextArea._on_key (called next by Textual's dispatch) out of it.
            event.stop()
            event.prevent_default()

    def _at_line_start(self) -> bool:
        row, col = self.cursor_location
        return not self.document.get_line(row)[:col].strip()

    def _enter(self) -> None:
        text = self.text
        if text.strip().startswith(":") and "\n" not in text.strip():
            self.post_message(self.Submitted(self, text.strip()))
            return
        row, col = self.cursor_location
        at_end = (row, col) == self.document.end
        line = self.document.get_line(row)
        if not at_end:
            self._newline()
            return
        # A blank line ends a block, as in the standard REPL.
        source = text.rstrip() + "\n\n" if not line.strip() and row > 0 else text
        verdict = check(source)
        if verdict.status == "incomplete" and source.strip():
            self._newline()
            return
        if source.strip():
            self.post_message(self.Submitted(self, source.rstrip()))

    def _newline(self) -> None:
        row, col = self.cursor_location
        before = "\n".join([*self.text.split("\n")[:row], self.document.get_line(row)[:col]])
        self.insert("\n" + next_indent(before, INDENT))

    # -- helpers for the pane ---------------------------------------------------
    def set_source(self, source: str) -> None:
        """Replace the input and put the cursor at its end."""
        self.load_text(source)
        self.move_cursor(self.document.end)

    def cursor_for_jedi(self) -> tuple[int, int]:
        """(1-based line, 0-based column) of the cursor, as jedi wants it."""
        row, col = self.cursor_location
        return row + 1, col
