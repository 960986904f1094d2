"""Errors that reach a user.

A :class:`ConsoleError` carries a one-paragraph message written for the person at
the keyboard; the CLI prints it and exits with :attr:`ConsoleError.exit_code`, the
console shows it as a notification. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ConsoleError(Exception):
    """A mistake in the user's input or environment, explained in one paragraph."""

    exit_code: int = 2
    #: What this error means in the audit trail (``refused``, ``interrupted``, ``breach``); None: ``error``.
    audit_outcome: str | None = None

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ProjectLoadError(ConsoleError):
    """The Django project could not be loaded (settings, database, alias)."""


class ScopeSelectionError(ConsoleError):
    """A tenant selection did not name exactly one tenant of a known dimension."""

    audit_outcome = "refused"


class ReadOnlyViolation(ConsoleError):
    """A statement that could write was refused inside the read-only layer."""

    audit_outcome = "refused"

    def __init__(self, kind: str, reason: str, sql: str = "") -> None:
        self.kind = kind
        self.reason = reason
        self.sql = sql
        super().__init__(f"read-only session: {kind} refused ({reason})")


class ReadOnlyBreach(ConsoleError):
    """A read-only block could not prove, with the database's own counters, that nothing was written.

    Raised at the end of the block when the transaction was ended or replaced
    inside it, when the database reports a transaction id or changed rows, or
    when the connection was closed or swapped. Distinct from a refusal: here
    something may have been written. The CLI exits with :attr:`exit_code` (4),
    the UI shows it as an error, the audit trail records the act as ``breach``.
    """

    exit_code = 4
    audit_outcome = "breach"

    def __init__(self, message: str, *, alias: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.alias = alias
        self.reason = reason


class SessionClosed(ConsoleError):
    """Work was submitted to a session that has been closed."""


class Cancelled(ConsoleError):
    """A long-running call was cancelled by the user."""

    exit_code = 130
    audit_outcome = "interrupted"


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """Return ' Did you mean X?' for the closest choice(s), or '' when nothing is close.

    Only choices about as close as the best one are named, so a clear winner stands alone.
    """
    import difflib

    scored = sorted(
        ((difflib.SequenceMatcher(None, word.lower(), c.lower()).ratio(), c) for c in set(choices)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    if not scored or scored[0][0] < 0.6:
        return ""
    best = scored[0][0]
    close = [c for score, c in scored[:3] if score >= 0.6 and best - score < 0.05]
    if len(close) == 1:
        return f" Did you mean {close[0]!r}?"
    return " Did you mean " + ", ".join(repr(c) for c in close[:-1]) + f" or {close[-1]!r}?"
