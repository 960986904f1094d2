"""The audit-log screen: what was done on this database, by whom, and how it ended, without leaving the console.

Registered as the ``auditlog`` screen and the ``:log`` command (``:log`` this database, ``:log all`` every
database, ``:log WORDS`` filtered). See docs/ui-extension.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tenant_console.ui.extensions import Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


def _screen(app: TenantConsoleApp, text: str = "", every_database: bool = False, **kwargs: Any) -> Any:
    from tenant_console.ui.auditlog.screen import AuditLogScreen

    return AuditLogScreen(text=text, every_database=every_database)


def _command(app: TenantConsoleApp, arg: str) -> None:
    words = arg.split()
    every = bool(words) and words[0] == "all"
    app.open_screen("auditlog", text=" ".join(words[1:] if every else words), every_database=every)


def register(ext: Extensions) -> None:
    ext.screen("auditlog", _screen)
    ext.command("log", "The audit trail of this database, newest first (:log all for every database, "
                ":log WORDS to filter)", _command, aliases=("auditlog",), usage="log [all] [WORDS]")
