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
        text = Text()
        text.append(scope_text(scope, app.has_dimensions), style="bold")
        if app.project is not None:
            text.append("  │  ")
            text.append(app.project.database_label())
        text.append("  │  ")
        if app.activity:
            text.append(app.activity, style="bold reverse")
        else:
            text.append("READ-ONLY" if app.readonly else "WRITABLE", style="bold" if app.readonly else "bold reverse")
        busy = "  │  ⏳ working… ctrl+x cancels" if app.busy else ""
        crumbs = app.breadcrumbs()
        if crumbs:
            text.append("  │  ")
            width = (self.content_size.width or app.size.width - 2) - len(text.plain) - len(busy)
            text.append(fit_crumbs(crumbs, width), style="italic")
        text.append(busy)
        self.update(text)

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
