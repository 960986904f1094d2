"""The scope banner: which tenant, which database, read-only or not, where you are.

It sits at the top of every screen because the fear it answers, "am I looking
at (or about to change) the wrong tenant's data?", applies on every screen. It
turns red while scopes are disabled and yellow while no tenant is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widgets import Static

from tenant_console.core.scope import ScopeState

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


def scope_text(scope: ScopeState, has_dimensions: bool) -> str:
    if scope.disabled:
        return "⚠ SCOPES DISABLED — every tenant's rows are visible"
    if not scope.tenants:
        return "no tenant chosen (t to pick one)" if has_dimensions else "no scope dimensions (unscoped project)"
    return "  ".join(f"{t.dimension}: {t.label}" for t in scope.tenants)


def short_scope_text(scope: ScopeState, has_dimensions: bool) -> str:
    """The scope for a narrow terminal: the tenants' labels without their dimension names."""
    if scope.disabled:
        return "⚠ SCOPES DISABLED"
    if not scope.tenants:
        return "no tenant (t picks)" if has_dimensions else "unscoped project"
    return "  ".join(t.label for t in scope.tenants)


SEP = "  │  "
BUSY = "⏳ working… ctrl+x cancels"


def banner_line(*, scope: str, short_scope: str, database: str, state: str, state_style: str,
                crumbs: list[str], busy: bool, width: int, short_state: str = "") -> Text:
    """The banner's one line, fitted to ``width`` cells by giving up the least important first.

    The scope and the read-only state are what the banner is for, so they stay at every width
    (the scope shortened, then cut, only when nothing else is left to give up). Then comes the
    last breadcrumb (where you are), then the earlier crumbs, the database label and the busy hint
    (shortened to ⏳). The order of giving up: the busy hint's words, the database label, earlier
    crumbs (fit_crumbs drops them from the left), the separators' padding, the scope's dimension
    names, the last crumb, and finally the end of the scope text. ``short_state`` (``READ-ONLY``
    for ``READ-ONLY (enforced by the server)``) replaces ``state`` once the database label is gone.
    """
    short_state = short_state or state
    busy_variants = [BUSY, "⏳ ctrl+x"] if busy else [""]
    db_variants = [database, ""] if database else [""]

    def build(scope_part: str, db: str, crumb_text: str, busy_part: str, sep: str, state: str = state) -> Text:
        text = Text()
        text.append(scope_part, style="bold")
        if db:
            text.append(sep)
            text.append(db)
        text.append(sep)
        text.append(state, style=state_style)
        if crumb_text:
            text.append(sep)
            text.append(crumb_text, style="italic")
        if busy_part:
            text.append(sep)
            text.append(busy_part)
        return text

    def fixed_len(scope_part: str, db: str, busy_part: str, sep: str, state: str = state) -> int:
        return build(scope_part, db, "", busy_part, sep, state).cell_len + (len(sep) if crumbs else 0)

    last = "… › " + crumbs[-1] if len(crumbs) > 1 else (crumbs[-1] if crumbs else "")
    # Try, from the richest to the barest, for a line where at least the last crumb fits whole.
    tiers = [(SEP, scope, state, db_variants), (SEP, scope, short_state, [""]),
             (" │ ", scope, short_state, [""]), (" │ ", short_scope, short_state, [""])]
    for sep, scope_part, state_part, dbs in tiers:
        for db in dbs:
            for busy_part in busy_variants:
                room = width - fixed_len(scope_part, db, busy_part, sep, state_part)
                if not crumbs and room >= 0:
                    return build(scope_part, db, "", busy_part, sep, state_part)
                if crumbs and room >= len(last):
                    return build(scope_part, db, fit_crumbs(crumbs, room), busy_part, sep, state_part)
    # Too narrow for the last crumb: scope and state first, the crumb cut into what is left.
    sep, busy_part = " │ ", busy_variants[-1]
    room = width - fixed_len(short_scope, "", busy_part, sep, short_state)
    if crumbs and room >= 8:
        return build(short_scope, "", fit_crumbs(crumbs, room), busy_part, sep, short_state)
    tail = sep + short_state + (sep + busy_part if busy_part else "")
    scope_room = width - Text(tail).cell_len
    scope_part = short_scope
    if Text(scope_part).cell_len > scope_room:
        scope_part = scope_part[: max(scope_room - 1, 1)] + "…"
    return build(scope_part, "", "", busy_part, sep, short_state)

class ScopeBanner(Static):
    DEFAULT_CSS = """
    ScopeBanner {
        dock: top;
        height: 1;
        background: $primary-darken-2;
        color: $text;
        padding: 0 1;
    }
    ScopeBanner.-none { background: $warning-darken-3; }
    ScopeBanner.-disabled { background: $error; color: white; text-style: bold; }
    """

    def on_mount(self) -> None:
        app = self.app
        self.watch(app, "scope", self._refresh_banner, init=False)
        self.watch(app, "busy", self._refresh_banner, init=False)
        self.watch(app, "readonly", self._refresh_banner, init=False)
        self.watch(app, "activity", self._refresh_banner, init=False)
        self._refresh_banner()

    def _refresh_banner(self, *_: object) -> None:
        app = cast("TenantConsoleApp", self.app)
        scope = app.scope
        self.set_class(scope.disabled, "-disabled")
        self.set_class(not scope.disabled and not scope.tenants, "-none")
        if app.activity:
            state, state_style = app.activity, "bold reverse"
        else:
            server = getattr(getattr(app, "session", None), "server_readonly", None)
            label = "READ-ONLY (enforced by the server)" if server is not None and server.enforced else "READ-ONLY"
            state, state_style = (label, "bold") if app.readonly else ("WRITABLE", "bold reverse")
        short_state = "READ-ONLY" if state.startswith("READ-ONLY") else state
        width = self.content_size.width or app.size.width - 2
        self.update(banner_line(
            scope=scope_text(scope, app.has_dimensions),
            short_scope=short_scope_text(scope, app.has_dimensions),
            database=app.project.database_label() if app.project is not None else "",
            state=state, short_state=short_state, state_style=state_style, crumbs=app.breadcrumbs(),
            busy=app.busy > 0, width=width))

    def on_resize(self) -> None:
        self._refresh_banner()


def fit_crumbs(crumbs: list[str], width: int) -> str:
    """The crumbs joined, dropping crumbs from the left (an ellipsis stands for them) so that
    where you are now stays on screen; the last crumb is cut only when it alone is too long."""
    joined = " › ".join(crumbs)
    if len(joined) <= width or width <= 0:
        return joined
    for start in range(1, len(crumbs)):
        shown = "… › " + " › ".join(crumbs[start:])
        if len(shown) <= width:
            return shown
    last = "… › " + crumbs[-1]
    return last[: max(width - 1, 1)] + "…" if len(last) > width else last
