"""The REPL pane of the console: Python inside the active scope, read-only by default.

Plugs into the app through :func:`register` (see docs/ui-extension.md): the
``repl`` screen ("use in REPL" from an object), and the ``:repl``,
``:commit``, ``:rollback`` commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenant_console.ui.repl.pane import ReplPane

if TYPE_CHECKING:
    from tenant_console.ui.extensions import Extensions

__all__ = ["ReplPane", "register"]


def register(ext: Extensions) -> None:
    from tenant_console.ui.repl import screen as repl

    def open_repl(app: Any, model_label: str | None = None, pk: Any = None) -> Any:
        screen = repl.repl_screen(app)
        if screen is None:
            raise RuntimeError("the project is not loaded yet")
        if model_label is not None:
            if screen.is_mounted:
                screen.use_object(model_label, pk)
            else:
                screen.call_after_refresh(screen.use_object, model_label, pk)
        return screen

    def repl_command(app: Any, arg: str) -> None:
        word = arg.strip().lower()
        if word in ("full", "fullscreen"):
            repl.toggle(app, full=True)
        elif word in ("half", "split"):
            repl.toggle(app, full=False)
        else:
            repl.toggle(app)

    def pane_action(action: str) -> Any:
        def run(app: Any, arg: str) -> None:
            screen = repl.repl_screen(app, create=False)
            if screen is None or not screen.is_mounted:
                app.notify("The REPL is not open (press ` or :repl).", severity="warning")
                return
            screen.pane.run_command(action)

        return run

    ext.screen("repl", open_repl)
    ext.command("repl", "Show or hide the Python REPL (:repl full for full screen)", repl_command,
                aliases=("shell", "py"), usage="repl [full]")
    ext.command("commit", "Commit the REPL's open transaction (writable mode)", pane_action("commit"))
    ext.command("rollback", "Roll back the REPL's open transaction", pane_action("rollback"))
