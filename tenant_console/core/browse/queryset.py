"""The one queryset every browse call starts from, so isolation is decided in one place.

It is the model's default manager (which the session's scope constrains, e.g. a
django-scopes ``ScopedManager``) *and* the registry's explicit tenant filter, so
a manager that forgets its scope still cannot leak another tenant's rows. With no
tenant chosen, a scoped model has no rows to show rather than raising
``ScopeError`` deep in a page fetch: :class:`NeedsTenant` says why up front.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model, QuerySet

from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.errors import ConsoleError


class NeedsTenant(ConsoleError):
    """A scoped model was asked for while no tenant is active and scopes are not disabled."""


def is_constrained(registry: ScopeRegistry, model: type[Model]) -> bool:
    """Whether a tenant selection narrows this model (scoped models and tenant models)."""
    return registry.is_scoped(model) or bool(registry.tenant_dimensions_of(model))


def scoped_queryset(registry: ScopeRegistry, model: type[Model], tenant_pks: Mapping[str, Any],
                    disabled: bool) -> QuerySet:
    """``model``'s rows visible in the current scope (call on the session thread)."""
    if disabled:
        return model._default_manager.all()
    if registry.is_scoped(model) and not tenant_pks:
        raise NeedsTenant(
            f"{model_label(model)} is scoped by {', '.join(registry.scope_of(model).dimensions)}: "  # type: ignore[union-attr]
            "choose a tenant first (press t), or disable scopes deliberately."
        )
    qs = model._default_manager.all()
    q = registry.tenant_q(model, tenant_pks)
    if q is not None and q:
        qs = qs.filter(q)
    return qs
