"""Moving a tenant to another database: export, import, verify, then (if asked) delete the source.

Built from the console's own pieces, nothing copied: the export
(:func:`~tenant_console.core.export.runner.run_export`, one read-only snapshot), the
import (:mod:`tenant_console.core.importer`: plan, decisions, one transaction), the
tenancy layer's one filter for counting and checksumming on both sides
(:mod:`.digest`), and the delete with its backup (:mod:`tenant_console.core.delete`).
:mod:`.journal` keeps the move's state in a private file so that a move killed
at any point can be resumed or rolled back (:class:`.runner.Mover`), and
described (:mod:`.status`: where the tenant is, and the next step that works).
``docs/scale.md`` ("Moving a tenant") explains the phases.
"""

from tenant_console.core.move.digest import TenantDigest, count_rows, tenant_digest
from tenant_console.core.move.journal import Journal, JournalError, check_databases, load_journal, new_journal
from tenant_console.core.move.runner import CHECKPOINTS, MoveJob, Mover, MoveRefused, Where
from tenant_console.core.move.status import describe

__all__ = [
    "CHECKPOINTS", "Journal", "JournalError", "MoveJob", "MoveRefused", "Mover", "TenantDigest", "Where",
    "check_databases", "count_rows", "describe", "load_journal", "new_journal", "tenant_digest",
]
