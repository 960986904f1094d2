"""Reading the audit trail back: the recent acts on one database, newest first, in bounded time and memory.

The trail (:mod:`tenant_console.core.audit`) is an append-only JSON-lines file that
grows for years, so it is read from its end in blocks until enough records are
found: the cost depends on how many records are asked for, never on the file's
size. An act is shown once, with its outcome (the ``started`` record is folded
into it, or shown alone while no outcome was written: the act is running, or the
process died during it). Lines that are not JSON (a torn last line, a hand edit)
are counted, not fatal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bytes read per step from the end of the file.
BLOCK = 1 << 16
#: The longest line considered a record; longer ones are skipped as damaged.
MAX_LINE = 1 << 20


@dataclass
class AuditEntry:
    """One act (or fact) of the trail as people read it."""

    time: str
    user: str
    action: str
    outcome: str  # ok, refused, error, interrupted, breach; "started" while no outcome is recorded
    database: str
    scope: str
    details: str
    record: dict[str, Any] = field(repr=False, default_factory=dict)

    def matches(self, text: str) -> bool:
        """Every word of ``text`` appears somewhere in the entry (case-insensitive)."""
        haystack = " ".join((self.time, self.user, self.action, self.outcome, self.database, self.scope,
                             self.details)).lower()
        return all(word in haystack for word in text.lower().split())


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    path: Path | None
    damaged: int = 0  # lines that were not records
    more: bool = False  # older records exist beyond what was read
    bytes_read: int = 0  # how much of the file was read (from its end)


def _lines_backwards(path: Path, stats: dict[str, int]) -> Iterator[bytes]:
    """The file's lines from the last to the first, reading blocks from the end (``stats["bytes"]`` counts)."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        pos = fh.tell()
        rest = b""
        while pos > 0:
            step = min(BLOCK, pos)
            pos -= step
            fh.seek(pos)
            stats["bytes"] = stats.get("bytes", 0) + step
            chunk = fh.read(step) + rest
            lines = chunk.split(b"\n")
            rest = lines[0]
            if len(rest) > MAX_LINE:  # a line too long to be a record: skip what was read of it
                rest = b""
            yield from reversed(lines[1:])
        if rest:
            yield rest


def _scope_text(scope: Any) -> str:
    if isinstance(scope, Mapping):
        if scope.get("disabled"):
            return "scopes disabled"
        tenants = scope.get("tenants")
        if isinstance(tenants, list):
            return ", ".join(f"{t.get('dimension')}={t.get('label') or t.get('pk')}" for t in tenants
                             if isinstance(t, Mapping))
        return ", ".join(f"{k}={v}" for k, v in scope.items())
    return "" if scope is None else str(scope)


_SKIP = {"time", "act", "user", "uid", "env_user", "host", "pid", "settings", "database", "db", "action", "scope",
         "outcome", "phase"}


def _details(record: Mapping[str, Any]) -> str:
    parts = []
    for key, value in record.items():
        if key in _SKIP or value in (None, "", [], {}):
            continue
        text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)
        parts.append(f"{key}={text[:120]}")
    return " ".join(parts)


def _entry(record: Mapping[str, Any]) -> AuditEntry:
    who = str(record.get("user") or "?")
    if record.get("env_user") and record.get("env_user") != who:
        who = f"{who} (as {record['env_user']})"
    return AuditEntry(time=str(record.get("time", ""))[:23].replace("T", " "), user=who,
                      action=str(record.get("action", "")), outcome=str(record.get("outcome", "")),
                      database=str(record.get("database", "")), scope=_scope_text(record.get("scope")),
                      details=_details(record), record=dict(record))


def recent(path: Path | None, *, database: Mapping[str, Any] | None = None, limit: int = 200,
           text: str = "", scan_limit: int = 200_000) -> AuditPage:
    """The newest ``limit`` entries (acts folded with their outcome), optionally only of one database
    (its identity: vendor, host, port, name) and matching ``text``. Reads at most ``scan_limit`` lines."""
    if path is None or not path.exists():
        return AuditPage([], path)
    if not path.is_file():
        return AuditPage([], path, damaged=1)
    entries: list[AuditEntry] = []
    ended: set[str] = set()
    damaged = scanned = 0
    more = False
    stats: dict[str, int] = {}
    for raw in _lines_backwards(path, stats):
        if not raw.strip():
            continue
        scanned += 1
        if scanned > scan_limit:
            more = True
            break
        try:
            record = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            damaged += 1
            continue
        if not isinstance(record, dict):
            damaged += 1
            continue
        if database is not None and record.get("db") != dict(database):
            continue
        act = record.get("act")
        if record.get("outcome") == "started":
            if act in ended:
                continue  # folded into its outcome, which is newer and already listed
        elif act:
            ended.add(act)
        entry = _entry(record)
        if text and not entry.matches(text):
            continue
        entries.append(entry)
        if len(entries) >= limit:
            more = True
            break
    return AuditPage(entries, path, damaged=damaged, more=more, bytes_read=stats.get("bytes", 0))
