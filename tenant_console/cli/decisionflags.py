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
                             "import --save-decisions. Its defaults and models' decisions are checked as --default is.")
    parser.add_argument("--default", metavar="[CLASS=]DECISION", action="append", default=[],
                        help="A default decision for the import's conflicts, e.g. skip, or changed=overwrite, or "
                             "dependent=skip; repeatable. A pair its class never takes, or one some objects cannot "
                             "take and would silently get another decision for, is refused "
                             "(docs/export-format.md lists the decisions of each class).")


def parse_defaults(defaults: Iterable[str]) -> list[tuple[str, str]]:
    """``(selector, decision)`` of each ``--default``; a pair that can never take effect is refused here,
    before the plan is built (so before anything is read from the target, let alone written)."""
    from tenant_console.core.importer.decisions import pair_refusal

    out = []
    for text in defaults:
        selector, sep, decision = text.rpartition("=")
        selector = selector if sep else "*"
        why = pair_refusal(selector, decision)
        if why is not None:
            raise ConsoleError(f"--default {text!r}: {why} Nothing was written.")
        out.append((selector, decision))
    return out


def read_decisions(plan: Any, decisions_file: str | None, defaults: Iterable[str]) -> Any:
    """The :class:`~tenant_console.core.importer.Decisions` for ``plan``: the file's (if any), then each default.

    A default (from ``--default`` or the file) or a model's decision in the file that this plan's objects
    cannot take (``new=new_key`` where some new objects have natural keys, ``overwrite`` where nothing can
    be overwritten) is refused, in one paragraph, rather than left to fall back silently to another decision.
    """
    from tenant_console.core.importer import Decisions

    pairs = parse_defaults(defaults)
    decisions = Decisions.load(decisions_file, plan) if decisions_file else Decisions()
    for selector, decision in pairs:
        decisions.set_default(decision, selector)
    decisions.implied = plan.retarget.implied()
    problems = decisions.unapplied(plan, flagged=[selector for selector, _d in pairs])
    if problems:
        raise ConsoleError(" ".join(problems) + " Nothing was written.")
    return decisions
