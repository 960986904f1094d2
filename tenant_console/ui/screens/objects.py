"""One model's objects in the current scope: filter line, virtual table, status line."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from tenant_console.core.browse import filters
from tenant_console.core.browse.catalog import get_model, info
from tenant_console.core.browse.paging import ListSpec
from tenant_console.core.browse.rows import columns
from tenant_console.core.plural import counted
from tenant_console.core.scope import ScopeState
from tenant_console.ui.screens.base import ConsoleScreen
from tenant_console.ui.widgets.history_input import HistoryInput, remember
from tenant_console.ui.widgets.object_table import ObjectTable


class ObjectListScreen(ConsoleScreen):
    tenant_bound = "follow"  # the same model and filter, re-read in the new scope
    HELP = ("The objects of one model in the current scope. The table is virtual: only the rows on screen "
            "are fetched (keyset pages), so a million rows open as fast as ten. The filter line takes Django "
            "lookups (field=value, field__lookup=value, field!=value, __in=a,b, __isnull=yes) and plain "
            "words, which must appear in some text column. Move between columns with ←/→ and sort with s "
            "(again to reverse). :row N or :row 50% jumps anywhere. esc clears the filter first, then goes back.")
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/", priority=True),  # type-ahead (see app.on_event)
        Binding("escape", "back", "Back"),
        Binding("c", "copy_cell", "Copy", show=False),
        Binding("C", "copy_row", "Copy row", show=False),
        Binding("d", "delete_row", "Delete…"),
        Binding("D", "delete_filtered", "Delete all…", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    ObjectListScreen #object-filter { margin: 0 0; border: tall $primary-darken-2; }
    ObjectListScreen #object-filter:focus { border: tall $accent; }
    ObjectListScreen #object-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, model_label: str, filter_text: str = "") -> None:
        super().__init__()
        self.model_label = model_label
        self.crumb = model_label
        self.model = get_model(model_label)
        self.spec = ListSpec(model_label, filter_text=filter_text)
        #: ``(rows, manager)``: how many of the counted rows the project's default manager hides, once known.
        self.hidden: tuple[int, str] | None = None

    def compose_body(self) -> ComposeResult:
        from tenant_console.core.browse.filters import example

        yield HistoryInput(self.spec.filter_text, placeholder=f"/ filter: {example(self.model)}  (esc clears)",
                           id="object-filter",
                           history=self.console.histories["filter"])
        yield ObjectTable(self.spec, columns(self.model), id="object-table")
        yield Static("", id="object-status")

    @property
    def table(self) -> ObjectTable:
        return self.query_one(ObjectTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.table.reload()
        self._status()

    def tenant_changed(self, scope: ScopeState) -> None:
        self.table.reload()
        self._status()

    def _status(self, total: int | None = None) -> None:
        project = self.console.project
        where = info(project.registry, self.model).scope_text() if project else ""
        spec = self.table.spec
        order = f"{spec.order or 'pk'} {'↓' if spec.descending else '↑'}"
        if total is None:
            self.hidden = None
        count = "counting…" if total is None else counted(total, "row")
        if total is not None and self.hidden is not None:
            count += f" ({self.hidden[0]:,} hidden by {self.hidden[1]})"
        flt = f" · filter: {spec.filter_text}" if spec.filter_text else ""
        self.query_one("#object-status", Static).update(f"{self.model_label} ({where}) · {count} · "
                                                        f"order {order}{flt}")

    @on(ObjectTable.Counted)
    def _counted(self, event: ObjectTable.Counted) -> None:
        self.hidden = None
        self._status(event.total)
        self.run_worker(self._count_hidden(self.table.spec, event.total), group="hidden", exclusive=True,
                        exit_on_error=False)

    async def _count_hidden(self, spec: ListSpec, total: int) -> None:
        """What the project's own code sees of the list (``Submission.objects`` hides drafts), counted on the
        session thread after the list's own count, only where the default manager may hide rows."""
        from tenant_console.core.browse.counts import list_through_default_manager

        console = self.console
        if console.project is None:
            return
        try:
            found = await console.db(list_through_default_manager, console.project.registry, spec, console.scope,
                                     quiet=True)
        except Exception:
            return  # the list and its count stand; only the remark is missing
        if found is None or spec != self.table.spec or found[0] >= total:
            return
        self.hidden = (total - found[0], found[1])
        self._status(total)

    @on(ObjectTable.SortChanged)
    def _sorted(self, event: ObjectTable.SortChanged) -> None:
        self._status()

    @on(ObjectTable.Opened)
    def _opened(self, event: ObjectTable.Opened) -> None:
        self.console.open_object(self.model_label, event.pk)

    def action_filter(self) -> None:
        self.set_focus(self.query_one("#object-filter", Input))  # now: the keys typed next go there

    def apply_filter(self, text: str) -> None:
        """Check ``text`` (fields, lookups and values, compiled but not run), then reload with it.
        Typed or given with ``:filter``, it joins the filter history (↑ in the filter line)."""
        remember(self.console.histories["filter"], text)
        self.run_worker(self._apply_filter(text), group="filter", exclusive=True, exit_on_error=False)

    async def _apply_filter(self, text: str) -> None:
        try:
            notes = await self.console.db(filters.check, self.model_label, text, scoped=False, quiet=True)
        except Exception as exc:
            self.console.report(exc.__cause__ or exc, "Filter")
            self.query_one("#object-filter", Input).focus()
            return
        if notes:  # a choice matched by its label, or a value that is neither value nor label
            self.notify("\n".join(notes), title="Filter")
        self.query_one("#object-filter", Input).value = text
        self.table.reload(replace(self.table.spec, filter_text=text))
        self._status()
        self.table.focus()

    @on(Input.Submitted, "#object-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#object-filter", HistoryInput).reset_history()
        self.apply_filter(event.value)

    def action_copy_cell(self) -> None:
        """The value under the cursor to the clipboard (OSC 52: works over SSH in most terminals)."""
        row = self.table.current_row()
        if row is None:
            self.notify("Move to a row first.", severity="warning")
            return
        cell = row.cells[self.table.cursor_column]
        text = "" if cell.null else cell.text
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {self.table.columns[self.table.cursor_column].name}: {text[:60]}", title="Clipboard")

    def action_copy_row(self) -> None:
        """The row under the cursor, tab-separated with its column names, to the clipboard."""
        row = self.table.current_row()
        if row is None:
            self.notify("Move to a row first.", severity="warning")
            return
        names = "\t".join(c.name for c in self.table.columns)
        values = "\t".join("" if c.null else c.text for c in row.cells)
        self.app.copy_to_clipboard(f"{names}\n{values}")
        self.notify(f"Copied row #{row.pk} ({len(row.cells)} columns)", title="Clipboard")

    def action_delete_row(self) -> None:
        """The cascade preview of the row under the cursor (then a typed confirmation)."""
        row = self.table.current_row()
        if row is None:
            self.notify("Move to a row first.", severity="warning")
            return
        self.console.open_screen("delete", model_label=self.model_label, pk=row.pk)

    def action_delete_filtered(self) -> None:
        """The cascade preview of every row of this list (its filter), in the tenant."""
        self.console.open_screen("delete", filter_model=self.model_label, filter_text=self.table.spec.filter_text)

    def action_back(self) -> None:
        box = self.query_one("#object-filter", Input)
        if box.has_focus:
            if box.value != self.table.spec.filter_text:
                box.value = self.table.spec.filter_text
            elif box.value:
                self.apply_filter("")
            self.table.focus()
            return
        if self.table.spec.filter_text:  # a filtered list: esc clears the filter before it leaves the list
            self.apply_filter("")
            return
        super().action_back()

    def action_reload(self) -> None:
        self.table.reload()

    def goto(self, where: str) -> None:
        """``:row 900000``, ``:row 50%``, ``:row end`` (once the rows are counted)."""
        self.table.when_counted(lambda: self._goto(where))

    def _goto(self, where: str) -> None:
        total = self.table.row_count
        where = where.strip().lower()
        try:
            if where in ("end", "last", "$"):
                pos = total - 1
            elif where in ("", "top", "first", "0"):
                pos = 0
            elif where.endswith("%"):
                pos = int(total * float(where[:-1]) / 100)
            else:
                pos = int(where.replace(",", "").replace("_", "")) - 1
        except ValueError:
            self.notify(f"{where!r} is not a row number; use :row 1200, :row 50% or :row end.", severity="error")
            return
        self.table.move_to(pos)
