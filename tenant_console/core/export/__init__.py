"""Read-only exports of a tenant or of objects with what they need (see docs/export-format.md).

Entry points: :func:`run_export` (submit it to a session), :func:`verify_export`.
"""

from tenant_console.core.export.runner import CrossTenantRefused, ExportJob, ExportOutcome, ExportRequest, run_export

__all__ = ["CrossTenantRefused", "ExportJob", "ExportOutcome", "ExportRequest", "run_export"]
