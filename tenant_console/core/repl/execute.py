"""Run one input in a namespace and show errors as the user's code, not ours.

An input is compiled as a module; when its last statement is an expression,
that expression is evaluated separately and its value returned, so
``Submission.objects.count()`` shows its value without ``print()`` (as IPython
does). The source is registered with :mod:`linecache` under a per-input file
name, so tracebacks and functions defined in earlier inputs show their lines.
"""

from __future__ import annotations

import ast
import linecache
import traceback
from typing import Any

FILENAME_PREFIX = "<repl-"


def filename_for(number: int) -> str:
    return f"{FILENAME_PREFIX}{number}>"


def register_source(filename: str, source: str) -> None:
    # An mtime of None keeps linecache.checkcache() from dropping the entry.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def run_code(source: str, namespace: dict[str, Any], filename: str) -> Any:
    """Execute ``source``; return the value of a trailing expression (or None)."""
    register_source(filename, source)
    tree = ast.parse(source, filename, "exec")
    last: ast.Expression | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = tree.body.pop()
        assert isinstance(expr, ast.Expr)
        last = ast.Expression(expr.value)
    if tree.body:
        exec(compile(tree, filename, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(last, filename, "eval"), namespace)


def _is_user_frame(frame: traceback.FrameSummary) -> bool:
    return frame.filename.startswith(FILENAME_PREFIX)


def format_exception(exc: BaseException) -> str:
    """A short traceback: the user's frames, one line for where it was raised, and the error.

    Frames of the console itself (before the first user frame) are dropped;
    library frames after the last user frame are summarised by the innermost
    one, which is usually where the real message comes from.
    """
    te = traceback.TracebackException.from_exception(exc, capture_locals=False)
    if isinstance(exc, SyntaxError):
        return "".join(te.format_exception_only()).rstrip()
    lines: list[str] = []
    _format_chain(te, lines, seen=set())
    return "".join(lines).rstrip()


def _format_chain(te: traceback.TracebackException, lines: list[str], seen: set[int]) -> None:
    seen.add(id(te))
    if te.__cause__ is not None and id(te.__cause__) not in seen:
        _format_chain(te.__cause__, lines, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif (te.__context__ is not None and not te.__suppress_context__ and id(te.__context__) not in seen
          and any(_is_user_frame(f) for f in te.__context__.stack)):
        _format_chain(te.__context__, lines, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    frames = list(te.stack)
    first = next((i for i, f in enumerate(frames) if _is_user_frame(f)), None)
    if first is not None:
        frames = frames[first:]
        last_user = max(i for i, f in enumerate(frames) if _is_user_frame(f))
        shown = frames[: last_user + 1]
        hidden = frames[last_user + 1:]
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.StackSummary.from_list(shown).format())
        if hidden:
            inner = hidden[-1]
            n = len(hidden) - 1
            more = f" ({n} library frame{'s' if n != 1 else ''} above it)" if n else ""
            # No line number: it changes with every library release and helps nobody at the console.
            lines.append(f"  … raised in {_short_path(inner.filename)}, in {inner.name}{more}\n")
    lines.extend(te.format_exception_only())


def _short_path(path: str) -> str:
    marker = "site-packages/"
    return path.split(marker, 1)[1] if marker in path else path
