"""One object with every field; FKs are links that open the target, actions for later issues.

The object is fetched through the scoped queryset, so following a link to
another tenant's object says so instead of showing it.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tenant_console.core.browse.detail import FieldView, Link, ObjectView, object_view
from tenant_console.ui.screens.base import ConsoleScreen

NAME_WIDTH = 20  # the name column at least; it widens to the longest name of the object
MAX_NAME_WIDTH = 40  # a name longer than this puts its value on the next line


def name_width(fields: list[FieldView]) -> int:
    """The width of the name column: the longest name plus two spaces, between NAME_WIDTH and
    MAX_NAME_WIDTH, so that no name runs into its value."""
    longest = max((len(f.name) for f in fields), default=0)
    return max(NAME_WIDTH, min(MAX_NAME_WIDTH, longest + 2))


def field_prompt(f: FieldView, width: int = NAME_WIDTH) -> Any:
    """One field: its name in a column ``width`` wide, then its value; JSON and long text go below
    the name, and so does any value whose name is too long for the column (never run together)."""
    name = Text(f"{f.name:<{width}}", style="bold")
    if f.kind == "json":
        return Group(name, Syntax(f.text, "json", theme="ansi_dark", background_color="default",
                                  word_wrap=True))
    style = "dim italic" if f.null else ("underline cyan" if f.kind in ("fk", "generic") and f.links else "")
    if "⚠" in f.text:
        style = "bold yellow"
    if f.kind == "text":
        return Group(name, Text(f.text, style=style))
    if len(f.name) > width - 2:  # keep at least two spaces between a name and its value
        return Group(Text(f.name, style="bold"), Text(" " * width) + Text(f.text, style=style))
    return name + Text(f.text, style=style)


def link_prompt(link: Link) -> Text:
    text = Text("    → ", style="dim") + Text(f"{link.model} ", style="dim") + Text(link.label, style="underline cyan")
    if link.foreign:
        text.append("  ⚠ other tenant", style="bold yellow")
    return text


class ObjectDetailScreen(ConsoleScreen):
    HELP = ("Every field of one object: choices by their display value, JSON pretty-printed, long text "
            "wrapped. Enter on a foreign key (or a many-to-many entry) opens that object. From here you can "
            "open the object's related-object graph, export it, use it in the REPL, or delete it (d: preview first).")
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("g", "graph", "Graph"),
        Binding("x", "export", "Export"),
        Binding("p", "repl", "Use in REPL"),
        Binding("d", "delete", "Delete…"),
        Binding("c", "copy", "Copy value", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    ObjectDetailScreen #detail-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    ObjectDetailScreen #detail-fields { height: 1fr; border: none; }
    """

    def __init__(self, model_label: str, pk: Any) -> None:
        super().__init__()
        self.model_label = model_label
        self.pk = pk
        self.crumb = f"{model_label} #{pk}"
        self.view: ObjectView | None = None
        self._links: dict[str, Link] = {}
        self.loaded = 0  # completed loads (tests wait on this)

    def breadcrumb(self, before: ConsoleScreen | None) -> str:
        """``#12`` right after its own model's list; ``conference.Track #3`` after a followed link."""
        from tenant_console.ui.screens.objects import ObjectListScreen

        if isinstance(before, ObjectListScreen) and before.model_label == self.model_label:
            return f"#{self.pk}"
        return self.crumb

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.model_label} #{self.pk}", id="detail-title")
        yield OptionList(id="detail-fields")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load(), group="detail", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        console = self.console
        assert console.project is not None
        lst = self.query_one(OptionList)
        try:
            view = await console.db(object_view, console.project.registry, self.model_label, self.pk,
                                    console.scope)
        except Exception as exc:
            self.view = None
            lst.clear_options()
            lst.add_option(Option(Text(str(getattr(exc, "__cause__", None) or exc), style="bold red"),
                                  disabled=True))
            self.query_one("#detail-title", Static).update(f"{self.model_label} #{self.pk} — not available")
            self.loaded += 1
            raise
        self.view = view
        title = Text(f"{view.model} — {view.label}")
        if view.hidden_by:
            title.append(f"\n⚠ hidden by {view.hidden_by}: the project's own code (and {view.hidden_by} in the "
                         "REPL) does not see this row.", style="bold yellow")
        self.query_one("#detail-title", Static).update(title)
        lst.clear_options()
        self._links.clear()
        width = name_width(view.fields)
        for f in view.fields:
            oid = f"field:{f.name}"
            if f.kind in ("fk", "generic") and len(f.links) == 1:
                self._links[oid] = f.links[0]
            lst.add_option(Option(field_prompt(f, width), id=oid))
            if f.kind == "m2m":
                for i, link in enumerate(f.links):
                    lid = f"link:{f.name}:{i}"
                    self._links[lid] = link
                    lst.add_option(Option(link_prompt(link), id=lid))
        self.loaded += 1

    @on(OptionList.OptionSelected)
    def _follow(self, event: OptionList.OptionSelected) -> None:
        link = self._links.get(event.option.id or "")
        if link is None:
            return
        self.console.open_object(link.model, link.pk)

    def action_graph(self) -> None:
        self.console.action_open_graph(self.model_label, self.pk)

    def action_export(self) -> None:
        self.console.action_export_object(self.model_label, self.pk)

    def action_copy(self) -> None:
        """The highlighted field's value to the clipboard (OSC 52: works over SSH in most terminals)."""
        lst = self.query_one(OptionList)
        index = lst.highlighted if lst.highlighted is not None else 0
        option = lst.get_option_at_index(index) if lst.option_count else None
        oid = option.id if option is not None else None
        if self.view is None or not oid or not oid.startswith(("field:", "link:")):
            self.notify("Move to a field first.", severity="warning")
            return
        link = self._links.get(oid)
        if oid.startswith("link:") and link is not None:
            text, name = f"{link.model}.{link.pk}", oid.split(":")[1]
        else:
            name = oid.split(":", 1)[1]
            f = next(f for f in self.view.fields if f.name == name)
            text = "" if f.null else f.text
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {name}: {text[:60]}", title="Clipboard")

    def action_delete(self) -> None:
        self.console.open_screen("delete", model_label=self.model_label, pk=self.pk)

    def action_repl(self) -> None:
        self.console.action_repl_use(self.model_label, self.pk)
