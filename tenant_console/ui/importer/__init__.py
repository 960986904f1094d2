"""The import review screen: plan an export against the console's database, decide every conflict,
confirm, apply with a progress bar, read the report. Registered as the ``import`` screen, which the
app's ``:import [FILE]`` command opens (see docs/ui-extension.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenant_console.ui.extensions import Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


def _screen(app: TenantConsoleApp, path: str = "", **kwargs: Any) -> Any:
    from tenant_console.ui.importer.screen import ImportScreen

    return ImportScreen(path=path or "")


def register(ext: Extensions) -> None:
    ext.screen("import", _screen)
