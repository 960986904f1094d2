"""Plug-in points of the console: ``:`` commands, palette actions, and screens by name.

Other parts of the console (the REPL pane, the related-object graph, export
and import screens) live in their own packages and plug in here without
editing ``app.py``: each package listed in :data:`EXTENSION_PACKAGES` may define
``register(extensions: Extensions) -> None``, which is called once at start-up::

    # tenant_console/ui/graph/__init__.py
    def register(ext):
        ext.screen("graph", lambda app, model_label, pk, **kw: GraphScreen(model_label, pk))
        ext.command("graph", "Open the related-object graph of the selected object",
                    lambda app, arg: app.open_screen("graph", ...))

See docs/ui-extension.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen

    from tenant_console.ui.app import TenantConsoleApp

#: Packages whose ``register(extensions)`` is called at start-up, when they exist.
EXTENSION_PACKAGES = (
    "tenant_console.ui.repl",
    "tenant_console.ui.graph",
    "tenant_console.ui.export",
    "tenant_console.ui.importer",
    "tenant_console.ui.delete",
    "tenant_console.ui.move",
    "tenant_console.ui.auditlog",
    "tenant_console.ui.savelist",
)

CommandHandler = Callable[["TenantConsoleApp", str], "Awaitable[None] | None"]
ScreenFactory = Callable[..., "Screen[Any]"]


@dataclass(frozen=True)
class ConsoleCommand:
    """A ``:`` command (also offered in the command palette when ``palette``)."""

    name: str
    help: str
    run: CommandHandler
    aliases: tuple[str, ...] = ()
    usage: str = ""
    palette: bool = True


@dataclass
class Extensions:
    commands: dict[str, ConsoleCommand] = field(default_factory=dict)
    screens: dict[str, ScreenFactory] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def command(self, name: str, help: str, run: CommandHandler, *, aliases: tuple[str, ...] = (),
                usage: str = "", palette: bool = True) -> None:
        """Add (or replace) a ``:`` command."""
        self.commands[name] = ConsoleCommand(name, help, run, aliases, usage or name, palette)

    def screen(self, name: str, factory: ScreenFactory) -> None:
        """Make ``app.open_screen(name, **kwargs)`` push ``factory(app, **kwargs)``."""
        self.screens[name] = factory

    def find(self, word: str) -> ConsoleCommand | None:
        word = word.lower()
        for cmd in self.commands.values():
            if word == cmd.name or word in cmd.aliases:
                return cmd
        return None

    def load_packages(self, packages: tuple[str, ...] = EXTENSION_PACKAGES) -> None:
        """Import each extension package that exists and call its ``register``."""
        for name in packages:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name and name.startswith(exc.name):
                    continue  # not part of this build
                self.errors.append(f"{name} cannot be loaded: {exc}")
                continue
            except Exception as exc:  # an extension must never stop the console
                self.errors.append(f"{name} cannot be loaded: {type(exc).__name__}: {exc}")
                continue
            register = getattr(module, "register", None)
            if register is None:
                continue
            try:
                register(self)
            except Exception as exc:
                self.errors.append(f"{name}.register failed: {type(exc).__name__}: {exc}")
