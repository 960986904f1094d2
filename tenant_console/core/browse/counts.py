"""Row counts per model in the current scope, one model per call.

The browser asks for each model separately so counts appear as they arrive and
a slow ``COUNT`` on one big table never holds the others back (or the screen).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model

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


def count_through_default_manager(registry: ScopeRegistry, model: type[Model],
                                  tenant_pks: Mapping[str, Any]) -> int | None:
    """How many of the tenant's rows the project's default manager shows, where it may show fewer.

    The console counts every row of the tenant (base manager plus the tenant
    filter); projects' default managers hide rows on purpose (pretalx's
    ``Submission.objects`` hides drafts), so where one may, its count is given
    beside ("73 rows, 72 through objects"). None where the default manager
    cannot hide rows, or refuses to read (a ScopedManager while no tenant is
    chosen). Call inside the session's scope.
    """
    from tenant_console.core.tenancy.rows import hides_rows, tenant_rows

    if not hides_rows(model) or (registry.scope_of(model) is not None and not tenant_pks):
        return None
    return tenant_rows(registry, model, tenant_pks, through_default_manager=True).count()


def count_model_and_default(registry: ScopeRegistry, label: str,
                            scope: ScopeState) -> tuple[int | None, int | None, str]:
    """``(rows in scope, rows through the default manager or None, the default manager's name)``."""
    count = count_model(registry, label, scope)
    model = get_model(label)
    manager = model._default_manager.name or "objects"
    if count is None or scope.disabled:
        return count, None, manager
    return count, count_through_default_manager(registry, model, scope.pks()), manager
