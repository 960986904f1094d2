"""The audit trail: who did what, where, and how it ended; written before the act happens.

Every audited act (activating a scope, disabling scopes, writable mode, a REPL
or shell input, a commit, an export, an import, a verify) is two JSON lines
with one act id:

1. ``"outcome": "started"`` is written *before* the act. If it cannot be
   written, :class:`AuditUnavailable` is raised and the act does not happen:
   the trail fails closed.
2. The outcome record is written *after* the act: ``ok``, ``refused``,
   ``error``, ``interrupted`` or ``breach`` (see :func:`outcome_of`), with what
   the act produced (statement counts, checksums, the scope it ended in).

A ``started`` record without an outcome therefore means the process died
during the act (killed, power lost); nothing is ever claimed ``ok`` before it
happened. Each record names the OS user of the process (from its uid, beside
``$USER`` which anyone can set), the host and pid, the settings module, and
the database by alias *and* identity (vendor, host, port, name; never a
password). Records go to the file ``TENANT_CONSOLE["AUDIT_LOG"]`` (created
``0600``) and to the logger ``tenant_console.audit``; with ``AUDIT_LOG = None``
only to the logger, deliberately.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from tenant_console.core.errors import ConsoleError
from tenant_console.core.private import append_private

logger = logging.getLogger("tenant_console.audit")

#: How an act ended. ``breach``: a read-only block could not prove that nothing was written.
OUTCOMES = ("ok", "refused", "error", "interrupted", "breach")
STARTED = "started"


class AuditUnavailable(ConsoleError):
    """The audit record could not be written, so the act was not done (or its end not recorded)."""

    exit_code = 2


def route_records(audit_log: Path | None, logging_config: Mapping[str, Any] | None) -> None:
    """Whether records also travel up to the project's root logger.

    Projects such as pretalx and pretix print INFO from the root logger on the
    console, so every command would repeat its audit records on stderr. While the
    file trail is on and the project's ``LOGGING`` does not name the logger
    (``tenant_console`` or ``tenant_console.audit``), records stay off the root
    logger; a project that wants them in its logging names the logger. With
    ``AUDIT_LOG = None`` the logger is the only trail, so records always propagate.
    """
    loggers = (logging_config or {}).get("loggers") or {}
    named = any(name in loggers for name in ("tenant_console", "tenant_console.audit"))
    logger.propagate = audit_log is None or named


def os_user() -> dict[str, Any]:
    """The process's user from its uid (``$USER`` is only what the environment claims)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    name: str | None = None
    if uid is not None:
        try:
            import pwd

            name = pwd.getpwuid(uid).pw_name
        except (ImportError, KeyError):
            name = None
    who: dict[str, Any] = {"user": name or (str(uid) if uid is not None else "unknown"), "uid": uid,
                           "env_user": os.environ.get("USER") or os.environ.get("LOGNAME")}
    if os.environ.get("SUDO_USER"):
        who["sudo_user"] = os.environ["SUDO_USER"]
    return who


def database_identity(alias: str) -> dict[str, Any]:
    """``{"vendor", "host", "port", "name"}`` of a database alias; never the password or options."""
    try:
        from django.db import connections

        conn = connections[alias]
        settings = conn.settings_dict
        return {"vendor": conn.vendor, "host": settings.get("HOST") or None,
                "port": str(settings.get("PORT")) if settings.get("PORT") else None,
                "name": str(settings.get("NAME")) if settings.get("NAME") else None}
    except Exception:  # an alias Django does not know (tests), or Django not set up
        return {"vendor": None, "host": None, "port": None, "name": None}


def outcome_of(exc: BaseException) -> str:
    """The outcome an exception means: its ``audit_outcome``, ``interrupted`` for ctrl+c, else ``error``.

    Errors declare what they mean (``ReadOnlyViolation``: refused, ``Cancelled``:
    interrupted, the read-only layer's breach: breach); causes are followed, since
    drivers and Django wrap errors.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        declared = getattr(current, "audit_outcome", None)
        if declared in OUTCOMES:
            return str(declared)
        if isinstance(current, KeyboardInterrupt):
            return "interrupted"
        current = current.__cause__
    return "error"


def short_error(exc: BaseException, limit: int = 1000) -> str:
    text = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, ConsoleError):
        text = f"{type(exc).__name__}: {text}"
    return text[:limit]


class AuditTrail:
    """Writes audit records; safe to share between threads and sessions."""

    def __init__(self, path: Path | None, settings_module: str, alias: str) -> None:
        self.path = path
        self.settings_module = settings_module
        self.alias = alias
        self._lock = threading.Lock()
        self._who = os_user()
        self._host = socket.gethostname()
        self._identities: dict[str, dict[str, Any]] = {}
        #: Why the last record could not be written (None when it was).
        self.last_error: str | None = None

    # -- acts ------------------------------------------------------------------
    def begin(self, action: str, *, scope: Any = None, **details: Any) -> Act:
        """Write the ``started`` record of an act and return it; raises :class:`AuditUnavailable` first."""
        act = Act(self, action, scope, details)
        self._write(action, scope=scope, outcome=STARTED, act=act.id, phase="start", **details)
        return act

    def act(self, action: str, *, scope: Any = None, **details: Any) -> Act:
        """``with trail.act("export", ...) as act:``: begun now, ended with the block's outcome."""
        return self.begin(action, scope=scope, **details)

    def record(self, action: str, *, scope: Any = None, outcome: str = "ok", **details: Any) -> dict[str, Any]:
        """One record of something that already happened (no ``started`` record). Fails loudly."""
        return self._write(action, scope=scope, outcome=outcome, act=None, phase="fact", **details)

    def scope_changes(self, act: Act, changes: Iterable[Mapping[str, Any]], *, scope: Any = None) -> None:
        """Record scopes entered or disabled by code inside an input (``with scopes_disabled(): ...``)."""
        changes = list(changes)
        if not changes:
            return
        disabled = any(c.get("disabled") for c in changes)
        self._write("scope_changed_in_code", scope=scope, outcome="ok", act=None, phase="fact", input_act=act.id,
                    database=act.details.get("database", self.alias), scopes_disabled=disabled,
                    changes=changes[:50], more=max(0, len(changes) - 50))

    # -- writing -----------------------------------------------------------------
    def identity(self, alias: str) -> dict[str, Any]:
        if alias not in self._identities:
            self._identities[alias] = database_identity(alias)
        return self._identities[alias]

    def _write(self, action: str, *, scope: Any, outcome: str, act: str | None, phase: str,
               **details: Any) -> dict[str, Any]:
        alias = details.pop("database", self.alias)
        entry: dict[str, Any] = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            **({"act": act} if act else {}),
            "user": self._who["user"],
            "uid": self._who["uid"],
            "env_user": self._who["env_user"],
            **({"sudo_user": self._who["sudo_user"]} if "sudo_user" in self._who else {}),
            "host": self._host,
            "pid": os.getpid(),
            "settings": self.settings_module,
            "database": alias,
            "db": self.identity(alias),
            "action": action,
            "scope": scope,
            "outcome": outcome,
        }
        entry.update(details)
        line = json.dumps(entry, default=str, sort_keys=False)
        if self.path is not None:
            self._append(line, action, phase)
        logger.info(line, extra={"audit": entry})
        return entry

    def _append(self, line: str, action: str, phase: str) -> None:
        path = self.path
        assert path is not None
        with self._lock:
            try:
                append_private(path, (line + "\n").encode("utf-8"))
            except OSError as exc:
                why = exc.strerror or str(exc)
                self.last_error = f"cannot write the audit trail to {path}: {why}"
                logger.error("%s (%s)", self.last_error, action)
                what = _described(action)
                consequence = {"start": f"so {what} was not done",
                               "end": f"so the outcome of {what} could not be recorded (it ran)"}.get(
                                   phase, f"so a record of {what} could not be written")
                raise AuditUnavailable(
                    f"The audit trail cannot be written to {path} ({why}), {consequence}: "
                    "every scope change, input, commit, export, import and delete is recorded before it happens. "
                    "Make that file writable, or point TENANT_CONSOLE[\"AUDIT_LOG\"] at a file that is."
                ) from exc
            self.last_error = None

    def read(self) -> list[dict[str, Any]]:
        """All records in the file (for tests and the console's history view)."""
        if self.path is None or not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def outcomes(self) -> list[dict[str, Any]]:
        """The records of what happened: every record but the ``started`` ones."""
        return [r for r in self.read() if r.get("outcome") != STARTED]


class Act:
    """One audited act between its ``started`` record and its outcome record.

    As a context manager the outcome is the block's: ``ok`` unless it raised
    (then :func:`outcome_of` the exception) or :attr:`outcome` was set. Without
    one, call :meth:`end` or :meth:`fail` (exactly once; later calls do nothing).
    """

    def __init__(self, trail: AuditTrail, action: str, scope: Any, details: dict[str, Any]) -> None:
        self.trail = trail
        self.id = uuid.uuid4().hex[:16]
        self.action = action
        self.scope = scope
        self.details = dict(details)
        self.result: dict[str, Any] = {}
        self.outcome: str | None = None
        self.ended = False
        self._started = time.monotonic()

    def note(self, **details: Any) -> None:
        """Details for the outcome record (counts, checksums), known only as the act runs."""
        self.result.update(details)

    def end(self, outcome: str | None = None, **details: Any) -> dict[str, Any] | None:
        if self.ended:
            return None
        self.ended = True
        outcome = outcome or self.outcome or "ok"
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown audit outcome {outcome!r}")
        merged = {**self.details, **self.result, **details}
        merged["seconds"] = round(time.monotonic() - self._started, 4)
        return self.trail._write(self.action, scope=self.scope, outcome=outcome, act=self.id, phase="end", **merged)

    def fail(self, exc: BaseException, **details: Any) -> dict[str, Any] | None:
        return self.end(outcome_of(exc), error=short_error(exc), **details)

    def __enter__(self) -> Act:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.end()
            return
        try:
            self.fail(exc)
        except AuditUnavailable as unavailable:
            raise unavailable from exc


def _described(action: str) -> str:
    return {
        "scope_activated": "the scope change", "scopes_disabled": "disabling scopes",
        "scope_cleared": "clearing the scope", "repl_writable": "switching to writable mode",
        "repl_input": "the input", "shell_input": "the input", "repl_commit": "the commit",
        "repl_rollback": "the rollback", "export": "the export", "import": "the import", "verify": "the verify",
        "delete": "the delete", "save_list": "saving the list",
    }.get(action, f"the {action.replace('_', ' ')}")
