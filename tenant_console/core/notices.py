"""Warnings about the project that are long the first time and a line after that.

pretix's registry finds eight models it cannot place and says so in a paragraph of 1.6 KB. Printed
before the output of every command (``tenants``, ``shell``, ``verify``...) it buries the answer the
operator asked for. A :class:`Notice` carries that paragraph and a one-line form; :func:`texts` gives
the paragraph the first time a state directory sees it and the line from then on, until the text
changes (a new model, a setting that settles one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from tenant_console.core.private import append_private

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
        if digest in shown and not full:
            out.append(message.short)
            continue
        out.append(str(message))
        try:
            append_private(state_dir / SHOWN_FILE, f"{digest}\n".encode())
        except OSError:  # an unwritable state directory: the paragraph is shown again next time
            pass
        shown.add(digest)
    return out


def _shown(state_dir: Path | None) -> set[str]:
    if state_dir is None:
        return set()
    try:
        with open(state_dir / SHOWN_FILE, "rb") as fh:
            data = fh.read(MAX_BYTES)
    except OSError:
        return set()
    return {line.strip() for line in data.decode("ascii", "replace").splitlines() if len(line.strip()) == 64}
