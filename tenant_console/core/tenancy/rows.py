"""A tenant's rows of a model: the one queryset every feature starts from.

The console shows *every* row of the tenant: the model's base manager (which
no project code narrows) filtered explicitly by the registry's tenant filter.
It never relies on a default manager, because projects' default managers hide
rows on purpose (pretalx's ``Submission.objects`` hides drafts; ``all_objects``
sees them) and owned models have no scoping manager at all. What the default
manager would show is reported beside it (``67 through objects``), so the
difference is visible rather than silent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry


def tenant_rows(registry: ScopeRegistry, model: type[Model], tenant_pks: Mapping[str, Any],
                using: str | None = None, *, through_default_manager: bool = False) -> QuerySet:
    """``model``'s rows in the given tenants (all rows for a shared model, or with no tenant given).

    ``through_default_manager`` reads the same rows through the project's
    default manager instead (what its own code sees; call inside the session's
    active scope, a ScopedManager refuses otherwise), to report rows it hides.
    """
    manager = model._default_manager if through_default_manager else model._base_manager
    qs = (manager if using is None else manager.db_manager(using)).all()
    q = registry.tenant_q(model, tenant_pks) if tenant_pks else None
    if q is not None and q:
        qs = qs.filter(q)
    return qs


def hides_rows(model: type[Model]) -> bool:
    """Whether the default manager may show fewer rows than the base manager (it filters its queryset).

    Compared on the SQL ``WHERE`` Django would build, without a query: a
    ScopedManager adds its scope filter only inside a scope, so this is asked
    with scopes disabled, where a plain ScopedManager adds nothing.
    """
    try:
        from django_scopes import scopes_disabled
    except ImportError:  # pragma: no cover - django-scopes is a dependency
        import contextlib

        scopes_disabled = contextlib.nullcontext  # type: ignore[assignment]
    default = model._default_manager
    if default is model._base_manager or type(default) is type(model._base_manager):
        return False
    with scopes_disabled():
        try:
            where = default.all().query.where
        except Exception:
            return True
    return bool(where.children)


#: The most values one ``IN (...)`` carries where the backend sets no limit (PostgreSQL): beyond
#: this, planning a statement costs more than another round trip.
MAX_IN = 10_000
#: Parameters kept free for the rest of a statement beside its ``IN`` list (a content type id, ...).
PARAM_RESERVE = 20


def in_batch_size(alias: str, *, most: int = MAX_IN, reserve: int = PARAM_RESERVE) -> int:
    """How many values one ``IN (...)`` list may carry on ``alias`` (SQLite limits query parameters).

    The one answer for every batched read (graph walks, export plans, audits, imports).
    """
    from django.db import connections

    limit = connections[alias].features.max_query_params
    if limit:
        return max(1, min(most, int(limit) - reserve))
    return most


def exported_models(registry: ScopeRegistry, tenant_pks: Mapping[str, Any],
                    exclude: Collection[type[Model]] = ()) -> list[type[Model]]:
    """The models whose rows an export of the tenants ``tenant_pks`` carries: concrete (no proxy) and
    managed by Django (an unmanaged model's table is not the project's to copy), not in ``exclude``, with a
    path to one of the chosen tenants. The one answer to "is this model inside the tenant", which the
    export's plan and the count of rows outside the tenant that link into it both ask."""
    from django.apps import apps

    return [m for m in apps.get_models()
            if not m._meta.proxy and m._meta.managed and m not in exclude and registry.tenant_paths(m, tenant_pks)]
