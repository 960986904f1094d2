"""The REPL namespace: every model, the usual helpers, and the active tenant.

Like ``shell_plus``: each installed model is importable by its class name; when
two apps define the same name (``auth.Group`` and ``crm.Group``), neither gets
the bare name and both are qualified by their app label (``auth_Group``,
``crm_Group``), so a short name never silently means the wrong table. The active
tenant of each scope dimension is bound to the dimension's name (``event``).

The same builder serves the pane and the headless ``tenant-console shell``.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model

if TYPE_CHECKING:
    from tenant_console.core.project import Project
    from tenant_console.core.session import Session

#: Names the REPL owns; user code may rebind them, but a model never takes one.
HELPER_NAMES = (
    "Q", "F", "Count", "Sum", "Avg", "Min", "Max", "Exists", "OuterRef", "Subquery", "Value", "Prefetch",
    "Case", "When", "Coalesce", "models", "transaction", "timezone", "settings", "connection", "apps",
    "datetime", "timedelta", "date", "Decimal", "uuid", "json", "delete_preview",
)


def helpers(alias: str) -> dict[str, Any]:
    """``Q``, ``F``, aggregates, ``transaction``, ``timezone``, ``settings`` and friends."""
    from django.conf import settings
    from django.db import connections, models, transaction
    from django.db.models import (
        Avg,
        Case,
        Count,
        Exists,
        F,
        Max,
        Min,
        OuterRef,
        Prefetch,
        Q,
        Subquery,
        Sum,
        Value,
        When,
    )
    from django.db.models.functions import Coalesce
    from django.utils import timezone
    from django.utils.connection import ConnectionProxy

    return {
        "Q": Q, "F": F, "Count": Count, "Sum": Sum, "Avg": Avg, "Min": Min, "Max": Max,
        "Exists": Exists, "OuterRef": OuterRef, "Subquery": Subquery, "Value": Value, "Prefetch": Prefetch,
        "Case": Case, "When": When, "Coalesce": Coalesce, "models": models, "transaction": transaction,
        "timezone": timezone, "settings": settings,
        # Resolved per access on the calling thread, for the session's alias (not DEFAULT_DB_ALIAS).
        "connection": ConnectionProxy(connections, alias),
        "apps": apps, "datetime": datetime.datetime, "timedelta": datetime.timedelta, "date": datetime.date,
        "Decimal": decimal.Decimal, "uuid": uuid, "json": json,
    }


def model_names(models_iter: Iterable[type[Model]] | None = None,
                reserved: Iterable[str] = HELPER_NAMES) -> dict[str, type[Model]]:
    """``{name: model}``; clashing class names are qualified as ``<app_label>_<Name>``."""
    all_models = list(models_iter if models_iter is not None else apps.get_models())
    by_name: dict[str, list[type[Model]]] = defaultdict(list)
    for model in all_models:
        by_name[model.__name__].append(model)
    reserved = set(reserved)
    names: dict[str, type[Model]] = {}
    for name, group in by_name.items():
        if len(group) == 1 and name not in reserved:
            names[name] = group[0]
            continue
        for model in group:
            names[f"{model._meta.app_label}_{name}"] = model
    return dict(sorted(names.items()))


@dataclass
class NamespaceInfo:
    """What the builder put in, so a banner or ``:help`` can list it."""

    models: dict[str, type[Model]] = field(default_factory=dict)
    qualified: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    tenants: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{len(self.models)} models auto-imported"]
        if self.qualified:
            parts.append("clashing names qualified: " + ", ".join(self.qualified))
        if self.tenants:
            parts.append("tenant " + ", ".join(f"{dim}={label}" for dim, label in self.tenants.items()))
        return "; ".join(parts)


def build_namespace(project: Project, session: Session | None = None, *,
                    alias: str | None = None, extra: Mapping[str, Any] | None = None,
                    info: NamespaceInfo | None = None) -> dict[str, Any]:
    """A fresh namespace for ``project``: models, helpers, and the session's tenants.

    The tenant instances come from ``session.tenants``; call this (or
    :func:`bind_tenants`) on the session thread, where those instances live.
    """
    alias = alias or (session.alias if session is not None else project.alias)
    ns: dict[str, Any] = {"__name__": "__console__", "__doc__": None, "__builtins__": __builtins__}
    ns.update(helpers(alias))
    models = model_names()
    ns.update(models)
    if info is not None:
        info.models = models
        info.qualified = [n for n, m in models.items() if n != m.__name__]
        info.helpers = [n for n in HELPER_NAMES if n in ns]
    if session is not None:
        bind_tenants(ns, project, session.tenants, disabled=session.scope.disabled, info=info)
        ns["delete_preview"] = _delete_preview(project, session, alias)
        if info is not None and "delete_preview" not in info.helpers:
            info.helpers.append("delete_preview")
    if extra:
        ns.update(extra)
    return ns


def bind_tenants(ns: MutableMapping[str, Any], project: Project, tenants: Mapping[str, Model], *,
                 disabled: bool = False, info: NamespaceInfo | None = None) -> None:
    """Bind each dimension's name to its active tenant; unbind dimensions without one.

    User variables are left alone, except those named after a dimension, which
    are the tenant by contract (``event`` always means the scope's event).
    """
    for dim, dimension in project.registry.dimensions.items():
        tenant = None if disabled else tenants.get(dim)
        if tenant is None:
            ns.pop(dim, None)
        else:
            ns[dim] = tenant
        if info is not None:
            if tenant is None:
                info.tenants.pop(dim, None)
            else:
                info.tenants[dim] = dimension.label(tenant)


def _delete_preview(project: Project, session: Session, alias: str) -> Any:
    from tenant_console.core.delete import preview_delete, roots_in_tenant, roots_of_queryset

    def delete_preview(target: Any) -> Any:
        """What deleting ``target`` (an object, a queryset, or a list of objects) would do in this tenant.

        The same preview as the console's ``d`` and ``tenant-console delete``: rows
        deleted and changed per model, blockers, rows of other tenants. Deletes nothing.
        """
        from django.db.models import Model, QuerySet

        tenant_pks = {dim: t.pk for dim, t in session.tenants.items()}
        if isinstance(target, QuerySet):
            roots = roots_of_queryset(project.registry, alias, tenant_pks, target)
        else:
            objs = [target] if isinstance(target, Model) else list(target)
            wanted: dict[type[Model], list[Any]] = {}
            for obj in objs:
                if not isinstance(obj, Model):
                    raise TypeError(f"delete_preview() takes objects or a queryset, not {type(obj).__name__}")
                wanted.setdefault(type(obj), []).append(obj.pk)
            roots = roots_in_tenant(project.registry, alias, tenant_pks, wanted)
        return preview_delete(project.registry, alias, tenant_pks, roots)

    return delete_preview
