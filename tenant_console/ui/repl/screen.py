"""The REPL as a pane over the console: the lower half of the screen, or all of it.

One :class:`ReplScreen` per app is installed (so toggling it away and back
keeps the namespace, the output and an open transaction) and pushed over the
current screen; the screen below stays visible above it. It follows the
console's scope, and tells the console's banner when it holds a writable
transaction.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer

from tenant_console.core.scope import ScopeState
from tenant_console.ui.repl.pane import ReplPane

if TYPE_CHECKING:
    from tenant_console.core.project import Project

SCREEN_NAME = "tenant-console-repl"
_screens: weakref.WeakKeyDictionary[App[Any], ReplScreen] = weakref.WeakKeyDictionary()


class ReplScreen(ModalScreen[None]):
    """Hosts the :class:`ReplPane`; ``esc`` hides it, ``ctrl+f`` toggles full screen."""

    # This is a modal screen, so the console's own bindings do not reach it: the keys that must
    # work from anywhere are bound again here. ctrl+q has priority so that no widget (the editor,
    # the completion list) can swallow it; it goes through the console's quit, which asks the
    # leave guards (ours: uncommitted changes) first.
    BINDINGS: ClassVar = [
        Binding("escape", "hide", "Hide REPL"),
        Binding("ctrl+f", "toggle_full", "Full screen"),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]
    DEFAULT_CSS = """
    ReplScreen { align: center bottom; background: $background 40%; }
    ReplScreen #repl-frame { height: 60%; width: 100%; border-top: heavy $accent; background: $surface; }
    ReplScreen.-full #repl-frame { height: 100%; border-top: none; }
    """
    HELP = ("The REPL: Python inside the active scope, read-only unless you switch it to writable (f3). "
            "Its own database session; esc hides it and keeps everything, ctrl+f toggles full screen. "
            "Here the console's letter keys type into the editor: use the keys below, or :commands "
            "(:tenant, :q …) typed as an input.")
    crumb = "repl"

    #: A tenant switch leaves the REPL open: it follows the console's scope itself (it watches
    #: ``app.scope``, because it lives on while hidden, off the screen stack).
    tenant_bound = "follow"

    def __init__(self, project: Project, scope: ScopeState, *, alias: str | None = None) -> None:
        super().__init__()
        self.project = project
        self.pane = ReplPane(project, scope=scope, alias=alias, id="repl-pane")

    def compose(self) -> ComposeResult:
        with Vertical(id="repl-frame"):
            yield self.pane
        yield Footer()

    def on_mount(self) -> None:
        if hasattr(self.app, "scope"):
            self.watch(self.app, "scope", self._console_scope_changed, init=False)
        # The console asks its leave guards before quitting or switching tenant; ours asks
        # about uncommitted changes (commit / roll back / stay).
        guards = getattr(self.app, "leave_guards", None)
        if isinstance(guards, list) and self.pane.confirm_leave not in guards:
            guards.append(self.pane.confirm_leave)

    def on_screen_resume(self) -> None:
        self.pane.editor.focus()

    def _console_scope_changed(self, scope: ScopeState) -> None:
        self._follow(scope)

    @work(group="repl-follow", exclusive=True, exit_on_error=False)
    async def _follow(self, scope: ScopeState) -> None:
        runner = self.pane.runner
        if runner is not None and runner.scope == scope:
            return
        if not await self.pane.set_scope(scope):
            self.app.notify("The REPL stays on its tenant until its uncommitted changes are committed or rolled "
                            "back.", title="REPL", severity="warning", timeout=8)

    def on_repl_pane_close_requested(self, event: ReplPane.CloseRequested) -> None:
        event.stop()
        self.action_hide()

    def on_repl_pane_mode_changed(self, event: ReplPane.ModeChanged) -> None:
        if hasattr(self.app, "readonly"):
            self.app.readonly = not event.writable  # the console's banner badge

    def action_hide(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def action_toggle_full(self) -> None:
        self.toggle_class("-full")

    async def action_quit(self) -> None:
        """ctrl+q: the app's quit; the console's asks its leave guards (uncommitted changes) first."""
        await self.app.run_action("quit")

    def action_help(self) -> None:
        """f1: the REPL's own keys and commands (``?`` and the console's letter keys type into the editor)."""
        from tenant_console.ui.repl.help import COMMANDS, KEYS
        from tenant_console.ui.screens.dialogs import HelpScreen

        commands = [(name, text) for name, text in COMMANDS]
        extensions = getattr(self.app, "extensions", None)
        if extensions is not None:  # the console's commands work here too
            ours = {name for name, _ in COMMANDS}
            commands += [(c.usage, c.help) for c in extensions.commands.values()
                         if c.name not in ours and not ours & set(c.aliases)]
        self.app.push_screen(HelpScreen("Help — REPL", self.HELP, list(KEYS), commands))

    def use_object(self, model_label: str, pk: Any) -> None:
        """"Use in REPL": bind ``obj`` to the object (fetched in the scope, like any input)."""
        from django.apps import apps

        from tenant_console.core.repl.namespace import model_names

        try:
            model = apps.get_model(model_label)
        except (LookupError, ValueError):
            self.app.notify(f"There is no model {model_label!r}.", severity="error")
            return
        name = next((n for n, m in model_names().items() if m is model), None)
        if name is None:
            return
        self.pane.execute(f"obj = {name}.objects.get(pk={str(pk)!r})\nobj")


def repl_screen(app: App[Any], *, create: bool = True) -> ReplScreen | None:
    """The app's REPL screen, created and installed on first use."""
    screen = _screens.get(app)
    if screen is None and create:
        project = getattr(app, "project", None)
        session = getattr(app, "session", None)
        if project is None:
            return None
        screen = ReplScreen(project, getattr(app, "scope", ScopeState()),
                            alias=session.alias if session is not None else None)
        app.install_screen(screen, SCREEN_NAME)
        _screens[app] = screen
    return screen


def toggle(app: App[Any], full: bool | None = None) -> None:
    """Show the REPL over the current screen, or hide it if it is showing."""
    screen = repl_screen(app)
    if screen is None:
        app.notify("The project is not loaded yet.", severity="warning")
        return
    if app.screen is screen and full is None:
        app.pop_screen()
        return
    if full is not None:
        screen.set_class(full, "-full")
    if app.screen is not screen:
        app.push_screen(screen)
