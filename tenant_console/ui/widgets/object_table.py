"""A virtual table over any number of rows, in the manner of Toolong's ``LogLines``.

The widget is a ``ScrollView`` whose virtual height is the row count; nothing but
the rows on screen (and the pages around them) is ever held. ``render_line``
asks the page cache for the row under each screen line; a missing page is drawn
as a placeholder and fetched in the background through the session (keyset
seeks, see :mod:`tenant_console.core.browse.paging`), then the lines are redrawn.
Pages are aligned to positions (page *n* holds rows ``n*PAGE .. n*PAGE+PAGE-1``)
and kept in an LRU; the first key of every page seen is kept as an *anchor* so
that a later jump near it is a short skip.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tenant_console.core.browse import paging
from tenant_console.core.browse.paging import ListSpec
from tenant_console.core.browse.rows import Column, Row

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp

PAGE = 100
MAX_PAGES = 64
MAX_ANCHORS = 4096
GAP = 2
#: Widest a column gets when fitted to the first page, by kind.
MAX_WIDTH = {"pk": 36, "fk": 32, "text": 40, "json": 32, "file": 28}
#: A jump further than this from any known key, in an order other than the primary
#: key, first builds the sparse anchor index (one sorted pass) instead of skipping.
ANCHOR_INDEX_DISTANCE = 50_000
#: A list this long, in an order an index can read, is walked in the background once counted
#: (``paging.walk_anchors``): about ``WALK_ANCHORS`` keys evenly apart, ``WALK_STEPS`` per session call,
#: so that any later jump is a short skip from the nearest one.
WALK_MIN_ROWS = 20_000
WALK_ANCHORS = 100
WALK_STEPS = 4


@dataclass
class TableState:
    total: int | None = None  # None while counting
    generation: int = 0
    error: str = ""  # why the rows could not be counted
    counting: bool = False  # the first page is shown; the COUNT is still running


class PageCache:
    """An LRU of pages by index, plus the first key of every page ever seen."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self.max_pages = max_pages
        self.pages: OrderedDict[int, list[Row]] = OrderedDict()
        self.anchors: dict[int, tuple[Any, ...]] = {}
        self.indexed = False  # the sparse anchor index has been loaded

    def distance(self, position: int, total: int) -> int:
        """Rows between ``position`` and the nearest known key (start, end, anchors)."""
        known = [0, max(0, total - 1), *self.anchors]
        return min(abs(position - k) for k in known)

    def get(self, index: int) -> list[Row] | None:
        page = self.pages.get(index)
        if page is not None:
            self.pages.move_to_end(index)
        return page

    def put(self, index: int, rows: list[Row]) -> None:
        self.pages[index] = rows
        self.pages.move_to_end(index)
        while len(self.pages) > self.max_pages:
            self.pages.popitem(last=False)
        if rows and len(self.anchors) < MAX_ANCHORS:
            self.anchors[index * PAGE] = rows[0].key

    def row(self, position: int) -> Row | None:
        page = self.pages.get(position // PAGE)
        if page is None:
            return None
        offset = position % PAGE
        return page[offset] if offset < len(page) else None

    def clear(self) -> None:
        self.pages.clear()
        self.anchors.clear()
        self.indexed = False


class ObjectTable(ScrollView, can_focus=True):
    """Rows of one model in the current scope; never all in memory."""

    COMPONENT_CLASSES: ClassVar = {
        "object-table--header", "object-table--cursor", "object-table--null", "object-table--foreign",
        "object-table--placeholder", "object-table--column-cursor",
    }
    BINDINGS: ClassVar = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown,space", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "Top"),
        Binding("end,G", "last", "End"),
        Binding("left,h", "column(-1)", "Column", show=False),
        Binding("right,l", "column(1)", "Column", show=False),
        Binding("s", "sort", "Sort by column"),
        Binding("enter", "open", "Open"),
    ]
    DEFAULT_CSS = """
    ObjectTable { height: 1fr; background: $surface; }
    ObjectTable > .object-table--header { text-style: bold; background: $primary-darken-1; }
    ObjectTable > .object-table--column-cursor { text-style: bold reverse; }
    ObjectTable > .object-table--cursor { background: $accent 50%; }
    ObjectTable > .object-table--null { color: $text-muted; }
    ObjectTable > .object-table--foreign { color: $warning; text-style: bold; }
    ObjectTable > .object-table--placeholder { color: $text-muted; text-style: italic; }
    """

    cursor_row: reactive[int] = reactive(0, init=False)
    cursor_column: reactive[int] = reactive(0, init=False)

    class Opened(Message):
        """The user opened the row under the cursor."""

        def __init__(self, table: ObjectTable, pk: Any) -> None:
            super().__init__()
            self.table = table
            self.pk = pk

    class Counted(Message):
        def __init__(self, table: ObjectTable, total: int) -> None:
            super().__init__()
            self.table = table
            self.total = total

    class SortChanged(Message):
        def __init__(self, table: ObjectTable, spec: ListSpec) -> None:
            super().__init__()
            self.table = table
            self.spec = spec

    def __init__(self, spec: ListSpec, columns: list[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self.columns = columns
        self.cache = PageCache()
        self.state = TableState()
        self._inflight: set[tuple[int, int]] = set()
        self.fetches = 0  # page fetches completed (tests and the status line use it)
        self.indexing = False  # building the sparse anchor index for a deep jump
        self.walked = 0  # how far the background walk has put anchors (tests and the benchmark read it)
        self._widths = [c.width for c in columns]
        self._fitted = False
        self._deferred: Callable[[], None] | None = None

    def _fit_widths(self, rows: list[Row]) -> None:
        """Size columns to the rows shown: the first page sets them, later pages (a jump with G or
        :row, scrolling on) only widen a column whose values are longer, up to its kind's maximum,
        so an id like 150000 is never cut as 150… and columns do not jump back while scrolling."""
        if not rows:
            return
        widths = []
        for i, col in enumerate(self.columns):
            longest = max(len(r.cells[i].text) for r in rows)
            fitted = max(len(col.title) + 2, min(MAX_WIDTH.get(col.kind, 20), longest))
            widths.append(max(fitted, self._widths[i]) if self._fitted else fitted)
        self._fitted = True
        if widths != self._widths:
            self._widths = widths
            self._resize()

    @property
    def console(self) -> TenantConsoleApp:
        return cast("TenantConsoleApp", self.app)

    # -- loading -------------------------------------------------------------
    def reload(self, spec: ListSpec | None = None) -> None:
        """Start over (new filter, order or scope): count, then fetch what is visible."""
        if spec is not None:
            self.spec = spec
        self.state = TableState(None, self.state.generation + 1)
        self._deferred = None
        self.cache.clear()
        self._inflight.clear()
        self.walked = 0
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False)
        self._resize()
        self.refresh()
        self.run_worker(self._count(self.state.generation), group="count", exclusive=True, exit_on_error=False)

    async def _count(self, generation: int) -> None:
        """First page first (shown at once), then the COUNT that sizes the scrollbar."""
        console = self.console
        assert console.project is not None
        registry, spec, scope = console.project.registry, self.spec, console.scope
        try:
            first = await console.db(paging.page_after, registry, spec, scope, None, PAGE)
            if generation != self.state.generation:
                return
            self.cache.put(0, first)
            self._fit_widths(first)
            if len(first) < PAGE:
                total = len(first)  # the whole list fits in one page: no COUNT needed
            else:
                self.state = replace(self.state, total=len(first), counting=True)
                self._resize()
                self.refresh()
                total = await console.db(paging.count, registry, spec, scope)
        except Exception as exc:
            if generation == self.state.generation:
                self.state = replace(self.state, total=None, counting=False, error=str(exc.__cause__ or exc))
                self.refresh()
            raise
        if generation != self.state.generation:
            return
        self.state = replace(self.state, total=total, counting=False)
        self._resize()
        self.refresh()
        self.post_message(self.Counted(self, total))
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred()
        if total >= WALK_MIN_ROWS and paging.indexed_order(spec):
            self.run_worker(self._walk(generation, total), group="walk", exclusive=True, exit_on_error=False)

    async def _walk(self, generation: int, total: int) -> None:
        """Anchors every ``total / WALK_ANCHORS`` rows, a few per session call, until the end of the list
        (or a reload): after it, a jump anywhere skips at most half that many keys."""
        console = self.console
        assert console.project is not None
        registry, spec, scope = console.project.registry, self.spec, console.scope
        every = max(PAGE, total // WALK_ANCHORS)
        start: tuple[int, Any] | None = None
        while generation == self.state.generation:
            found = await console.db(paging.walk_anchors, registry, spec, scope, start, every, WALK_STEPS,
                                     quiet=True)
            if generation != self.state.generation:
                return
            self.cache.anchors.update(found)
            self.walked = max(found, default=self.walked)
            if len(found) < WALK_STEPS + (1 if start is None else 0):
                return
            last = max(found)
            start = (last, found[last])

    def when_counted(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or once the row count is known (a jump to the end needs it)."""
        if self.state.total is None or self.state.counting:
            self._deferred = action
        else:
            action()

    def _resize(self) -> None:
        total = self.state.total or 0
        width = sum(self._widths) + GAP * len(self._widths)
        self.virtual_size = Size(width, total + 1)

    @property
    def body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _visible_pages(self) -> range:
        top = int(self.scroll_y)
        return range(top // PAGE, (top + self.body_height) // PAGE + 1)

    def _request(self, index: int) -> None:
        total = self.state.total
        if total is None or self.state.counting or index * PAGE >= max(total, 1):
            return
        key = (self.state.generation, index)
        if key in self._inflight or self.cache.get(index) is not None:
            return
        self._inflight.add(key)
        self.run_worker(self._fetch(index, self.state.generation), group="pages", exit_on_error=False)

    async def _fetch(self, index: int, generation: int) -> None:
        console = self.console
        try:
            if generation != self.state.generation or index not in self._visible_pages():
                return  # scrolled away before our turn came
            assert console.project is not None
            registry, scope, spec, total = console.project.registry, console.scope, self.spec, self.state.total or 0
            before = self.cache.get(index - 1)
            after = self.cache.get(index + 1)
            if before and len(before) == PAGE:
                rows = await console.db(paging.page_after, registry, spec, scope, before[-1].key, PAGE)
            elif after and index >= 0:
                rows = await console.db(paging.page_before, registry, spec, scope, after[0].key, PAGE)
            else:
                if (spec.order and not self.cache.indexed and not paging.indexed_order(spec)
                        and self.cache.distance(index * PAGE, total) > ANCHOR_INDEX_DISTANCE):
                    self.indexing = True
                    self.refresh()
                    try:
                        anchors = await console.db(paging.anchor_index, registry, spec, scope)
                    finally:
                        self.indexing = False
                    if generation != self.state.generation:
                        return
                    self.cache.anchors.update(anchors)
                    self.cache.indexed = True
                rows = await console.db(paging.page_at, registry, spec, scope, index * PAGE, PAGE, total,
                                        dict(self.cache.anchors))
            if generation != self.state.generation:
                return
            self.cache.put(index, rows)
            self._fit_widths(rows)
            self.fetches += 1
            self.refresh()
        finally:
            self._inflight.discard((generation, index))

    # -- rendering -----------------------------------------------------------
    def render_lines(self, crop: Any) -> list[Strip]:
        if self.state.total is not None:
            for index in self._visible_pages():
                self._request(index)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            return self._header().crop_extend(scroll_x, scroll_x + width, None)
        position = int(self.scroll_y) + y - 1
        total = self.state.total
        if total is None:
            message = f"cannot show the rows: {self.state.error}" if self.state.error else "counting rows…"
            text = Text(message if y == 1 else "", style=self.get_component_rich_style(
                "object-table--placeholder"))
            return Strip(list(text.render(self.app.console))).crop_extend(0, width, None)
        if position >= total:
            if total == 0 and y == 1:
                empty = Text("no rows" + (" match the filter" if self.spec.filter_text else ""),
                             style=self.get_component_rich_style("object-table--placeholder"))
                return Strip(list(empty.render(self.app.console))).crop_extend(0, width, None)
            return Strip.blank(width)
        row = self.cache.row(position)
        if row is None and self.indexing and y == 1:
            note = Text(f"indexing {self.spec.order} for a jump to row {position + 1:,}… (ctrl+x cancels)",
                        style=self.get_component_rich_style("object-table--placeholder"))
            return Strip(list(note.render(self.app.console))).crop_extend(0, width, None)
        strip = self._row_strip(row, position)
        return strip.crop_extend(scroll_x, scroll_x + width, None)

    def _cells_text(self, cells: list[tuple[str, Style | None]]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for (text, style), w in zip(cells, self._widths, strict=False):
            shown = text if len(text) <= w else text[: max(0, w - 1)] + "…"
            line.append(shown.ljust(w) + " " * GAP, style=style)
        return line

    def _header(self) -> Strip:
        header_style = self.get_component_rich_style("object-table--header")
        col_cursor = self.get_component_rich_style("object-table--column-cursor")
        cells: list[tuple[str, Style | None]] = []
        order = self.spec.order or "pk"
        for i, col in enumerate(self.columns):
            arrow = ""
            if col.name == order or (order == "pk" and col.kind == "pk" and i == 0):
                arrow = " ↓" if self.spec.descending else " ↑"
            cells.append((col.title + arrow, col_cursor if i == self.cursor_column and self.has_focus else None))
        text = self._cells_text(cells)
        text.stylize(header_style)
        return self._strip(text, header_style)

    def _row_strip(self, row: Row | None, position: int) -> Strip:
        base = Style()
        if position == self.cursor_row:
            base = self.get_component_rich_style("object-table--cursor")
        if row is None:
            text = self._cells_text([("…", self.get_component_rich_style("object-table--placeholder"))])
            text.stylize(base)
            return self._strip(text, base)
        # On the cursor row only a foreign cell keeps its own style (laid over the cursor's): the mark of
        # another tenant's row must stay visible where the user is looking.
        null = None if position == self.cursor_row else self.get_component_rich_style("object-table--null")
        foreign = self.get_component_rich_style("object-table--foreign")
        cells = [(c.text, foreign if c.foreign else (null if c.null else None)) for c in row.cells]
        text = self._cells_text(cells)
        text.stylize_before(base)
        return self._strip(text, base)

    def _strip(self, text: Text, fill: Style) -> Strip:
        segments = [s for s in text.render(self.app.console) if s.text != "\n"]
        total_width = self.virtual_size.width
        strip = Strip(segments)
        if strip.cell_length < total_width:
            strip = Strip([*segments, Segment(" " * (total_width - strip.cell_length), fill)])
        return strip

    # -- movement ------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return self.state.total or 0

    def move_to(self, position: int) -> None:
        """Put the cursor on ``position`` and scroll it into view (the jump behind G, :row)."""
        if not self.row_count:
            return
        position = max(0, min(self.row_count - 1, position))
        self.cursor_row = position
        top = int(self.scroll_y)
        h = self.body_height
        if position < top:
            self.scroll_to(y=position, animate=False)
        elif position >= top + h:
            self.scroll_to(y=position - h + 1, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor_row + delta)

    def action_page(self, delta: int) -> None:
        h = self.body_height
        self.scroll_to(y=max(0, int(self.scroll_y) + delta * h), animate=False)
        self.move_to(self.cursor_row + delta * h)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.when_counted(lambda: self.move_to(self.row_count - 1))

    def action_column(self, delta: int) -> None:
        self.cursor_column = max(0, min(len(self.columns) - 1, self.cursor_column + delta))
        left = sum(self._widths[: self.cursor_column]) + GAP * self.cursor_column
        right = left + self._widths[self.cursor_column]
        width = self.scrollable_content_region.width
        if left < self.scroll_x:
            self.scroll_to(x=left, animate=False)
        elif right > self.scroll_x + width:
            self.scroll_to(x=right - width, animate=False)
        self.refresh()

    def action_sort(self) -> None:
        col = self.columns[self.cursor_column]
        if not col.sortable:
            self.notify(f"{col.name} cannot be sorted (text and JSON columns are not indexed).",
                        severity="warning")
            return
        name = None if col.kind == "pk" and self.cursor_column == 0 else col.name
        same = (self.spec.order or None) == name
        spec = replace(self.spec, order=name, descending=not self.spec.descending if same else False)
        self.reload(spec)
        self.post_message(self.SortChanged(self, spec))

    def action_open(self) -> None:
        row = self.cache.row(self.cursor_row)
        if row is None:
            self.notify("That row is still loading.", severity="warning")
            return
        self.post_message(self.Opened(self, row.pk))

    def current_row(self) -> Row | None:
        return self.cache.row(self.cursor_row)

    def watch_cursor_row(self) -> None:
        self.refresh()

    def watch_cursor_column(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- mouse ----------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = event.x + int(self.scroll_x)
            edge = 0
            for i, w in enumerate(self._widths):
                edge += w + GAP
                if x < edge:
                    self.cursor_column = i
                    self.action_sort()
                    return
            return
        position = int(self.scroll_y) + event.y - 1
        if position < self.row_count:
            if position == self.cursor_row and event.chain >= 2:
                self.action_open()
            self.cursor_row = position
