"""Tab completion in the REPL: what to insert at once, and the list to pick from when there is a choice."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tenant_console.core.repl.completion import Completion

#: Completions listed at most (the rest narrow down as you type on).
LISTED = 100


def common_prefix(words: list[str]) -> str:
    """The longest string every word starts with."""
    if not words:
        return ""
    first, last = min(words), max(words)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def insert_at_once(found: Sequence[Completion]) -> tuple[str, int] | None:
    """(text, length of the typed prefix it replaces) to insert without asking: the one completion, or
    what every completion starts with when that is longer than what was typed; None when there is none."""
    if len(found) == 1:
        return found[0].text, found[0].prefix_length
    prefix_length = found[0].prefix_length
    common = common_prefix([c.text for c in found])
    if len(common) > prefix_length and all(c.prefix_length == prefix_length for c in found):
        return common, prefix_length
    return None


class CompletionList(OptionList):
    """The completions to pick from; it remembers them and how much of the typed word a pick replaces."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.completions: list[Completion] = []
        self.prefix_length = 0

    @property
    def is_open(self) -> bool:
        return bool(self.completions)

    def offer(self, found: Sequence[Completion], prefix_length: int) -> None:
        self.completions = list(found)
        self.prefix_length = prefix_length
        self.clear_options()
        self.add_options([Option(Text.assemble((c.text, "bold"), (f"  {c.kind}", "dim"))) for c in found[:LISTED]])
        self.add_class("-on")
        self.highlighted = 0
        self.focus()

    def close(self) -> None:
        self.completions = []
        self.remove_class("-on")
