"""The frame every console screen shares: scope banner on top, footer with the keys below.

``crumb`` is this screen's part of the breadcrumb trail in the banner; ``esc``
goes back one crumb. ``HELP`` is shown by ``?`` above the list of keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input

from tenant_console.ui.widgets.banner import ScopeBanner

if TYPE_CHECKING:
    from tenant_console.core.scope import ScopeState
    from tenant_console.ui.app import TenantConsoleApp


class ConsoleScreen(Screen[Any]):
    BINDINGS: ClassVar = [Binding("escape", "back", "Back", show=True)]
    HELP: ClassVar[str] = ""
    crumb: str = ""
    #: False for screens laid over the trail (the picker): their crumb shows only while they are on top.
    in_breadcrumbs: ClassVar[bool] = True
    #: What a tenant switch does to this screen (enforced by ``TenantConsoleApp.change_scope``, in one
    #: place): "follow" — ``tenant_changed(scope)`` recomputes it in the new scope; "close" — it is
    #: closed (with every screen above it) before the session switches. A screen bound to objects of
    #: one tenant (a detail, a graph, an object export) closes; lists and counts follow. Screens that
    #: do not say (dialogs) are closed.
    tenant_bound: str = "close"

    def tenant_changed(self, scope: ScopeState) -> None:
        """Recompute for ``scope`` (called on "follow" screens after a switch, hidden ones too)."""

    def tenant_switch_blocker(self) -> str | None:
        """A reason why the tenant cannot be switched now (work that must not be cut off), or None."""
        return None

    def breadcrumb(self, before: ConsoleScreen | None) -> str:
        """This screen's crumb after ``before`` (the crumb-bearing screen below it, if any)."""
        return self.crumb

    @property
    def console(self) -> TenantConsoleApp:
        return cast("TenantConsoleApp", self.app)

    def compose(self) -> ComposeResult:
        yield ScopeBanner()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        if self.app.is_headless:  # stable screenshots and snapshots
            for inp in self.query(Input):
                inp.cursor_blink = False

    def on_screen_resume(self) -> None:
        for banner in self.query(ScopeBanner):
            banner._refresh_banner()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.dismiss(None)
