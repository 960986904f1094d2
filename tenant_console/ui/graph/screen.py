"""The graph browser: a related-object tree rooted at one object, and its closure summary.

Keys: Enter opens an object's detail (and expands a relation, or loads the
next page on "… N more"); space expands; ``r`` re-roots the tree on the object
under the cursor; ``m`` marks it for export (the marks live on the app, see
:mod:`.marks`); ``x`` exports it; ``s`` recomputes the summary.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from tenant_console.ui.graph import marks
from tenant_console.ui.graph.summary import SummaryPanel
from tenant_console.ui.graph.tree import PAGE_SIZE, GraphTree, ObjectData
from tenant_console.ui.screens.base import ConsoleScreen


class GraphScreen(ConsoleScreen):
    HELP = ("Everything that hangs off one object. Each object lists its relations with their kind and "
            "count; expanding a relation loads its objects a page at a time. Objects of another tenant are "
            "red and name their tenant; shared (unscoped) objects are marked as shared. The panel on the "
            "right walks the whole closure (what the object needs and what belongs to it) in the background.")
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back"),
        Binding("r", "reroot", "Re-root"),
        Binding("m", "mark", "Mark for export"),
        Binding("x", "export", "Export"),
        Binding("s", "summary", "Summary", show=False),
    ]
    DEFAULT_CSS = """
    GraphScreen #graph-body { height: 1fr; }
    """

    def __init__(self, model_label: str, pk: Any, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.model_label = model_label
        self.pk = pk
        self.page_size = page_size
        self.crumb = f"graph {model_label} #{pk}"

    @property
    def reference(self) -> dict[str, Any] | None:
        scope = self.console.scope
        return scope.pks() if scope.is_active else None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="graph-body"):
            yield GraphTree(self.model_label, self.pk, reference=self.reference, page_size=self.page_size,
                            id="graph-tree")
            yield SummaryPanel(id="graph-summary")

    @property
    def tree(self) -> GraphTree:  # type: ignore[override]  # DOMNode.tree is a debugging aid; ours is the widget
        return self.query_one(GraphTree)

    @property
    def summary(self) -> SummaryPanel:
        return self.query_one(SummaryPanel)

    def on_mount(self) -> None:
        self.tree.focus()

    @on(GraphTree.RootLoaded)
    def _root_loaded(self, event: GraphTree.RootLoaded) -> None:
        self.summary.compute(self.model_label, self.pk, self.tree.reference)

    @on(GraphTree.OpenObject)
    def _open(self, event: GraphTree.OpenObject) -> None:
        self.console.open_object(event.model_label, event.pk)

    def _cursor_object(self) -> ObjectData | None:
        node = self.tree.cursor_node
        data = node.data if node is not None else None
        if not isinstance(data, ObjectData):
            self.notify("Put the cursor on an object first.", severity="warning")
            return None
        return data

    def action_reroot(self) -> None:
        data = self._cursor_object()
        if data is None or (data.model_label, str(data.pk)) == (self.model_label, str(self.pk)):
            return
        # re-rooting opens the graph of that object: the same rule as opening it (another tenant's: refused)
        self.console.when_allowed(lambda: self._reroot(data), [(data.model_label, data.pk)])

    def _reroot(self, data: ObjectData) -> None:
        if not self.is_attached:
            return
        self.model_label, self.pk = data.model_label, data.pk
        self.crumb = f"graph {data.model_label} #{data.pk}"
        self.summary.stop()
        self.tree.reroot(data.model_label, data.pk, self.reference)
        self.on_screen_resume()  # the breadcrumb changed

    def action_mark(self) -> None:
        data = self._cursor_object()
        if data is None:
            return
        label = data.item.label if data.item else ""
        now = marks.toggle(self.console, data.model_label, data.pk, label)
        self.tree.refresh_marks()
        count = len(marks.marked(self.console))
        self.notify(f"{'Marked' if now else 'Unmarked'} {data.model_label} #{data.pk} · {count} marked for export",
                    title="Export marks")

    def action_export(self) -> None:
        data = self._cursor_object()
        if data is not None:
            self.console.action_export_object(data.model_label, data.pk)

    def action_summary(self) -> None:
        self.summary.compute(self.model_label, self.pk, self.tree.reference)
