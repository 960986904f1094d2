"""The recent audit records of this database, newest first, filterable, with the whole record on Enter.

The file is read from its end in a thread (``tenant_console.core.auditlog``), never on the event loop,
and only as far back as the records shown need.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from tenant_console.ui.screens.base import ConsoleScreen

#: How an outcome looks: the ones to notice are loud.
OUTCOME_STYLE = {"ok": "green", "refused": "yellow", "error": "red", "interrupted": "yellow",
                 "breach": "bold white on red", "started": "cyan"}
LIMIT = 500


class AuditLogScreen(ConsoleScreen):
    HELP = ("The audit trail: every scope change, input, commit, export, import and delete on this database, "
            "newest first, with who did it and how it ended (ok, refused, error, interrupted, breach; "
            "'started' means no outcome was recorded: running, or the process died). / filters by words; "
            "a toggles between this database and every database; Enter shows the whole record.")
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("a", "toggle_all", "This db / all"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    AuditLogScreen #log-filter { margin: 0 0; }
    AuditLogScreen #log-table { height: 1fr; }
    AuditLogScreen #log-record { height: auto; max-height: 12; padding: 0 1; background: $panel; }
    AuditLogScreen #log-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    """
    tenant_bound = "follow"  # the trail is not one tenant's: a switch leaves it open

    def __init__(self, text: str = "", every_database: bool = False) -> None:
        super().__init__()
        self.text = text
        self.every_database = every_database
        self.crumb = "audit log"
        self.page: Any = None
        self.loaded = 0  # completed loads (tests wait on this)

    def compose_body(self) -> ComposeResult:
        yield Input(self.text, placeholder="/ filter: words in any column (user, action, outcome, scope, details)",
                    id="log-filter")
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="log-record")
        yield Static("", id="log-status")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("time (UTC)", "user", "action", "outcome", "database", "scope", "details")
        table.focus()
        self.action_reload()

    def tenant_changed(self, scope: Any) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load(), group="auditlog", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        from tenant_console.core.auditlog import recent

        project = self.console.project
        assert project is not None
        alias = self.console.session.alias if self.console.session is not None else project.alias
        identity = None if self.every_database else await asyncio.to_thread(project.audit.identity, alias)
        self.page = await asyncio.to_thread(recent, project.audit.path, database=identity, limit=LIMIT,
                                            text=self.text)
        table = self.query_one(DataTable)
        table.clear()
        for i, e in enumerate(self.page.entries):
            table.add_row(e.time, e.user, e.action, Text(e.outcome, style=OUTCOME_STYLE.get(e.outcome, "")),
                          e.database, e.scope, e.details[:200], key=str(i))
        where = "every database" if self.every_database else f"database {alias}"
        path = project.audit.path or "the logger only (AUDIT_LOG = None): nothing to read back"
        status = f"{len(self.page.entries):,} records of {where}{' (older ones not shown)' if self.page.more else ''}"
        if self.text:
            status += f" matching {self.text!r}"
        if self.page.damaged:
            status += f" · {self.page.damaged} unreadable line(s) skipped"
        self.query_one("#log-status", Static).update(f"{status} · {path}")
        self.query_one("#log-record", Static).update("")
        self.loaded += 1

    @on(DataTable.RowSelected)
    def _show_record(self, event: DataTable.RowSelected) -> None:
        if self.page is None:
            return
        entry = self.page.entries[int(str(event.row_key.value))]
        self.query_one("#log-record", Static).update(
            Text(json.dumps(entry.record, indent=1, default=str, ensure_ascii=False)))

    def action_filter(self) -> None:
        self.query_one("#log-filter", Input).focus()

    @on(Input.Submitted, "#log-filter")
    def _filter(self, event: Input.Submitted) -> None:
        event.stop()
        self.text = event.value.strip()
        self.query_one(DataTable).focus()
        self.action_reload()

    def action_toggle_all(self) -> None:
        self.every_database = not self.every_database
        self.action_reload()
