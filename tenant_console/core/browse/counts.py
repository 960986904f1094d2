"""Row counts per model in the current scope, one model per call.

The browser asks for each model separately so counts appear as they arrive and
a slow ``COUNT`` on one big table never holds the others back (or the screen).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model

from tenant_console.core.browse import filters
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


def default_manager_name(model: type[Model]) -> str:
    """``Submission.objects``: the manager the project's own code reads through."""
    return f"{model.__name__}.{model._default_manager.name or 'objects'}"


def _may_hide(registry: ScopeRegistry, model: type[Model], tenant_pks: Mapping[str, Any]) -> bool:
    """The default manager may show fewer rows than the console, and can be read here (a ScopedManager
    refuses while no tenant is chosen)."""
    from tenant_console.core.tenancy.rows import hides_rows

    return hides_rows(model) and not (registry.scope_of(model) is not None and not tenant_pks)


def count_through_default_manager(registry: ScopeRegistry, model: type[Model],
                                  tenant_pks: Mapping[str, Any], filter_text: str = "") -> int | None:
    """How many of the tenant's rows the project's default manager shows, where it may show fewer.

    The console counts every row of the tenant (base manager plus the tenant
    filter); projects' default managers hide rows on purpose (pretalx's
    ``Submission.objects`` hides drafts), so where one may, its count is given
    beside ("73 rows, 72 through objects"). None where the default manager
    cannot hide rows, or refuses to read (a ScopedManager while no tenant is
    chosen). ``filter_text``: the object list's filter line, applied to both
    counts alike. Call inside the session's scope.
    """
    from tenant_console.core.tenancy.rows import tenant_rows

    if not _may_hide(registry, model, tenant_pks):
        return None
    return filters.apply(tenant_rows(registry, model, tenant_pks, through_default_manager=True),
                         filter_text).count()


def list_through_default_manager(registry: ScopeRegistry, spec: Any, scope: ScopeState) -> tuple[int, str] | None:
    """``(rows of the object list the default manager shows, its name)``, the list's filter included,
    for the list's footer ("79 rows (1 hidden by Submission.objects)"); None where it hides none, or with
    scopes disabled. ``spec``: the list's :class:`~tenant_console.core.browse.paging.ListSpec`."""
    if scope.disabled:
        return None
    model = get_model(spec.model)
    shown = count_through_default_manager(registry, model, scope.pks(), spec.filter_text)
    return None if shown is None else (shown, default_manager_name(model))


def hidden_by_default_manager(registry: ScopeRegistry, model: type[Model], pk: Any, scope: ScopeState) -> str | None:
    """The default manager's name (``Submission.objects``) if it hides the row ``pk`` (a pretalx draft),
    else None (also where it hides none, or with scopes disabled). Call inside the session's scope."""
    from tenant_console.core.tenancy.rows import tenant_rows

    if scope.disabled or not _may_hide(registry, model, scope.pks()):
        return None
    if tenant_rows(registry, model, scope.pks(), through_default_manager=True).filter(pk=pk).exists():
        return None
    return default_manager_name(model)


def count_model_and_default(registry: ScopeRegistry, label: str,
                            scope: ScopeState) -> tuple[int | None, int | None, str]:
    """``(rows in scope, rows through the default manager or None, the default manager's name)``."""
    count = count_model(registry, label, scope)
    model = get_model(label)
    manager = model._default_manager.name or "objects"
    if count is None or scope.disabled:
        return count, None, manager
    return count, count_through_default_manager(registry, model, scope.pks()), manager
