"""An earlier move of a tenant between two databases: the journal the console shows when ``:move`` opens.

The CLI is given a journal (``--resume``/``--rollback``/``--status JOURNAL``); the console looks for one
itself, in the folder every move writes to by default (``STATE_DIR/moves/<time>-<tenant>-<from>-to-<to>``),
or in the folder named with ``--journal``. A journal found there is read as the CLI reads it
(:func:`~.journal.load_journal`: checked like a hostile file, then :func:`~.journal.check_databases`), and
it counts only if it is the move of this tenant from this source to this target. One that cannot be read
is skipped here (it may be another user's or damaged) and named, so the screen can say so; the CLI's
``--status`` on it gives the whole reason.

A rolled-back move is over: a new move may start. The newest other one (by the time it was created)
is the earlier move, unfinished or finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenant_console.core.move.journal import JOURNAL_NAME, Journal, JournalError, check_databases, load_journal

#: Phases after which nothing is left to do with a journal.
OVER = ("rolled_back",)
#: Phases from which ``Mover.run`` goes on (the others are refused: a rollback started, or nothing to do).
RESUMABLE = ("planned", "exported", "importing", "imported", "verified", "verify_failed", "deleting")


@dataclass
class Found:
    """The earlier move (or None), and the journals that could not be read."""

    journal: Journal | None = None
    unreadable: list[str] = field(default_factory=list)


def _matches(journal: Journal, settings_module: str, tenant: Mapping[str, Any], source: str,
             target: str | None) -> bool:
    return (journal.settings == settings_module and journal.tenant == {d: str(pk) for d, pk in tenant.items()}
            and journal.source_alias == source and target in (None, journal.target_alias))


def earlier_move(state_dir: Path, settings_module: str, registry: Any, tenant: Mapping[str, Any], source: str,
                 target: str | None, folder: str | Path | None = None) -> Found:
    """The newest move of ``tenant`` from ``source`` to ``target`` (None: to any database) that is not
    rolled back.

    ``folder`` (``--journal DIR``): only the journal in it, if there is one. Reads files and the settings'
    ``DATABASES``; no database is touched.
    """
    if folder is not None:
        paths = [Path(folder).expanduser() / JOURNAL_NAME]
        paths = [p for p in paths if p.exists() or p.is_symlink()]
    else:
        moves = Path(state_dir).expanduser() / "moves"
        paths = sorted(moves.glob(f"*/{JOURNAL_NAME}")) if moves.is_dir() else []
    found = Found()
    candidates: list[Journal] = []
    for path in paths:
        try:
            journal = load_journal(path)
        except JournalError:
            found.unreadable.append(str(path))
            continue
        if not _matches(journal, settings_module, tenant, source, target):
            continue
        try:
            check_databases(journal, settings_module, registry)
        except JournalError:  # written for other databases behind these aliases: not this move
            continue
        if journal.phase not in OVER:
            candidates.append(journal)
    if candidates:
        found.journal = max(candidates, key=lambda j: (j.created, str(j.path)))
    return found
