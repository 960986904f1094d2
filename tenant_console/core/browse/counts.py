"""Row counts per model in the current scope, one model per call.

The browser asks for each model separately so counts appear as they arrive and
a slow ``COUNT`` on one big table never holds the others back (or the screen).
"""

from __future__ import annotations

from tenant_console.core.browse.catalog import get_model
from tenant_console.core.browse.queryset import NeedsTenant, scoped_queryset
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.scope import ScopeState


def count_model(registry: ScopeRegistry, label: str, scope: ScopeState) -> int | None:
    """Rows of ``label`` visible in ``scope``; None for a scoped model while no tenant is chosen."""
    model = get_model(label)
    try:
        qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
    except NeedsTenant:
        return None
    return qs.count()
