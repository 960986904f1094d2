"""Scope discovery: which models are scoped, by which dimensions, and what a tenant is.

Runs without configuration on any django-scopes project: every model whose
default manager is a ``ScopedManager`` is found with its dimensions and field
paths; each dimension's tenant model is the model at the end of its path. The
``TENANT_CONSOLE`` setting overrides any guess and adds custom backends.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model, Q

from tenant_console.core.backends import CallableBackend, DjangoScopesBackend, TenantBackend
from tenant_console.core.config import ConsoleConfig
from tenant_console.core.errors import ConsoleError

#: Field names that usually identify a tenant to a human, best first.
PREFERRED_SEARCH_FIELDS = ("slug", "name", "title", "code", "domain", "subdomain", "username", "email", "short_name")
MAX_GUESSED_SEARCH_FIELDS = 4


def model_label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


@dataclass(frozen=True)
class Dimension:
    """One scope dimension (``event``) and its tenant model (``conference.Event``)."""

    name: str
    model: type[Model]
    search_fields: tuple[str, ...]
    label_format: str | None
    backend: TenantBackend
    #: Other dimensions implied by a tenant of this one: ``{"organizer": "organizer"}``
    #: means an event's organiser is reached through the field path ``organizer``.
    implies: dict[str, str] = field(default_factory=dict)

    @property
    def model_label(self) -> str:
        return model_label(self.model)

    def label(self, obj: Model) -> str:
        """A short human label for a tenant, from the label format or the best fields."""
        if self.label_format:
            try:
                return self.label_format.format_map(_FieldGetter(obj))
            except (KeyError, AttributeError, ValueError, IndexError):
                pass
        return default_label(obj)

    def label_fields(self) -> tuple[str, ...]:
        """Concrete field names that the label needs (for ``.only()``/``values()``)."""
        if self.label_format:
            names = {f[1].split(".")[0] for f in string.Formatter().parse(self.label_format) if f[1]}
            return tuple(n for n in names if _has_field(self.model, n)) or ("pk",)
        return tuple(n for n in ("pk", *PREFERRED_SEARCH_FIELDS) if n == "pk" or _has_field(self.model, n))


class _FieldGetter(dict):
    def __init__(self, obj: Model) -> None:
        super().__init__()
        self.obj = obj

    def __missing__(self, key: str) -> Any:
        return getattr(self.obj, key)


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def default_label(obj: Model) -> str:
    """``name (slug)``, ``title``, ... or ``Model #pk`` when nothing better is there."""
    values = [getattr(obj, n, None) for n in ("name", "title") if _has_field(type(obj), n)]
    main = next((str(v) for v in values if v), None)
    slug = getattr(obj, "slug", None) if _has_field(type(obj), "slug") else None
    if main and slug and str(slug) != main:
        return f"{main} ({slug})"
    if main or slug:
        return str(main or slug)
    return f"{type(obj).__name__} #{obj.pk}"


@dataclass(frozen=True)
class ModelScope:
    """How one model is scoped: ``{dimension: field path}`` and which backend does it."""

    model: type[Model]
    paths: dict[str, str]
    backend: TenantBackend

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.paths)


@dataclass
class ScopeRegistry:
    """Everything discovery found, the single source of truth for scope questions."""

    dimensions: dict[str, Dimension]
    scoped: dict[type[Model], ModelScope]
    backends: list[TenantBackend]

    def scope_of(self, model: type[Model]) -> ModelScope | None:
        return self.scoped.get(model) or self.scoped.get(getattr(model._meta, "concrete_model", model))

    def is_scoped(self, model: type[Model]) -> bool:
        return self.scope_of(model) is not None

    def tenant_dimensions_of(self, model: type[Model]) -> list[str]:
        """The dimensions whose tenant model is ``model`` (usually zero or one)."""
        return [d.name for d in self.dimensions.values() if d.model is model]

    def owner(self, dimension: str) -> TenantBackend:
        return self.dimensions[dimension].backend

    @property
    def owners(self) -> dict[str, TenantBackend]:
        return {name: d.backend for name, d in self.dimensions.items()}

    def tenant_q(self, model: type[Model], tenant_pks: Mapping[str, Any]) -> Q | None:
        """A filter selecting ``model``'s rows in the given tenants, or None if it is unscoped.

        Used wherever the scoped manager is bypassed on purpose (base managers,
        graph walks, exports), so isolation is explicit rather than assumed.
        """
        if model in [d.model for d in self.dimensions.values()]:
            q = Q()
            for dim in self.tenant_dimensions_of(model):
                if dim in tenant_pks:
                    q &= Q(pk=tenant_pks[dim])
            return q
        scope = self.scope_of(model)
        if scope is None:
            return None
        q = Q()
        for dim, path in scope.paths.items():
            if dim in tenant_pks:
                q &= Q(**{path: tenant_pks[dim]})
        return q


def _path_target(model: type[Model], path: str) -> type[Model]:
    """The model at the end of a field path such as ``submission__event``."""
    current: type[Model] = model
    for part in path.split("__"):
        try:
            f = current._meta.get_field(part)
        except FieldDoesNotExist:
            raise ConsoleError(
                f"The scope path {path!r} of {model_label(model)} does not resolve: "
                f"{model_label(current)} has no field {part!r}."
            )
        if f.related_model is None:
            return current
        current = f.related_model  # type: ignore[assignment]
    return current


def guess_search_fields(model: type[Model]) -> tuple[str, ...]:
    """CharField/SlugField columns a human would search a tenant by, best first."""
    candidates: list[tuple[int, str]] = []
    for f in model._meta.concrete_fields:
        if not isinstance(f, (models.CharField, models.SlugField, models.EmailField)):
            continue
        if f.choices:
            continue
        try:
            rank = PREFERRED_SEARCH_FIELDS.index(f.name)
        except ValueError:
            rank = len(PREFERRED_SEARCH_FIELDS) + (0 if f.unique else 1)
        candidates.append((rank, f.name))
    return tuple(name for _, name in sorted(candidates)[:MAX_GUESSED_SEARCH_FIELDS])


def _resolve_model(label: str, where: str) -> type[Model]:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        from tenant_console.core.errors import did_you_mean

        labels = [model_label(m) for m in apps.get_models()]
        raise ConsoleError(f"{where} names the model {label!r}, which does not exist.{did_you_mean(label, labels)}")


def _implied(dim: str, model: type[Model], dims: dict[str, type[Model]], scoped: Mapping[type[Model], dict]) -> dict:
    """Which other dimensions a tenant of ``dim`` determines, and through which path."""
    found: dict[str, str] = {}
    own_paths = scoped.get(model, {})
    for other, other_model in dims.items():
        if other == dim:
            continue
        if other in own_paths:
            found[other] = own_paths[other]
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is other_model:
                found[other] = f.name
                break
    return found


def discover(config: ConsoleConfig, models_iter: Iterable[type[Model]] | None = None) -> ScopeRegistry:
    """Build the :class:`ScopeRegistry` for the loaded project."""
    scopes_backend = DjangoScopesBackend()
    backends: list[TenantBackend] = []
    owner: dict[str, TenantBackend] = {}
    scoped: dict[type[Model], dict[str, str]] = {}
    model_backend: dict[type[Model], TenantBackend] = {}

    found = scopes_backend.scoped_models()
    if found:
        backends.append(scopes_backend)
        for model, paths in found.items():
            scoped[model] = dict(paths)
            model_backend[model] = scopes_backend
            for dim in paths:
                owner.setdefault(dim, scopes_backend)

    for dim_config in config.dimensions.values():
        if not dim_config.is_custom_backend:
            continue
        custom = CallableBackend(dim_config)
        backends.append(custom)
        owner[dim_config.name] = custom
        for model, paths in custom.scoped_models().items():
            scoped.setdefault(model, {}).update(paths)
            model_backend.setdefault(model, custom)

    # The tenant model of each dimension: configured, or the end of its paths.
    dim_models: dict[str, type[Model]] = {}
    for dim in owner:
        cfg = config.dimensions.get(dim)
        if cfg and cfg.model:
            dim_models[dim] = _resolve_model(cfg.model, f"TENANT_CONSOLE['DIMENSIONS'][{dim!r}]")
            continue
        targets = {_path_target(m, paths[dim]) for m, paths in scoped.items() if dim in paths}
        if len(targets) != 1:
            names = ", ".join(sorted(model_label(t) for t in targets))
            raise ConsoleError(
                f"The scope dimension {dim!r} leads to several models ({names}); name its tenant model "
                f"in TENANT_CONSOLE['DIMENSIONS'][{dim!r}]['model']."
            )
        dim_models[dim] = targets.pop()

    for dim, cfg in config.dimensions.items():
        if dim not in owner:
            raise ConsoleError(
                f"TENANT_CONSOLE['DIMENSIONS'] configures the dimension {dim!r}, but no ScopedManager uses it "
                f"and it has no 'activate' callable. Known dimensions: {', '.join(sorted(owner)) or 'none'}."
            )

    dimensions: dict[str, Dimension] = {}
    for dim, model in dim_models.items():
        cfg = config.dimensions.get(dim)
        search = cfg.search_fields if cfg and cfg.search_fields is not None else guess_search_fields(model)
        for name in search:
            if not _has_field(model, name):
                raise ConsoleError(
                    f"TENANT_CONSOLE['DIMENSIONS'][{dim!r}]['search_fields'] names {name!r}, "
                    f"but {model_label(model)} has no such field."
                )
        dimensions[dim] = Dimension(
            name=dim,
            model=model,
            search_fields=tuple(search),
            label_format=cfg.label if cfg else None,
            backend=owner[dim],
            implies=_implied(dim, model, dim_models, scoped),
        )

    registry = ScopeRegistry(
        dimensions=dimensions,
        scoped={m: ModelScope(model=m, paths=p, backend=model_backend[m]) for m, p in scoped.items()},
        backends=backends,
    )
    return registry
