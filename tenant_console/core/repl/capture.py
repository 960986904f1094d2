"""Capture ``print()`` from the session thread without stealing other threads' output.

``sys.stdout`` is process-wide, while user code runs on one session thread and
the console keeps running on others. The stand-in installed here sends writes
from the session thread to the capture and passes every other write through.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

#: Output kept per input; a runaway ``print`` loop should not eat the memory.
MAX_OUTPUT_CHARS = 200_000


class OutputBuffer:
    """Ordered ``(stream, text)`` chunks, merged when the same stream writes twice in a row.

    Written by the session thread, read by the UI while the input still runs
    (:meth:`since`), so output appears as it is printed, not only at the end.
    """

    def __init__(self, limit: int = MAX_OUTPUT_CHARS, *, owner: int = 0) -> None:
        self.owner = owner  # the input number it belongs to
        self._runs: list[tuple[str, list[str]]] = []  # (stream, pieces); joined lazily
        self._lock = threading.Lock()
        self.size = 0
        self.truncated = 0
        self.limit = limit

    def write(self, stream: str, text: str) -> None:
        if not text:
            return
        with self._lock:
            room = self.limit - self.size
            if room <= 0:
                self.truncated += len(text)
                return
            if len(text) > room:
                self.truncated += len(text) - room
                text = text[:room]
            self.size += len(text)
            if self._runs and self._runs[-1][0] == stream:
                self._runs[-1][1].append(text)
            else:
                self._runs.append((stream, [text]))

    @property
    def chunks(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(stream, "".join(pieces)) for stream, pieces in self._runs]

    def since(self, offset: int, *, whole_lines: bool = False) -> tuple[list[tuple[str, str]], int]:
        """Output after character ``offset``, and the new offset.

        ``whole_lines`` holds back a trailing partial line (while the input is
        still printing it).
        """
        out: list[tuple[str, str]] = []
        position = 0
        for stream, text in self.chunks:
            end = position + len(text)
            if end > offset:
                out.append((stream, text[max(0, offset - position):]))
            position = end
        if whole_lines and out:
            stream, text = out[-1]
            cut = text.rfind("\n") + 1
            held = len(text) - cut
            out[-1] = (stream, text[:cut])
            position -= held
            out = [c for c in out if c[1]]
        return out, max(position, offset)


class _Router:
    def __init__(self, original: Any, stream: str, buffer: OutputBuffer, ident: int) -> None:
        self._original = original
        self._stream = stream
        self._buffer = buffer
        self._ident = ident
        self.active = True

    def write(self, text: str) -> int:
        if self.active and threading.get_ident() == self._ident:
            self._buffer.write(self._stream, str(text))
            return len(text)
        if self._original is None:
            return len(text)
        return self._original.write(text)

    def flush(self) -> None:
        if self._original is not None and not (self.active and threading.get_ident() == self._ident):
            with contextlib.suppress(Exception):
                self._original.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _NoInput:
    """``sys.stdin`` for the session thread: there is no keyboard behind it.

    ``input()`` or an interactive ``help()`` would otherwise block the session
    thread forever; EOF ends them at once (``help()`` quits on EOF).
    """

    def __init__(self, original: Any, ident: int) -> None:
        self._original = original
        self._ident = ident
        self.active = True

    def _mine(self) -> bool:
        return self.active and threading.get_ident() == self._ident

    def readline(self, *args: Any) -> str:
        if self._mine():
            raise EOFError("the console REPL has no standard input (input() and interactive help() cannot work)")
        return self._original.readline(*args) if self._original is not None else ""

    def read(self, *args: Any) -> str:
        if self._mine():
            raise EOFError("the console REPL has no standard input")
        return self._original.read(*args) if self._original is not None else ""

    def isatty(self) -> bool:
        return False if self._mine() else bool(self._original is not None and self._original.isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


@contextlib.contextmanager
def captured(buffer: OutputBuffer) -> Iterator[OutputBuffer]:
    """Route this thread's stdout and stderr into ``buffer`` (and give it no stdin) for the duration."""
    ident = threading.get_ident()
    out = _Router(sys.stdout, "stdout", buffer, ident)
    err = _Router(sys.stderr, "stderr", buffer, ident)
    inp = _NoInput(sys.stdin, ident)
    sys.stdout, sys.stderr, sys.stdin = out, err, inp  # type: ignore[assignment]
    try:
        yield buffer
    finally:
        out.active = err.active = inp.active = False
        # Someone else may have replaced the streams meanwhile; only undo our own.
        if sys.stdout is out:
            sys.stdout = out._original
        if sys.stderr is err:
            sys.stderr = err._original
        if sys.stdin is inp:
            sys.stdin = inp._original
