"""A REPL table fitted to the log's width when it is drawn: the key and the first-read columns stay whole.

The core gives a table's columns with their reading order (:attr:`Rendered.priority`: the key, the
fields that name the object, choices, links, then the rest). Here the columns are taken in that
order while their least useful width still fits: the key column at its whole width (an id is never
``…``), the next two up to 30 cells, any other whole when its values are short (ids, dates, states)
or at a readable minimum when they are long. What does not fit is left out and named under the
table with the fields the core did not carry, in one count and one list ("3 more columns not shown:
abstract, created, notes"; :meth:`Rendered.hidden_note`), with the way to see it whole (``_[0]``
shows every field of a row). The chosen columns keep the model's order and share the width that is
left, the first-read ones first.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from tenant_console.core.repl.render import Rendered

#: Widest a cell is shown (the core cuts values at 40 characters).
MAX_WIDTH = 42
#: How many columns after the key are "read first": shown up to :data:`FIRST_WIDTH` before any other.
READ_FIRST = 2
FIRST_WIDTH = 30
#: A value this short (an id, a date, a code, a state) is shown whole or not at all; a longer one
#: (a title, an abstract) may be cut, down to :data:`READABLE` cells.
SHORT = 20
READABLE = 12
#: Between two columns: padding, rule, padding (Rich's default box with the edges off).
GAP = 3
SCROLLBAR = 1


def natural_widths(value: Rendered) -> list[int]:
    """Each column's width with nothing cut (its header or its longest value, up to :data:`MAX_WIDTH`)."""
    return [min(MAX_WIDTH, max([len(name)] + [len(row[i]) for row in value.rows if i < len(row)]))
            for i, name in enumerate(value.columns)]


def least_width(natural: int, header: str, rank: int) -> int:
    """The width a column needs to be worth showing, by its place in the reading order."""
    if rank == 0:
        return natural  # the key: never cut
    if rank <= READ_FIRST:
        return min(natural, max(FIRST_WIDTH, len(header)))
    return natural if natural <= SHORT else max(READABLE, min(len(header), natural))


def fit_columns(natural: Sequence[int], headers: Sequence[str], order: Sequence[int], width: int) -> list[int]:
    """The width of each column in ``width`` cells, 0 for a column left out.

    Columns are taken in reading ``order`` while their :func:`least_width` fits; the first that does not
    fit and every column after it are left out (so what is left out is always the least read). The key
    is shown even where it alone is wider than ``width`` (cut at the edge). The width left over goes to
    the chosen columns in reading order, up to their natural width.
    """
    widths = [0] * len(natural)
    used = 0
    for rank, i in enumerate(order):
        need = least_width(natural[i], headers[i], rank)
        extra = GAP if rank else 0
        if rank and used + extra + need > width:
            break
        widths[i] = need
        used += extra + need
    spare = max(0, width - used)
    for i in order:
        if not widths[i] or not spare:
            continue
        grow = min(spare, natural[i] - widths[i])
        widths[i] += grow
        spare -= grow
    return widths


class FittedTable:
    """A :class:`Rendered` table that chooses its columns for the width it is drawn in."""

    def __init__(self, value: Rendered) -> None:
        self.value = value

    def columns_for(self, width: int) -> tuple[list[int], list[str]]:
        """(widths, names of the columns left out, in reading order) at ``width`` cells."""
        value = self.value
        order = value.reading_order()
        widths = fit_columns(natural_widths(value), value.columns, order, width)
        hidden = [value.columns[i] for i in order if not widths[i]]
        return widths, hidden

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        value = self.value
        # One cell is kept for the log's scrollbar, which appears only once the log overflows: a line
        # drawn before that would lose its last column to it.
        widths, hidden = self.columns_for(max(1, options.max_width - SCROLLBAR))
        notes = [note for note in (value.note, value.hidden_note(hidden)) if note]
        table = Table(show_edge=False, header_style="bold", caption="\n".join(notes) or None,
                      caption_justify="left", caption_style="dim", pad_edge=False, expand=False)
        shown = [i for i, w in enumerate(widths) if w]
        for i in shown:
            table.add_column(value.columns[i], width=widths[i], no_wrap=True, overflow="ellipsis")
        for row in value.rows:
            table.add_row(*[Text(row[i]) if i < len(row) else Text("") for i in shown])
        yield table
