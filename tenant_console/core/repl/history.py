"""REPL history, per project, persisted in the user's state directory and searchable.

One JSON line per input (multi-line blocks stay one entry), in
``<state dir>/repl-history/<settings module>.jsonl``. The file is appended to,
never rewritten while in use, and trimmed to :data:`MAX_ENTRIES` on load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from tenant_console.core.private import open_private, replace_private

MAX_ENTRIES = 5000


def history_path(state_dir: Path, settings_module: str) -> Path:
    """One file per project: the settings module's name plus a short hash of where it lives.

    Two checkouts that both call their settings ``config.settings`` are
    different projects and must not share (or leak) each other's history.
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", settings_module) or "project"
    module_file = getattr(sys.modules.get(settings_module), "__file__", None)
    location = os.path.dirname(os.path.abspath(module_file)) if module_file else ""
    digest = hashlib.sha1(location.encode()).hexdigest()[:8] if location else "nofile"
    return state_dir / "repl-history" / f"{safe}-{digest}.jsonl"


class History:
    """Entries oldest first; :meth:`search` and :class:`HistoryCursor` read them newest first."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.entries: list[str] = self._load()

    def _load(self) -> list[str]:
        if self.path is None or not self.path.exists():
            return []
        entries: list[str] = []
        try:
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        source = json.loads(line).get("source")
                    except (ValueError, AttributeError):
                        continue
                    if isinstance(source, str) and source.strip():
                        entries.append(source)
        except OSError:
            return []
        if len(entries) > MAX_ENTRIES:
            entries = entries[-MAX_ENTRIES:]
            self._rewrite(entries)
        return entries

    def _rewrite(self, entries: list[str]) -> None:
        if self.path is None:
            return
        try:
            with replace_private(self.path) as fh:
                for source in entries:
                    fh.write(json.dumps({"source": source}) + "\n")
        except OSError:
            pass

    def append(self, source: str, database: str = "") -> None:
        """Remember an input (not a repeat of the previous one)."""
        source = source.rstrip()
        if not source.strip() or (self.entries and self.entries[-1] == source):
            return
        self.entries.append(source)
        if self.path is None:
            return
        record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  "database": database, "source": source}
        with self._lock:
            try:
                with open_private(self.path, "a") as fh:
                    fh.write(json.dumps(record) + "\n")
            except OSError:
                pass

    def search(self, text: str, limit: int = 50) -> list[str]:
        """Entries containing ``text`` (case-insensitive), newest first, without duplicates."""
        needle = text.lower()
        seen: set[str] = set()
        found: list[str] = []
        for source in reversed(self.entries):
            if needle in source.lower() and source not in seen:
                seen.add(source)
                found.append(source)
                if len(found) >= limit:
                    break
        return found

    def cursor(self) -> HistoryCursor:
        return HistoryCursor(self)


@dataclass
class HistoryCursor:
    """Up/down through the history; remembers the unfinished input to come back to."""

    history: History
    index: int | None = None  # position in history.entries, None = the draft
    draft: str = ""

    def previous(self, current: str) -> str | None:
        entries = self.history.entries
        if not entries:
            return None
        if self.index is None:
            self.draft = current
            self.index = len(entries)
        if self.index == 0:
            return None
        self.index -= 1
        return entries[self.index]

    def next(self) -> str | None:
        if self.index is None:
            return None
        self.index += 1
        if self.index >= len(self.history.entries):
            self.index = None
            return self.draft
        return self.history.entries[self.index]

    def reset(self) -> None:
        self.index = None
        self.draft = ""
