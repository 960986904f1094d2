"""The audit trail: one JSON line per scope change, REPL input, export and import.

Each record carries the time, the OS user, the settings module, the database
alias, the scope and the outcome. Records go to the logger
``tenant_console.audit`` and, unless ``TENANT_CONSOLE["AUDIT_LOG"]`` is None, are
appended to a file (default: ``<state dir>/audit.jsonl``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger("tenant_console.audit")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


class AuditTrail:
    """Appends audit records; safe to share between threads and sessions."""

    def __init__(self, path: Path | None, settings_module: str, alias: str) -> None:
        self.path = path
        self.settings_module = settings_module
        self.alias = alias
        self._lock = threading.Lock()
        self._user = _os_user()

    def record(self, action: str, *, scope: Any = None, outcome: str = "ok", **details: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            "user": self._user,
            "settings": self.settings_module,
            "database": details.pop("database", self.alias),
            "action": action,
            "scope": scope,
            "outcome": outcome,
        }
        entry.update(details)
        line = json.dumps(entry, default=str, sort_keys=False)
        logger.info(line)
        if self.path is not None:
            with self._lock:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with self.path.open("a", encoding="utf-8") as fh:
                        fh.write(line + "\n")
                except OSError as exc:
                    logger.error("cannot write the audit trail to %s: %s", self.path, exc)
        return entry

    def read(self) -> list[dict[str, Any]]:
        """All records in the file (for tests and the console's history view)."""
        if self.path is None or not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
