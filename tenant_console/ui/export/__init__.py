"""The export screen: export the current tenant, the selected object, or the objects marked in the graph.

Registered as the ``export`` screen (``app.action_export_object`` opens it for an
object) and the ``:export`` command::

    :export            the selected object, or the current tenant when nothing is selected
    :export tenant     every row of the current tenant
    :export marked     the objects marked in the graph browser (m)
    :export app.Model.pk ...

See docs/ui-extension.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenant_console.ui.extensions import Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


def _screen(app: TenantConsoleApp, model_label: str | None = None, pk: Any = None,
            objects: list[str] | None = None, tenant: bool = False, **kwargs: Any) -> Any:
    from tenant_console.ui.export.screen import ExportScreen

    if model_label is not None:
        objects = [f"{model_label}.{pk}"]
    return ExportScreen(objects=list(objects or []), tenant=tenant, **kwargs)


def _command(app: TenantConsoleApp, arg: str) -> None:
    from tenant_console.core.errors import ConsoleError
    from tenant_console.ui import commands
    from tenant_console.ui.graph.marks import marked_specs

    words = arg.split()
    if words == ["tenant"]:
        app.open_screen("export", tenant=True)
    elif words == ["marked"]:
        specs = marked_specs(app)
        if not specs:
            raise ConsoleError("No objects are marked; mark them in the graph browser with m.")
        app.open_screen("export", objects=specs)
    elif words:
        app.open_screen("export", objects=words)
    elif app.scope.is_active and _selection(app) is None:
        app.open_screen("export", tenant=True)
    else:
        picked = commands._selected(app)
        if picked is not None:
            app.action_export_object(str(picked[0]), picked[1])


def _selection(app: TenantConsoleApp) -> tuple[str, Any] | None:
    """The object under the cursor (detail or list), without complaining when there is none."""
    from tenant_console.ui.screens.detail import ObjectDetailScreen
    from tenant_console.ui.screens.objects import ObjectListScreen

    screen = app.screen
    if isinstance(screen, ObjectDetailScreen):
        return screen.model_label, screen.pk
    if isinstance(screen, ObjectListScreen):
        row = screen.table.current_row()
        return (screen.model_label, row.pk) if row is not None else None
    return None


def register(ext: Extensions) -> None:
    ext.screen("export", _screen)
    ext.command("export", "Export the selected object, the tenant (:export tenant), the marked objects "
                "(:export marked) or app.Model.pk ...", _command, usage="export [tenant|marked|app.Model.pk]")
