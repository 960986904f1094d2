"""The model browser: every model by app, scoped or shared, with its row count in the scope.

Counts are asked for one model at a time in a background worker and filled in
as they arrive; a scope change cancels the running round and starts a new one.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tenant_console.core.browse.catalog import ModelInfo, catalog
from tenant_console.core.browse.counts import count_model_and_default
from tenant_console.core.scope import ScopeState
from tenant_console.ui.screens.base import ConsoleScreen

PENDING = "…"


def column_widths(infos: list[ModelInfo]) -> tuple[int, int]:
    """The widths of the name and scope columns: the longest of each plus two spaces, so that a
    long model name (GlobalSettings_SettingsStore) never runs into its scope; at least 28 and 34."""
    name = max((len(i.name) for i in infos), default=0) + 2
    scope = max((len(i.scope_text()) for i in infos), default=0) + 2
    return max(name, 28), max(scope, 34)


def model_prompt(info: ModelInfo, count: int | str | None, widths: tuple[int, int] = (28, 34),
                 through_default: str = "") -> Text:
    if count is None:
        shown = Text("needs tenant", style="dim italic")
    elif isinstance(count, str):
        shown = Text(count, style="dim")
    else:
        shown = Text(f"{count:,}", style="bold")
    scope_style = "magenta" if info.tenant_of else ("cyan" if info.scoped else "dim")
    line = Text("  ")
    name_width, scope_width = widths
    line.append(f"{info.name:<{name_width}}")
    line.append(f"{info.scope_text():<{scope_width}}", style=scope_style)
    line.append(" " * max(0, 14 - len(shown)))
    line.append_text(shown)
    if through_default:  # the project's default manager hides some of them (drafts)
        line.append(f"  {through_default}", style="yellow")
    return line


class ModelBrowser(ConsoleScreen):
    crumb = "Models"
    tenant_bound = "follow"  # recounts in the new scope
    HELP = ("Every model of the project, grouped by app. Scoped models show their dimension (and the path "
            "through which they are scoped); shared models are the same for every tenant. Counts are rows "
            "visible in the current scope, counted in the background. Enter opens a model; / filters the list, "
            "and Enter in the filter opens the best match.")
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/", priority=True),  # type-ahead (see app.on_event)
        Binding("escape", "back", "Back", show=False),
        Binding("r", "recount", "Recount"),
    ]
    DEFAULT_CSS = """
    ModelBrowser #model-filter { display: none; margin: 0 1; }
    ModelBrowser #model-filter.-shown { display: block; }
    ModelBrowser #model-list { height: 1fr; border: none; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.infos: list[ModelInfo] = []
        self.widths = (28, 34)  # name and scope columns, from the project's longest (on mount)
        self.counts: dict[str, int | str | None] = {}
        #: "72 through objects" where the project's default manager shows fewer of the tenant's rows.
        self.through_default: dict[str, str] = {}
        self.rounds = 0  # completed counting rounds (tests wait on this)
        self.counted_scope: ScopeState | None = None  # the scope of the last completed round
        self._resumed = asyncio.Event()

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter models by name or app…", id="model-filter")
        yield OptionList(id="model-list")

    def on_mount(self) -> None:
        project = self.console.project
        if project is None:
            return
        self.infos = catalog(project.registry)
        self.widths = column_widths(self.infos)
        self._rebuild("")
        self.query_one("#model-list", OptionList).focus()
        self.action_recount()

    def _rebuild(self, text: str) -> None:
        lst = self.query_one("#model-list", OptionList)
        old = lst.highlighted_option.id if lst.highlighted_option else None
        lst.clear_options()
        text = text.lower().strip()
        app_label = None
        for info in self.infos:
            if text and text not in info.label.lower():
                continue
            if info.app_label != app_label:
                app_label = info.app_label
                lst.add_option(Option(Text(app_label, style="bold underline"), disabled=True))
            lst.add_option(Option(model_prompt(info, self.counts.get(info.label, PENDING), self.widths,
                                               self.through_default.get(info.label, "")),
                                  id=info.label))
        best = self._best_match(text) if text else old
        if best:
            try:
                lst.highlighted = lst.get_option_index(best)
            except Exception:
                pass
        if lst.highlighted is None and lst.option_count:
            lst.action_first()

    def _best_match(self, text: str) -> str | None:
        """The model Enter opens while filtering: an exact name, else a name that starts with the
        text, else the first match in the list's order."""
        matches = [i for i in self.infos if text in i.label.lower()]
        for test in (lambda i: i.name.lower() == text or i.label.lower() == text,
                     lambda i: i.name.lower().startswith(text),
                     lambda i: True):
            for i in matches:
                if test(i):
                    return i.label
        return None

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._resumed.set()

    def on_screen_suspend(self) -> None:
        self._resumed.clear()

    def tenant_changed(self, scope: ScopeState) -> None:
        self.action_recount()

    def action_recount(self) -> None:
        self.counts = {}
        self._rebuild(self.query_one("#model-filter", Input).value)
        self.run_worker(self._count_all(), group="counts", exclusive=True, exit_on_error=False)

    async def _count_all(self) -> None:
        console = self.console
        if console.project is None:
            return
        scope = console.scope
        lst = self.query_one("#model-list", OptionList)
        for info in self.infos:
            await self._resumed.wait()  # the screen in front gets the session first
            through = ""
            try:
                count: int | str | None
                count, default, manager = await console.db(count_model_and_default, console.project.registry,
                                                           info.label, scope, quiet=True)
                if default is not None and default != count:
                    through = f"{default:,} through {manager}"
            except Exception:
                count = "error"
            self.counts[info.label] = count
            self.through_default[info.label] = through
            try:
                lst.replace_option_prompt(info.label, model_prompt(info, count, self.widths, through))
            except Exception:
                pass  # filtered out of the list right now
        self.rounds += 1
        self.counted_scope = scope

    def action_filter(self) -> None:
        box = self.query_one("#model-filter", Input)
        box.add_class("-shown")
        self.set_focus(box)  # now: the keys typed next go there

    @on(Input.Changed, "#model-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._rebuild(event.value)

    @on(Input.Submitted, "#model-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        """Enter in the filter opens the highlighted model (the best match) at once."""
        lst = self.query_one("#model-list", OptionList)
        lst.focus()
        if not event.value.strip():
            return
        option = lst.highlighted_option
        if option is not None and option.id:
            self.console.open_model(option.id)
        else:
            self.notify(f"No model matches {event.value.strip()!r}.", severity="warning")

    def action_back(self) -> None:
        box = self.query_one("#model-filter", Input)
        if box.has_class("-shown"):
            box.value = ""
            box.remove_class("-shown")
            self.query_one("#model-list", OptionList).focus()
            return
        super().action_back()

    @on(OptionList.OptionSelected, "#model-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.console.open_model(event.option.id)
