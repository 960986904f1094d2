"""Which tenant a row belongs to, computed from its scope paths, not from a scope.

Forward FK access and base managers bypass django-scopes, so a graph walk can
step into another tenant without any error. The walker therefore reads each
row's scope values itself (``values_list("submission__event")`` in the same
query that loads the row) and classifies every node against a reference
tenant: the active one, or the root's.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.graph.relations import concrete


class Classification(str, enum.Enum):
    TENANT = "tenant"  # scoped, and in the reference tenant
    SHARED = "shared"  # an unscoped model (users, organisers, content types)
    OTHER = "other-tenant"  # scoped, and its scope path resolves to a different tenant
    UNASSIGNED = "unassigned"  # scoped, but its scope path is NULL
    SCOPED = "scoped"  # scoped, and there is no reference tenant to compare with


TenantPks = dict[str, Any]


class ScopeColumns:
    """The ``values_list`` paths that give a model's tenant, per dimension (cached per walk).

    The paths are the registry's (:meth:`ScopeRegistry.owner_paths`): scoped and
    owned models, tenant models (``pk``) and the dimensions they imply.
    """

    def __init__(self, registry: ScopeRegistry) -> None:
        self.registry = registry
        self._cache: dict[type[Model], tuple[tuple[str, str], ...]] = {}

    def paths(self, model: type[Model]) -> tuple[tuple[str, str], ...]:
        """``((dimension, path), ...)``; empty for a shared model."""
        model = concrete(model)
        if model in self._cache:
            return self._cache[model]
        result = self.registry.owner_paths(model)
        self._cache[model] = result
        return result

    def is_scoped(self, model: type[Model]) -> bool:
        return bool(self.paths(model))

    def is_tenant_model(self, model: type[Model]) -> bool:
        return bool(self.registry.tenant_dimensions_of(concrete(model)))


def classify(tenant: Mapping[str, Any] | None, reference: Mapping[str, Any]) -> Classification:
    """Classify a node's tenant (None: shared) against the reference tenant.

    Called once per node of a walk, so it is written as a plain loop.
    """
    if tenant is None:
        return Classification.SHARED
    assigned = common = False
    for dim, value in tenant.items():
        if value is None:
            continue
        assigned = True
        ref = reference.get(dim)
        if ref is None:
            continue
        common = True
        if value != ref and str(value) != str(ref):
            return Classification.OTHER
    if not assigned:
        return Classification.UNASSIGNED
    return Classification.TENANT if common else Classification.SCOPED


def tenants_differ(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> list[str]:
    """The dimensions on which two scoped rows belong to different tenants."""
    if not a or not b:
        return []
    return [d for d in a if d in b and a[d] is not None and b[d] is not None and _norm(a[d]) != _norm(b[d])]


def _norm(value: Any) -> str:
    return str(value)


def tenant_labels(registry: ScopeRegistry, wanted: Mapping[str, Any], alias: str) -> dict[str, dict[str, str]]:
    """``{dimension: {str(pk): label}}`` for the tenant pks in ``wanted`` (one query per dimension)."""
    labels: dict[str, dict[str, str]] = {}
    for dim_name, pks in wanted.items():
        dim = registry.dimensions.get(dim_name)
        values = [pk for pk in pks if pk is not None]
        if dim is None or not values:
            continue
        objs = dim.model._base_manager.db_manager(alias).filter(pk__in=values)
        labels[dim_name] = {str(o.pk): dim.label(o) for o in objs}
    return labels
