"""A text box with a history, as k9s keeps for ``:`` and ``/``: up recalls older entries, down newer.

The entries live on the app (one list per kind, newest last, for the console's lifetime), so the
``:`` line that opens next time, and the filter line of every object list, offer what was typed
before. Text being typed is kept: down past the newest entry brings it back.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

LIMIT = 200


def remember(history: list[str], text: str) -> None:
    """Add ``text`` as the newest entry (once: an older copy moves up), keeping at most LIMIT."""
    text = text.strip()
    if not text:
        return
    if text in history:
        history.remove(text)
    history.append(text)
    del history[:-LIMIT]


class HistoryInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Older", show=False),
        Binding("down", "history(1)", "Newer", show=False),
    ]

    def __init__(self, *args: object, history: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.history: list[str] = history if history is not None else []
        self._at: int | None = None  # index into history while browsing it; None: the text being typed
        self._typed = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._at is None:
            if step > 0:
                return
            self._typed = self.value
            at = len(self.history) - 1
        else:
            at = self._at + step
        if at < 0:
            return
        if at >= len(self.history):
            self._at = None
            self._set(self._typed)
            return
        self._at = at
        self._set(self.history[at])

    def _set(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)

    def reset_history(self) -> None:
        """Back to the newest end (after a submit)."""
        self._at = None
        self._typed = ""
