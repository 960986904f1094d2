"""The related-object tree: objects, their relations with counts, and lazy keyset pages.

Shaped like Textual's ``DirectoryTree``: a node shows what it is at once;
its children are loaded only when it is expanded, in a worker that awaits the
console's session (never on the event loop), and a relation's objects come a
page at a time, with a "… N more" node that loads the next page when chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tenant_console.core.graph.browse import ObjectInfo, RelatedItem, RelationInfo, describe_object, page_of
from tenant_console.core.graph.classify import Classification
from tenant_console.ui.graph import marks

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp

PAGE_SIZE = 50


@dataclass
class ObjectData:
    model_label: str
    pk: Any
    item: RelatedItem | None = None
    tenant_text: str = ""
    loaded: bool = False
    tenant_marker: str = ""


@dataclass
class RelationData:
    owner: ObjectData
    info: RelationInfo
    after: Any = None
    shown: int = 0
    started: bool = False
    more: TreeNode[Any] | None = field(default=None, repr=False)


@dataclass
class MoreData:
    relation: TreeNode[Any] = field(repr=False)


def tenant_text(tenant: dict[str, Any] | None, labels: dict[str, dict[str, str]]) -> str:
    """``event: PyCon Nordic (pycon-nordic)`` for a row's tenant."""
    if not tenant:
        return ""
    parts = []
    for dim, pk in sorted(tenant.items()):
        parts.append(f"{dim}: {labels.get(dim, {}).get(str(pk)) or pk}")
    return ", ".join(parts)


def tenant_marker(tenant: dict[str, Any] | None, labels: dict[str, dict[str, str]]) -> str:
    """``event=PyCon Nordic (pycon-nordic)``: the compact form for a tree node's marker."""
    if not tenant:
        return "unknown"
    return ", ".join(f"{dim}={labels.get(dim, {}).get(str(pk)) or pk}" for dim, pk in sorted(tenant.items()))


#: Longest object label (title, name…) kept in a node, so markers after it stay on screen.
LABEL_WIDTH = 40


def object_label(data: ObjectData, marked: bool) -> Text:
    """``conference.Submission #12  Title…`` with its classification.

    Another tenant's object carries a textual marker right after its id ("⚠ other
    tenant: event=…"), not only red, so it shows without colour (monochrome
    terminals, screen readers, a pasted screenshot); the object's own label comes
    after it, shortened, so the marker is not clipped off the right edge.
    """
    item = data.item
    text = Text()
    if marked:
        text.append("● ", style="bold green")
    text.append(f"{data.model_label} #{data.pk}", style="bold")
    other = item is not None and item.classification is Classification.OTHER
    if other:
        text.append("  ")
        text.append(f"⚠ other tenant: {data.tenant_marker or data.tenant_text or 'unknown'}",
                    style="bold reverse red")
    if item is not None and item.label and item.label != f"{item.model_label.split('.')[1]} #{item.pk}":
        label = item.label if len(item.label) <= LABEL_WIDTH else item.label[:LABEL_WIDTH - 1] + "…"
        text.append(f"  {label}")
    if item is None:
        return text
    if other:
        text.stylize_before("bold red")  # the whole node red, under the marker's own style
    elif item.classification is Classification.SHARED:
        text.append("  · shared", style="dim italic")
    elif item.classification is Classification.UNASSIGNED:
        text.append("  · no tenant", style="yellow")
    return text


def relation_label(info: RelationInfo) -> Text:
    kind = info.kind.replace("_", " ")
    text = Text(info.name, style="bold cyan" if info.count else "dim")
    text.append(f"  {kind} → {info.target_label}", style="dim")
    text.append(f"  {info.count:,}", style="bold" if info.count else "dim")
    return text


class GraphTree(Tree[Any]):
    """A tree rooted at one object. ``loads`` counts completed background loads (tests wait on it)."""

    BINDINGS: ClassVar = [
        Binding("enter", "select_cursor", "Open / expand", show=False),
        Binding("space", "toggle_node", "Expand", show=True),
    ]
    DEFAULT_CSS = """
    GraphTree { height: 1fr; background: $surface; }
    """

    class OpenObject(Message):
        """Enter on an object node: the screen opens its detail."""

        def __init__(self, model_label: str, pk: Any) -> None:
            super().__init__()
            self.model_label = model_label
            self.pk = pk

    class RootLoaded(Message):
        def __init__(self, info: ObjectInfo) -> None:
            super().__init__()
            self.info = info

    def __init__(self, model_label: str, pk: Any, *, reference: dict[str, Any] | None = None,
                 page_size: int = PAGE_SIZE, id: str | None = None) -> None:
        super().__init__(Text(f"{model_label} #{pk}"), ObjectData(model_label, pk), id=id)
        self.auto_expand = False
        self.show_root = True
        self.reference = reference
        self.page_size = page_size
        self.loads = 0
        self.generation = 0  # bumped on re-rooting; loads for an old tree are dropped

    @property
    def console(self) -> TenantConsoleApp:
        return cast("TenantConsoleApp", self.app)

    def on_mount(self) -> None:
        self.root.expand()

    # -- re-rooting -----------------------------------------------------------------
    def reroot(self, model_label: str, pk: Any, reference: dict[str, Any] | None) -> None:
        self.reference = reference
        self.generation += 1
        self.reset(Text(f"{model_label} #{pk}"), ObjectData(model_label, pk))
        self.root.expand()

    # -- loading --------------------------------------------------------------------
    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, ObjectData) and not data.loaded:
            data.loaded = True
            self.run_worker(self._load_object(event.node), group="graph-load", exit_on_error=False)
        elif isinstance(data, RelationData) and not data.started:
            data.started = True
            self.run_worker(self._load_page(event.node), group="graph-load", exit_on_error=False)

    def _on_tree_node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, ObjectData):
            self.post_message(self.OpenObject(data.model_label, data.pk))
        elif isinstance(data, RelationData):
            event.node.toggle()
        elif isinstance(data, MoreData):
            self.load_more(event.node)

    def load_more(self, more_node: TreeNode[Any]) -> None:
        data = more_node.data
        if not isinstance(data, MoreData):
            return
        more_node.set_label(Text("… loading", style="italic dim"))
        more_node.data = None  # a second Enter while loading does nothing
        self.run_worker(self._load_page(data.relation), group="graph-load", exit_on_error=False)

    async def _load_object(self, node: TreeNode[Any]) -> None:
        data = cast(ObjectData, node.data)
        console = self.console
        assert console.project is not None and console.session is not None
        generation = self.generation
        try:
            info = await console.db(describe_object, console.project.registry, data.model_label, data.pk,
                                    console.session.alias, self.reference, scoped=False)
            if generation != self.generation:
                return  # the tree was re-rooted meanwhile
        except Exception:
            data.loaded = False
            node.set_label(Text(f"{data.model_label} #{data.pk}  (not available)", style="red"))
            self.loads += 1
            raise
        data.item = info.item
        data.tenant_text = tenant_text(info.item.tenant, info.tenant_labels)
        data.tenant_marker = tenant_marker(info.item.tenant, info.tenant_labels)
        node.set_label(object_label(data, marks.is_marked(console, data.model_label, data.pk)))
        for rel in info.relations:
            rel_data = RelationData(owner=data, info=rel)
            node.add(relation_label(rel), rel_data, allow_expand=rel.count > 0)
        if node is self.root:
            if self.reference is None:  # no active scope: relative to the root's tenant
                self.reference = dict(info.item.tenant or {})
            self.post_message(self.RootLoaded(info))
        self.loads += 1

    async def _load_page(self, rel_node: TreeNode[Any]) -> None:
        data = cast(RelationData, rel_node.data)
        console = self.console
        assert console.project is not None and console.session is not None
        generation = self.generation
        try:
            page, labels = await console.db(page_of, console.project.registry, data.owner.model_label,
                                            data.owner.pk, data.info.name, console.session.alias,
                                            after_pk=data.after, limit=self.page_size,
                                            reference=self.reference or {}, scoped=False)
            if generation != self.generation:
                return  # the tree was re-rooted meanwhile
        except Exception:
            if data.more is not None:
                data.more.set_label(Text("… failed; choose to retry", style="red"))
                data.more.data = MoreData(rel_node)
            else:
                data.started = False
            self.loads += 1
            raise
        if data.more is not None:
            data.more.remove()
            data.more = None
        for item in page.items:
            child = ObjectData(item.model_label, item.pk, item, tenant_text(item.tenant, labels), loaded=False,
                               tenant_marker=tenant_marker(item.tenant, labels))
            rel_node.add(object_label(child, marks.is_marked(console, child.model_label, child.pk)), child)
        data.shown += len(page.items)
        data.after = page.next_after
        if page.next_after is not None:
            remaining = max(data.info.count - data.shown, 0)
            text = Text(f"… {remaining:,} more" if remaining else "… more", style="italic")
            data.more = rel_node.add_leaf(text, MoreData(rel_node))
        self.loads += 1

    def refresh_marks(self) -> None:
        """Redraw object labels after marking."""
        console = self.console

        def walk(node: TreeNode[Any]) -> None:
            if isinstance(node.data, ObjectData) and node.data.item is not None:
                node.set_label(object_label(node.data, marks.is_marked(console, node.data.model_label,
                                                                       node.data.pk)))
            for child in node.children:
                walk(child)

        walk(self.root)
