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
        #: Why the last record could not be written to the file (None when it was).
        self.last_error: str | None = None

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
        logger.info(line, extra={"audit": entry})
        if self.path is not None:
            self._append(line)
        return entry

    def _append(self, line: str) -> None:
        """One ``write`` per record on an O_APPEND file, so concurrent writers never interleave.

        A new file is created readable by its owner only (REPL input may contain
        data). A failure never stops the console: it is logged once per trail and
        kept in :attr:`last_error` for the UI to show.
        """
        path = self.path
        if path is None:
            return
        data = (line + "\n").encode("utf-8")
        with self._lock:
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            except OSError as exc:
                first = self.last_error is None
                self.last_error = f"cannot write the audit trail to {self.path}: {exc.strerror or exc}"
                if first:
                    logger.warning("%s; audit records go to the logger only", self.last_error)
            else:
                self.last_error = None

    def read(self) -> list[dict[str, Any]]:
        """All records in the file (for tests and the console's history view)."""
        if self.path is None or not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
