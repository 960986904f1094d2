"""The delete screen: the cascade preview as a tree, then a typed confirmation, backup and delete.

Registered as the ``delete`` screen and the ``:delete`` command::

    :delete                 the selected object (detail or list)
    :delete filtered        the rows of the current list's filter
    :delete marked          the objects marked in the graph browser (m)
    :delete app.Model.pk ...

``d`` on an object (detail view, or the row under the cursor in a list) and ``D`` on a list (every row
of its filter) open it too. See docs/delete.md and docs/ui-extension.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenant_console.ui.extensions import Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


def _screen(app: TenantConsoleApp, model_label: str | None = None, pk: Any = None,
            objects: list[str] | None = None, filter_model: str | None = None, filter_text: str = "") -> Any:
    from tenant_console.ui.delete.screen import DeleteScreen

    if model_label is not None:
        objects = [f"{model_label}.{pk}"]
    if filter_model is not None:
        return DeleteScreen(targets=[filter_model], filter_text=filter_text)
    return DeleteScreen(targets=list(objects or []))


def _command(app: TenantConsoleApp, arg: str) -> None:
    from tenant_console.core.errors import ConsoleError
    from tenant_console.ui import commands
    from tenant_console.ui.graph.marks import marked_specs
    from tenant_console.ui.screens.objects import ObjectListScreen

    words = arg.split()
    if words == ["marked"]:
        specs = marked_specs(app)
        if not specs:
            raise ConsoleError("No objects are marked; mark them in the graph browser with m.")
        app.open_screen("delete", objects=specs)
    elif words == ["filtered"]:
        screen = app.screen
        if not isinstance(screen, ObjectListScreen):
            raise ConsoleError(":delete filtered deletes the rows of an object list's filter; open a list first.")
        app.open_screen("delete", filter_model=screen.model_label, filter_text=screen.table.spec.filter_text)
    elif words:
        app.open_screen("delete", objects=words)
    else:
        picked = commands._selected(app)
        if picked is not None:
            app.open_screen("delete", model_label=str(picked[0]), pk=picked[1])


def register(ext: Extensions) -> None:
    ext.screen("delete", _screen)
    ext.command("delete", "Delete the selected object, the list's rows (:delete filtered), the marked objects "
                "(:delete marked) or app.Model.pk ...: cascade preview, backup, one transaction", _command,
                usage="delete [filtered|marked|app.Model.pk]")
