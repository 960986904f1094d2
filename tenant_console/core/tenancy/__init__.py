"""The tenancy layer: which tenant owns a row, and how a model relates to the tenants.

:mod:`.ownership` decides each model's verdict (tenant, scoped, owned,
ambiguous, shared) once, at discovery; :class:`tenant_console.core.discovery.ScopeRegistry`
holds the verdicts and answers the questions every feature asks (``scope_of``,
``tenant_q``, ``verdict``). :mod:`.rows` selects a tenant's rows; :mod:`.links` counts the rows
outside a tenant that link into it (which no export carries).
"""

from tenant_console.core.tenancy.ownership import Kind, Source, Verdict

__all__ = ["Kind", "Source", "Verdict"]
