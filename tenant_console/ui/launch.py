"""``tenant-console --settings S`` with no command: open the full-screen console.

The app appears at once; Django is loaded and the database checked in the
background (see :class:`~tenant_console.ui.app.TenantConsoleApp`), so a slow
settings import or a remote database never leaves a blank terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def launch(settings: str | None, pythonpath: Sequence[str], database: str, scope_flags: Sequence[Any],
           disabled: bool) -> int:
    from tenant_console.ui.app import StartupSpec, TenantConsoleApp

    def loader() -> Any:  # runs in a thread while the loading screen is up
        from tenant_console.core.project import load_project

        return load_project(settings, list(pythonpath), database)

    described = settings or "$DJANGO_SETTINGS_MODULE"
    app = TenantConsoleApp(startup=StartupSpec(loader=loader, scope_flags=scope_flags, disabled=disabled,
                                               description=f"{described} · database {database}"))
    try:
        app.run()
    finally:
        app.close_session()
    if app.load_error is not None and app.return_code in (None, 0):
        return app.load_error.exit_code
    return app.return_code or 0
