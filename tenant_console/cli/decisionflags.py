"""``--decisions FILE`` and ``--default [CLASS=]DECISION``: the import's decisions, for ``import`` and ``move``.

Declared by :func:`add_decision_arguments` and read by :func:`read_decisions`, so that both commands
take the same flags with the same meaning (``move`` records them in its journal and reads them
when its import phase runs, perhaps in a later process).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from tenant_console.core.errors import ConsoleError


def add_decision_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--decisions`` and ``--default`` (read them with :func:`read_decisions`)."""
    parser.add_argument("--decisions", metavar="FILE",
                        help="A decisions file (JSON) for the import's conflicts, as saved by the review screen or "
                             "import --save-decisions.")
    parser.add_argument("--default", metavar="[CLASS=]DECISION", action="append", default=[],
                        help="A default decision for the import's conflicts, e.g. skip, or changed=overwrite, or "
                             "dependent=skip; repeatable.")


def read_decisions(plan: Any, decisions_file: str | None, defaults: Iterable[str]) -> Any:
    """The :class:`~tenant_console.core.importer.Decisions` for ``plan``: the file's (if any), then each default."""
    from tenant_console.core.importer import Decisions
    from tenant_console.core.importer.decisions import DECISIONS, SELECTORS

    decisions = Decisions.load(decisions_file, plan) if decisions_file else Decisions()
    for text in defaults:
        selector, sep, decision = text.rpartition("=")
        selector = selector if sep else "*"
        if decision not in DECISIONS or selector not in SELECTORS:
            raise ConsoleError(f"--default {text!r}: write DECISION or CLASS=DECISION with a decision among "
                               f"{', '.join(DECISIONS)} and a class among {', '.join(SELECTORS)}.")
        if decision == "allow_cross_tenant" and selector != "cross_tenant_reference":
            raise ConsoleError(f"--default {text!r}: references into another tenant are only allowed where they are "
                               "named: write --default cross_tenant_reference=allow_cross_tenant, or decide the "
                               "objects one by one in a decisions file.")
        decisions.set_default(decision, selector)
    decisions.implied = plan.retarget.implied()
    return decisions
