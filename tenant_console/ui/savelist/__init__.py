"""``:save FILE.csv|FILE.json``: the current object list (its filter and order, in the tenant) to a file.

The rows are read on the session thread (``tenant_console.core.browse.save``), the file is created
0600, and the act is audited (no record, no file). See docs/ui-extension.md.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tenant_console.core.plural import counted
from tenant_console.ui.extensions import Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


async def _save(app: TenantConsoleApp, arg: str) -> None:
    try:
        await _save_list(app, arg)
    except Exception as exc:  # a worker's error would otherwise go unseen
        app.report(exc, ":save")


async def _save_list(app: TenantConsoleApp, arg: str) -> None:
    from tenant_console.core.browse.save import format_of, save_list
    from tenant_console.core.errors import ConsoleError
    from tenant_console.ui.screens.objects import ObjectListScreen

    screen = app.screen
    if not isinstance(screen, ObjectListScreen):
        raise ConsoleError(":save writes the object list on screen; open a model's list first (:model ...).")
    path = arg.strip()
    if not path:
        raise ConsoleError("Name the file: :save submissions.csv (or .json).")
    format_of(path)
    project = app.project
    assert project is not None and app.session is not None
    spec = screen.table.spec
    scope = {t.dimension: str(t.pk) for t in app.scope.tenants}
    act = await asyncio.to_thread(project.audit.begin, "save_list", scope=scope, database=app.session.alias,
                                  model=spec.model, filter=spec.filter_text, output=path)
    try:
        saved = await app.db(save_list, project.registry, spec, app.scope, path, quiet=True)
    except Exception as exc:
        cause = exc.__cause__ or exc
        await asyncio.to_thread(act.fail, cause)
        raise cause if isinstance(cause, ConsoleError) else exc
    await asyncio.to_thread(act.end, "ok", rows=saved.rows, output=str(saved.path))
    app.notify(f"Saved {counted(saved.rows, 'row')} of {spec.model} to {saved.path} (private to you).",
               title="Saved")


def register(ext: Extensions) -> None:
    ext.command("save", "Save the object list on screen (filter and order, in the tenant) as CSV or JSON",
                _save, usage="save FILE.csv|FILE.json")
