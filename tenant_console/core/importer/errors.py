"""Errors an import can end with, each a one-paragraph message for the person at the keyboard."""

from __future__ import annotations

from tenant_console.core.errors import ConsoleError


class ImportInputError(ConsoleError):
    """The export file, its manifest or a decisions file cannot be used; nothing was written."""

    exit_code = 2


class UndecidedConflicts(ConsoleError):
    """Conflicts without a decision: a headless import stops before writing anything."""

    exit_code = 1
    audit_outcome = "refused"


class TargetChanged(ConsoleError):
    """Rows the plan looked at changed between the review and the apply; nothing was applied."""

    exit_code = 1


class ApplyFailed(ConsoleError):
    """The database refused the import (a constraint); everything was rolled back."""

    exit_code = 1
