"""Conflict-reviewed imports: read and verify an export, plan it against a target, decide, apply.

    export = read_export(path)                                   # no database
    plan = session.run(build_plan, export, alias, registry, retarget, readonly=True, scoped=False)
    resolution = resolve(plan, decisions)                        # pure Python
    report = session.run(apply_import, plan, resolution, readonly=False, scoped=False)

See :mod:`.plan` for the classes of conflict, :mod:`.decisions` for what can be decided,
:mod:`.retarget` for importing as another tenant and :mod:`.apply` for the transaction.
"""

from tenant_console.core.importer.apply import apply_import
from tenant_console.core.importer.decisions import DECISIONS, Decisions, Resolution, allowed, resolve
from tenant_console.core.importer.errors import ApplyFailed, ImportInputError, TargetChanged, UndecidedConflicts
from tenant_console.core.importer.plan import CLASSES, CONFLICTS, Item, Plan, build_plan
from tenant_console.core.importer.reader import Export, read_export
from tenant_console.core.importer.report import ImportReport
from tenant_console.core.importer.retarget import Retarget

__all__ = [
    "CLASSES", "CONFLICTS", "DECISIONS", "ApplyFailed", "Decisions", "Export", "ImportInputError", "ImportReport",
    "Item", "Plan", "Resolution", "Retarget", "TargetChanged", "UndecidedConflicts", "allowed", "apply_import",
    "build_plan", "read_export", "resolve",
]
