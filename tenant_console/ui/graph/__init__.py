"""The graph browser, plugged into the console (see :mod:`tenant_console.ui.extensions`).

``app.open_screen("graph", model_label="conference.Submission", pk=12)`` (what
``action_open_graph`` and ``g`` on an object's detail do) pushes
:class:`~tenant_console.ui.graph.screen.GraphScreen`; ``:graph app.Model.pk``
opens it for any object. Objects marked there are kept on the app
(:func:`~tenant_console.ui.graph.marks.marked_specs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp
    from tenant_console.ui.extensions import Extensions


def _screen(app: TenantConsoleApp, model_label: str, pk: Any, **kwargs: Any) -> Any:
    from tenant_console.ui.graph.screen import GraphScreen

    return GraphScreen(model_label, pk, **kwargs)


def _command(app: TenantConsoleApp, arg: str) -> None:
    """``:graph app.Model.pk``; without an argument, the selected object (as the built-in command does)."""
    from tenant_console.core.graph.objects import parse_object_spec
    from tenant_console.ui import commands

    if not arg:
        selected = commands._selected(app)  # says what to do when nothing is selected
        if selected is None:
            return
        app.action_open_graph(str(selected[0]), selected[1])
        return
    model, pk = parse_object_spec(arg)
    app.action_open_graph(model._meta.label, pk)


def register(ext: Extensions) -> None:
    ext.screen("graph", _screen)
    ext.command("graph", "Related-object graph of the selected object, or of app.Model.pk", _command,
                usage="graph [app.Model.pk]")
