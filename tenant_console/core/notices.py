"""Warnings about the project that are long the first time and a line after that.

pretix's registry finds eight models it cannot place and says so in a paragraph of 1.6 KB. Printed
before the output of every command (``tenants``, ``shell``, ``verify``...) it buries the answer the
operator asked for. A :class:`Notice` carries that paragraph and a one-line form; :func:`texts` gives
the paragraph the first time a state directory sees it and the line from then on, until the text
changes (a new model, a setting that settles one).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from tenant_console.core.private import FILE_MODE, private_dir

#: Digests of the notices shown in full, one per line, in the state directory.
SHOWN_FILE = "notices-shown"
#: The file is read at every start: a state directory that collected more is read only this far.
MAX_BYTES = 64 * 1024


class Notice(str):
    """A warning's full text (the ``str``) with its one-line form, :attr:`short`."""

    short: str

    def __new__(cls, text: str, short: str) -> Notice:
        notice = super().__new__(cls, text)
        notice.short = short
        return notice


def texts(messages: Iterable[str], state_dir: Path | None, *, full: bool = False) -> list[str]:
    """What to show of ``messages``: a :class:`Notice` in full the first time (recorded), short after;
    ``full``: in full always (the ``models`` command, where the details belong)."""
    out: list[str] = []
    shown = _shown(state_dir)
    for message in messages:
        if not isinstance(message, Notice) or state_dir is None:
            out.append(str(message))
            continue
        digest = hashlib.sha256(str(message).encode()).hexdigest()
        if digest in shown:
            out.append(str(message) if full else message.short)
            continue
        out.append(str(message))
        if len(shown) < MAX_BYTES // 65:  # a full record stops growing (its notices are shown whole)
            _record(state_dir, digest)
        shown.add(digest)
    return out


def _shown(state_dir: Path | None) -> set[str]:
    if state_dir is None:
        return set()
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(state_dir / SHOWN_FILE, flags)  # never a link, never a pipe that blocks the start
    except OSError:
        return set()
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return set()
        data = os.read(fd, MAX_BYTES)
    except OSError:
        return set()
    finally:
        os.close(fd)
    return {line.strip() for line in data.decode("ascii", "replace").splitlines() if len(line.strip()) == 64}


def _record(state_dir: Path, digest: str) -> None:
    """Append ``digest`` (``0600``): never through a link, never waiting on a pipe; a failure only means
    the paragraph is shown whole again next time."""
    flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_CLOEXEC", 0))
    try:
        private_dir(state_dir)
        fd = os.open(state_dir / SHOWN_FILE, flags, FILE_MODE)
    except OSError:
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.write(fd, f"{digest}\n".encode())
    except OSError:
        pass
    finally:
        os.close(fd)
