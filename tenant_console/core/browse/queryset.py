"""The one queryset every browse call starts from, so isolation is decided in one place.

It is :func:`tenant_console.core.tenancy.rows.tenant_rows`: the base manager
with the registry's explicit tenant filter, so every row of the tenant is shown
(a default manager that hides drafts does not hide them here) and owned models,
which no manager scopes, are narrowed like scoped ones. With no tenant chosen, a
scoped or owned model has no rows to show rather than every tenant's:
:class:`NeedsTenant` says why up front.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model, QuerySet

from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.errors import ConsoleError
from tenant_console.core.tenancy.rows import tenant_rows


class NeedsTenant(ConsoleError):
    """A scoped model was asked for while no tenant is active and scopes are not disabled."""


def is_constrained(registry: ScopeRegistry, model: type[Model]) -> bool:
    """Whether a tenant selection narrows this model (scoped models and tenant models)."""
    return registry.is_scoped(model) or bool(registry.tenant_dimensions_of(model))


def scoped_queryset(registry: ScopeRegistry, model: type[Model], tenant_pks: Mapping[str, Any],
                    disabled: bool) -> QuerySet:
    """``model``'s rows visible in the current scope (call on the session thread)."""
    if disabled:
        return model._base_manager.all()
    scope = registry.scope_of(model)
    if scope is not None and not tenant_pks:
        how = f"owned via {scope.via}" if scope.owned else f"scoped by {', '.join(scope.dimensions)}"
        raise NeedsTenant(
            f"{model_label(model)} is {how}: choose a tenant first (press t), or disable scopes deliberately."
        )
    return tenant_rows(registry, model, tenant_pks)
