"""Is the input complete? Decided the way the standard REPL decides, with ``codeop``.

The interactive interpreter compiles in ``"single"`` mode: a compound statement
(``for``, ``if``, ``def``...) stays open until a blank line, and an unclosed
bracket or string keeps the input going. An editor also receives pasted code
with several statements, which ``"single"`` refuses; for that case the input is
complete unless its last line is indented (still inside a block), as in IPython.
"""

from __future__ import annotations

import codeop
import warnings
from dataclasses import dataclass
from typing import Literal

Status = Literal["complete", "incomplete", "invalid"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    #: For ``invalid``: the syntax error's message (the input is still run, to show it in full).
    message: str = ""


def _compile(source: str, symbol: str) -> object | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return codeop.compile_command(source, "<input>", symbol)


def check(source: str) -> Verdict:
    """``complete`` (run it), ``incomplete`` (continue the block) or ``invalid`` (run to show the error)."""
    if not source.strip():
        return Verdict("incomplete")
    try:
        return Verdict("complete") if _compile(source, "single") is not None else Verdict("incomplete")
    except (SyntaxError, OverflowError, ValueError) as exc:
        single_error = exc
    # Several statements (pasted code): "single" refuses them, "exec" decides.
    try:
        code = _compile(source, "exec")
    except (SyntaxError, OverflowError, ValueError):
        return Verdict("invalid", _message(single_error))
    if code is None:
        return Verdict("incomplete")
    lines = source.rstrip("\n").split("\n")
    still_in_block = lines[-1][:1] in (" ", "\t") and not source.endswith("\n\n")
    return Verdict("incomplete") if still_in_block else Verdict("complete")


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"{exc.msg} (line {exc.lineno})" if exc.lineno else str(exc.msg)
    return str(exc)


def next_indent(source: str, indent: str = "    ") -> str:
    """The indentation for a new line after ``source`` (one level deeper after a ``:``)."""
    last = source.rstrip("\n").split("\n")[-1] if source else ""
    current = last[: len(last) - len(last.lstrip())]
    stripped = last.split("#", 1)[0].rstrip()
    if stripped.endswith(":"):
        return current + indent
    first_word = stripped.split(None, 1)[0] if stripped.strip() else ""
    if first_word in {"return", "pass", "break", "continue", "raise"} and current:
        return current[: max(0, len(current) - len(indent))]
    return current
