"""The tenant picker: one list per scope dimension, searched in the database as you type.

Searches are debounced and run on the session thread (``find_tenants``: an exact
pk and a prefix of the indexed slug first, then a trigram index or a scan for the
text inside the names; each dimension's title says which answered), so a million
tenants cost index reads per keystroke pause, never a full load. A keystroke
cancels the search still running for the text before it (dropped if queued,
cancelled on the database if running), so a slow scan never holds up the next
one. With an empty box, the recently used tenants of this project and database
come first; they are checked against the database in the same call (a re-seeded
database drops the ones that are gone and refreshes the labels of the rest).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tenant_console.core.browse.recent import RecentTenant, search_with_recent
from tenant_console.core.discovery import Dimension
from tenant_console.core.tenants import OwnerHit, TenantHit, TenantSearch, owners_by_slug
from tenant_console.ui.screens.base import ConsoleScreen

DEBOUNCE = 0.15
LIMIT = 30


@dataclass(frozen=True)
class Choice:
    dimension: str
    pk: Any
    label: str


def highlighted(label: str, text: str) -> Text:
    """``label`` with every case-insensitive occurrence of ``text`` highlighted."""
    out = Text(label)
    if text:
        out.highlight_words([text], style="bold reverse", case_sensitive=False)
    return out


class TenantPicker(ConsoleScreen):
    crumb = "Tenants"
    in_breadcrumbs = False
    tenant_bound = "follow"  # it is what switches; it closes itself once the tenant is active
    HELP = ("Choose the tenant whose data you want to see. Type part of a name or slug, or a primary key; "
            "the search runs in the database. Recently used tenants come first while the box is empty. "
            "Choosing a tenant activates its scope (and any dimension it implies). ↓ moves to the results; "
            "esc closes the picker, then :disable turns scopes off deliberately.")
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("down", "to_list", "Results", show=False),
    ]
    DEFAULT_CSS = """
    TenantPicker #picker-search { margin: 1 1 0 1; }
    TenantPicker .dimension-title { padding: 1 1 0 1; text-style: bold; }
    TenantPicker OptionList { height: 1fr; margin: 0 1; }
    """

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial
        self._timer: Timer | None = None
        self._choices: dict[str, Choice] = {}
        self.searches = 0  # completed searches (tests wait on this)
        self.searched_text: str | None = None  # the text of the last completed search
        self.first_search = asyncio.Event()  # set once the first search ended (the app waits on it)

    @property
    def dimensions(self) -> list[Dimension]:
        project = self.console.project
        return list(project.registry.dimensions.values()) if project else []

    def compose_body(self) -> ComposeResult:
        yield Input(self.initial, placeholder="Search tenants: name, slug or primary key…", id="picker-search")
        with Vertical(id="picker-lists"):
            for dim in self.dimensions:
                yield Static(self._title(dim), classes="dimension-title", id=f"title-{dim.name}")
                yield OptionList(id=f"dim-{dim.name}")

    @staticmethod
    def _title(dim: Dimension, found: TenantSearch | None = None) -> str:
        """``event — conference.Event  (search: slug, name, pk)``, and once text was searched, how the
        database found it (``· slug prefix (index)``)."""
        fields = ", ".join(dim.search_fields) or "pk only"
        how = f" · {found.describe()}" if found is not None and found.text else ""
        return f"{dim.name} — {dim.model_label}  [dim](search: {fields}, pk{escape(how)})[/dim]"

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#picker-search", Input))  # at once: type-ahead waits for it
        self.run_search()

    @on(Input.Changed, "#picker-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.searched_text != event.value:
            self.workers.cancel_group(self, "tenant-search")  # its text is gone: stop it on the database
        self._timer = self.set_timer(DEBOUNCE, self.run_search)

    @on(Input.Submitted, "#picker-search")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter chooses the first result *of the text in the box*: if that text has not been searched
        yet (typed faster than the debounce), it is searched first, so the highlight of an older list
        (a recent tenant, shown while the box was empty) is never what Enter activates."""
        if self._timer is not None:
            self._timer.stop()
        # its own group: a debounced search started after this must not cancel it
        self.run_worker(self._submit(event.value), group="tenant-submit", exclusive=True, exit_on_error=False)

    async def _submit(self, text: str) -> None:
        if self.searched_text != text:
            self.workers.cancel_group(self, "tenant-search")
            await self._search(text)
        if self.query_one("#picker-search", Input).value != text:
            return  # typed on meanwhile: the next Enter decides
        for dim in self.dimensions:
            lst = self.query_one(f"#dim-{dim.name}", OptionList)
            if lst.option_count:
                option = lst.get_option_at_index(lst.highlighted or 0)
                if option.id:
                    self.choose(option.id)
                return

    def run_search(self) -> None:
        text = self.query_one("#picker-search", Input).value
        self.run_worker(self._search(text), group="tenant-search", exclusive=True, exit_on_error=False)

    async def _search(self, text: str) -> None:
        try:
            await self._search_dimensions(text)
        finally:
            self.first_search.set()

    async def _search_dimensions(self, text: str) -> None:
        console = self.console
        project = console.project
        if project is None or console.session is None:
            return
        for dim in self.dimensions:
            remembered = console.recent.get(dim.name) if console.recent and not text.strip() else []
            found: TenantSearch
            recent: list[RecentTenant]
            found, recent = await console.db(search_with_recent, dim, text, LIMIT, console.session.alias,
                                             remembered, scoped=False, cancel_if_abandoned=True)
            if console.recent is not None and remembered and recent != remembered:
                console.recent.replace(dim.name, recent)  # forget what the database no longer has
            owners: list[OwnerHit] = []
            if text.strip() and not found.hits and not recent:
                # The text may name a row inside a tenant (pretix: an event's slug): offer its tenant.
                try:
                    owners = await console.db(owners_by_slug, project.registry, dim, text, console.session.alias,
                                              scoped=False, cancel_if_abandoned=True)
                except Exception:  # only a hint: a model the query cannot read must not break the search
                    owners = []
            self._fill(dim, text.strip(), found.hits, recent, owners)
            self.query_one(f"#title-{dim.name}", Static).update(self._title(dim, found))
        self.searches += 1
        self.searched_text = text

    def _fill(self, dim: Dimension, text: str, hits: list[TenantHit], recent: list[RecentTenant],
              owners: list[OwnerHit] | None = None) -> None:
        lst = self.query_one(f"#dim-{dim.name}", OptionList)
        lst.clear_options()
        options: list[Option] = []
        seen: set[str] = set()
        for r in recent:
            oid = f"{dim.name}:{r.pk}"
            seen.add(oid)
            self._choices[oid] = Choice(dim.name, r.pk, r.label)
            prompt = Text("★ ", style="yellow") + Text(r.label) + Text(f"   #{r.pk} · recent", style="dim")
            options.append(Option(prompt, id=oid))
        for hit in hits:
            oid = f"{dim.name}:{hit.pk}"
            if oid in seen:
                continue
            seen.add(oid)
            self._choices[oid] = Choice(dim.name, hit.pk, hit.label)
            prompt = highlighted(hit.label, text) + Text(f"   #{hit.pk}", style="dim")
            options.append(Option(prompt, id=oid))
        if not options:
            for owner in owners or []:
                oid = f"{dim.name}:{owner.tenant.pk}"
                if oid in seen:
                    continue
                seen.add(oid)
                self._choices[oid] = Choice(dim.name, owner.tenant.pk, owner.tenant.label)
                prompt = Text(f"{owner.describe()}: ⏎ picks it") + Text(f"   #{owner.tenant.pk}", style="dim")
                options.append(Option(prompt, id=oid))
            # (after them: the first option is the one enter takes)
            options.append(Option(Text(f"No {dim.model_label} matches {text!r}.", style="italic"), disabled=True))
        lst.add_options(options)
        if lst.option_count:
            lst.highlighted = 0

    def action_to_list(self) -> None:
        for dim in self.dimensions:
            lst = self.query_one(f"#dim-{dim.name}", OptionList)
            if lst.option_count:
                lst.focus()
                return

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.choose(event.option.id)

    def choose(self, option_id: str) -> None:
        """Activate a listed tenant. The switch runs on the app (it may close screens, this one too)."""
        choice = self._choices.get(option_id)
        if choice is None:
            return
        self.console.choose_tenant(choice.dimension, choice.pk, choice.label)
