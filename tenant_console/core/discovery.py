"""Scope discovery: which models are scoped, by which dimensions, and what a tenant is.

Runs without configuration on any django-scopes project: every model with a
``ScopedManager`` (its default manager, or a secondary one such as
``profiles``) is found with its dimensions and field paths; each dimension's
tenant model is the model at the end of its path. Models without a
``ScopedManager`` whose rows belong to a tenant through foreign keys are
*owned* (see :mod:`tenant_console.core.tenancy.ownership`). The
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
from tenant_console.core.config import ConsoleConfig, DimensionConfig
from tenant_console.core.errors import ConsoleError, did_you_mean
from tenant_console.core.notices import Notice
from tenant_console.core.tenancy.ownership import Kind, Source, Verdict, configured_owned, infer

#: Field names that usually identify a tenant to a human, best first.
PREFERRED_SEARCH_FIELDS = (
    "slug", "name", "title", "code", "domain", "subdomain", "username", "email", "short_name",
)
MAX_GUESSED_SEARCH_FIELDS = 4
#: Text columns that must never be offered as tenant search fields (nor shown in results).
SECRET_NAME_PARTS = ("password", "secret", "token", "api_key", "private_key", "passphrase")


def looks_secret(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


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
        return default_label(obj, self.search_fields)

    def label_fields(self) -> tuple[str, ...]:
        """Concrete field names that the label needs (for ``.only()``/``values()``)."""
        if self.label_format:
            parsed = string.Formatter().parse(self.label_format)
            used = [f[1].split(".")[0].split("[")[0] for f in parsed if f[1]]
            return tuple(dict.fromkeys(n for n in used if _has_field(self.model, n))) or ("pk",)
        names = ("pk", *PREFERRED_SEARCH_FIELDS, *self.search_fields)
        return tuple(dict.fromkeys(n for n in names if n == "pk" or _has_field(self.model, n)))


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


def default_label(obj: Model, search_fields: tuple[str, ...] = ()) -> str:
    """``name (slug)``, ``title``, the first search field, or ``Model #pk`` when nothing better is there."""
    values = [getattr(obj, n, None) for n in ("name", "title") if _has_field(type(obj), n)]
    main = next((str(v) for v in values if v), None)
    slug = getattr(obj, "slug", None) if _has_field(type(obj), "slug") else None
    if main and slug and str(slug) != main:
        return f"{main} ({slug})"
    if main or slug:
        return str(main or slug)
    for name in search_fields:
        value = getattr(obj, name, None)
        if value:
            return str(value)
    return f"{type(obj).__name__} #{obj.pk}"


@dataclass(frozen=True)
class ModelScope:
    """How one model's rows belong to tenants: ``{dimension: field path}``.

    For a scoped model (``kind == "scoped"``) the backend's manager does the
    scoping; for an owned one (``kind == "owned"``) nothing in the project
    does, and the console applies the paths itself. Either way the console
    filters explicitly (``ScopeRegistry.tenant_q``) over the base manager.
    """

    model: type[Model]
    paths: dict[str, str]
    backend: TenantBackend | None
    #: Name of the manager that does the scoping (``objects``, or a secondary one such as ``profiles``).
    manager: str = ""
    kind: str = "scoped"
    source: str = "scoped manager"
    #: For owned models: the chain of links to the tenant (``order__event__organizer``).
    via: str = ""

    @property
    def owned(self) -> bool:
        return self.kind == "owned"

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.paths)


@dataclass
class ScopeRegistry:
    """Everything discovery found, the single source of truth for scope questions."""

    dimensions: dict[str, Dimension]
    #: Models with a ScopedManager (or listed by a custom backend).
    scoped: dict[type[Model], ModelScope]
    backends: list[TenantBackend]
    #: Things a user should know about the discovered scoping (printed when a project opens).
    warnings: list[str] = field(default_factory=list)
    #: Models without a ScopedManager whose rows belong to a tenant (inferred or configured).
    owned: dict[type[Model], ModelScope] = field(default_factory=dict)
    #: Every concrete model's verdict (tenant, scoped, owned, ambiguous, shared) and where it comes from.
    verdicts: dict[type[Model], Verdict] = field(default_factory=dict)

    def scope_of(self, model: type[Model]) -> ModelScope | None:
        """How ``model``'s rows belong to tenants (scoped or owned), or None for a shared model."""
        concrete = getattr(model._meta, "concrete_model", model) or model
        return (self.scoped.get(model) or self.scoped.get(concrete)
                or self.owned.get(model) or self.owned.get(concrete))

    def is_scoped(self, model: type[Model]) -> bool:
        """Whether ``model``'s rows belong to tenants (a ScopedManager or owned): filter them by tenant."""
        return self.scope_of(model) is not None

    def is_owned(self, model: type[Model]) -> bool:
        scope = self.scope_of(model)
        return scope is not None and scope.owned

    def verdict(self, model: type[Model]) -> Verdict:
        """The model's verdict; a model discovery did not see (an auto-created table) is shared."""
        concrete = getattr(model._meta, "concrete_model", model) or model
        found = self.verdicts.get(model) or self.verdicts.get(concrete)
        return found or Verdict(concrete, Kind.SHARED, Source.INFERRED)

    def in_tenant_models(self) -> list[type[Model]]:
        """Tenant, scoped and owned models: everything a tenant's data consists of."""
        return [m for m, v in self.verdicts.items() if v.kind in (Kind.TENANT, Kind.SCOPED, Kind.OWNED)]

    def tenant_dimensions_of(self, model: type[Model]) -> list[str]:
        """The dimensions whose tenant model is ``model`` (usually zero or one)."""
        return [d.name for d in self.dimensions.values() if d.model is model]

    def owner(self, dimension: str) -> TenantBackend:
        return self.dimensions[dimension].backend

    @property
    def owners(self) -> dict[str, TenantBackend]:
        return {name: d.backend for name, d in self.dimensions.items()}

    def tenant_paths(self, model: type[Model], dimensions: Iterable[str]) -> list[tuple[str, str]] | None:
        """``[(dimension, field path)]`` from ``model`` to the tenant of each given dimension it reaches.

        None when the model's rows belong to no tenant (shared). The paths are
        its scope or ownership paths, ``pk`` when it is a tenant model itself,
        and the paths through which it or its tenant implies other dimensions
        (with only ``organizer`` chosen, the shows and a workspace's notes are
        those of that organizer, not all of them). A dimension may appear twice
        (a show reaches its organizer as scope path and as implied path).
        """
        wanted = set(dimensions)
        scope = self.scope_of(model)
        tenant_of = self.tenant_dimensions_of(model)
        if scope is None and not tenant_of:
            return None
        found: list[tuple[str, str]] = []
        for dim in tenant_of:
            if dim in wanted:
                found.append((dim, "pk"))
            for other, path in self.dimensions[dim].implies.items():
                if other in wanted:
                    found.append((other, path))
        own_paths = scope.paths if scope else {}
        for dim, path in own_paths.items():
            if dim in wanted:
                found.append((dim, path))
            # Through its tenant, the model reaches the dimensions that tenant implies
            # (a note's workspace belongs to an organizer: note -> workspace__account).
            for other, implied_path in self.dimensions[dim].implies.items() if dim in self.dimensions else ():
                if other in wanted and other not in own_paths:
                    found.append((other, f"{path}__{implied_path}"))
        return list(dict.fromkeys(found))

    def owner_paths(self, model: type[Model]) -> tuple[tuple[str, str], ...]:
        """One ``(dimension, path)`` per dimension ``model``'s rows belong to, sorted; ``()`` when shared.

        What ``values_list`` reads to learn a row's tenants (graph walks, the
        isolation audit, the REPL's other-tenant warning): the same paths as
        :meth:`tenant_paths` over every dimension, the first one per dimension.
        """
        first: dict[str, str] = {}
        for dim, path in self.tenant_paths(model, self.dimensions) or ():
            first.setdefault(dim, path)
        return tuple(sorted(first.items()))

    def tenant_q(self, model: type[Model], tenant_pks: Mapping[str, Any]) -> Q | None:
        """A filter selecting ``model``'s rows in the given tenants, or None if it is shared.

        The one definition of "this row belongs to these tenants", used wherever
        the console reads rows (through base managers, so isolation is explicit
        rather than assumed): browse, counts, graph walks, audits, exports. An
        empty ``Q()`` means no given dimension concerns the model.
        """
        paths = self.tenant_paths(model, tenant_pks)
        if paths is None:
            return None
        q = Q()
        for dim, path in paths:
            q &= Q(**{path: tenant_pks[dim]})
        return q


def _same_model(a: type[Model], b: type[Model]) -> bool:
    """True for the same table or an inheritance/proxy relation between the two."""
    return a._meta.concrete_model is b._meta.concrete_model or issubclass(a, b) or issubclass(b, a)


def _field_names(model: type[Model]) -> list[str]:
    return [f.name for f in model._meta.get_fields()]


def _path_target(model: type[Model], path: str, where: str = "") -> type[Model]:
    """The model at the end of a field path such as ``submission__event``."""
    current: type[Model] = model
    for part in path.split("__"):
        try:
            f = current._meta.get_field(part)
        except FieldDoesNotExist:
            source = where or f"The scope path {path!r} of {model_label(model)}"
            raise ConsoleError(
                f"{source} does not resolve: {model_label(current)} has no field {part!r}."
                f"{did_you_mean(part, _field_names(current))}"
            )
        if f.related_model is None:
            return current
        current = f.related_model  # type: ignore[assignment]
    return current


#: Name-like parts of a text column's name: a ``TextField`` is only searched when its name says it
#: holds what a person types to find a tenant (translatable names are TextFields: django-i18nfield).
NAME_LIKE_PARTS = ("name", "title")


def _is_search_candidate(f: Any) -> bool:
    if f.choices or f.is_relation or looks_secret(f.name):
        return False
    if isinstance(f, models.CharField):
        return True
    # A TextField (or subclass: a translatable field storing JSON text) only when it is a name.
    return isinstance(f, models.TextField) and (
        f.name in PREFERRED_SEARCH_FIELDS or any(part in f.name.lower() for part in NAME_LIKE_PARTS))


def guess_search_fields(model: type[Model]) -> tuple[str, ...]:
    """Text columns a human would search a tenant by, best first.

    CharField/SlugField/EmailField columns, and text columns named like a name or title
    (a translatable name is a TextField holding JSON). Choice fields (a plan, a status)
    and secrets are left out; unique columns rank before others because a unique match
    identifies one tenant.
    """
    candidates: list[tuple[int, str]] = []
    for f in model._meta.concrete_fields:
        if not _is_search_candidate(f):
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
        labels = [model_label(m) for m in apps.get_models()]
        raise ConsoleError(
            f"{where} names the model {label!r}, which does not exist.{did_you_mean(label, labels)}"
        )


def _check_search_fields(cfg: DimensionConfig, model: type[Model]) -> None:
    for name in cfg.search_fields or ():
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:
            names = [f.name for f in model._meta.concrete_fields]
            raise ConsoleError(
                f"{cfg.where('search_fields')} names {name!r}, but {model_label(model)} has no such field."
                f"{did_you_mean(name, names)} Its fields are {', '.join(names)}."
            )
        if not getattr(f, "concrete", False) or f.is_relation:
            raise ConsoleError(
                f"{cfg.where('search_fields')} names {name!r}, which is a relation of {model_label(model)}, "
                "not a column; search fields must be columns of the tenant model (such as slug or name)."
            )


def _check_label(cfg: DimensionConfig, model: type[Model]) -> None:
    if not cfg.label:
        return
    for parsed in string.Formatter().parse(cfg.label):
        if not parsed[1]:
            continue
        root = parsed[1].split(".")[0].split("[")[0]
        if _has_field(model, root) or hasattr(model, root) or root == "pk":
            continue
        names = [f.name for f in model._meta.concrete_fields]
        raise ConsoleError(
            f"{cfg.where('label')} {cfg.label!r} uses {{{root}}}, but {model_label(model)} has no field or "
            f"attribute {root!r}.{did_you_mean(root, names)}"
        )


def _implied(dim: str, model: type[Model], dims: dict[str, type[Model]],
             scoped: Mapping[type[Model], dict[str, str]]) -> dict[str, str]:
    """Which other dimensions a tenant of ``dim`` determines, and through which path.

    A show scoped by ``organizer='account'`` implies its organizer through
    ``account``; so does a tenant model with a plain foreign key to another
    dimension's tenant model.
    """
    found: dict[str, str] = {}
    own_paths = scoped.get(model, {})
    for other, other_model in dims.items():
        if other == dim:
            continue
        if other in own_paths:
            found[other] = own_paths[other]
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is not None and _same_model(f.related_model, other_model):
                found[other] = f.name
                break
    return found


def discover(config: ConsoleConfig) -> ScopeRegistry:
    """Build the :class:`ScopeRegistry` for the loaded project.

    Every inconsistency between the setting and the models is a
    :class:`ConsoleError` naming the setting key: a console that guessed past a
    wrong setting would scope the wrong way.
    """
    scopes_backend = DjangoScopesBackend()
    backends: list[TenantBackend] = []
    owner: dict[str, TenantBackend] = {}
    scoped: dict[type[Model], dict[str, str]] = {}
    model_backend: dict[type[Model], TenantBackend] = {}
    warnings: list[str] = []

    found = scopes_backend.scoped_models()
    if found:
        backends.append(scopes_backend)
        for model, paths in found.items():
            scoped[model] = dict(paths)
            model_backend[model] = scopes_backend
            for dim in paths:
                owner.setdefault(dim, scopes_backend)
    manager_names: dict[type[Model], str] = {
        m: m._meta.default_manager.name for m in scoped if m._meta.default_manager is not None
    }
    secondary = scopes_backend.secondary_scoped_managers()
    for model, managers in sorted(secondary.items(), key=lambda i: model_label(i[0])):
        name, paths = managers[0]
        scoped[model] = dict(paths)
        model_backend[model] = scopes_backend
        manager_names[model] = name
        for dim in paths:
            owner.setdefault(dim, scopes_backend)
        if scopes_backend not in backends:
            backends.append(scopes_backend)
        default = model._meta.default_manager.name if model._meta.default_manager else "?"
        others = [n for n, p in managers[1:] if p != paths]
        extra = f"; its other ScopedManager(s) {', '.join(others)} scope differently and are not used" if others else ""
        warnings.append(
            f"{model_label(model)} is scoped by its ScopedManager {name!r}, not by its default manager "
            f"{default!r}: code using {default!r} sees every tenant's rows; the console filters by the paths of "
            f"{name!r}{extra}."
        )

    custom_dims = [d for d in config.dimensions.values() if d.is_custom_backend]
    for dim_config in custom_dims:
        if dim_config.name in owner:
            users = sorted(model_label(m) for m, p in scoped.items() if dim_config.name in p)
            more = f" and {len(users) - 5} more" if len(users) > 5 else ""
            raise ConsoleError(
                f"{dim_config.where('activate')} makes {dim_config.name!r} a custom tenant backend, but "
                f"django-scopes already uses that dimension (ScopedManager of {', '.join(users[:5])}{more}). "
                "Remove 'activate' to keep django-scopes, or give the custom dimension another name."
            )
        custom = CallableBackend(dim_config)
        backends.append(custom)
        owner[dim_config.name] = custom
        for model, paths in custom.scoped_models().items():
            scoped.setdefault(model, {}).update(paths)
            model_backend.setdefault(model, custom)

    for dim, dim_cfg in config.dimensions.items():
        if dim not in owner:
            known = sorted(owner)
            raise ConsoleError(
                f"{dim_cfg.where()} configures the dimension {dim!r}, but no ScopedManager uses it and "
                f"it has no 'activate' callable, so nothing activates it.{did_you_mean(dim, known)} "
                f"Known dimensions: {', '.join(known) or 'none'}."
            )

    # The tenant model of each dimension: configured, or the end of its paths.
    dim_models: dict[str, type[Model]] = {}
    for dim in owner:
        cfg = config.dimensions.get(dim)
        paths_of = {m: paths[dim] for m, paths in scoped.items() if dim in paths}
        targets = {m: _path_target(m, path, _path_source(m, path, dim, owner[dim], cfg))
                   for m, path in paths_of.items()}
        if cfg and cfg.model:
            tenant = _resolve_model(cfg.model, cfg.where("model"))
            for m, target in sorted(targets.items(), key=lambda i: model_label(i[0])):
                if not _same_model(target, tenant):
                    source = _path_source(m, paths_of[m], dim, owner[dim], cfg)
                    raise ConsoleError(
                        f"{source} leads to {model_label(target)}, "
                        f"but the tenant model of {dim!r} is {model_label(tenant)} "
                        f"({cfg.where('model')}); the path must end at the tenant."
                    )
            dim_models[dim] = tenant
            continue
        distinct: set[type[Model]] = {t._meta.concrete_model or t for t in targets.values()}
        if len(distinct) != 1:
            tenant_names = ", ".join(sorted(model_label(t) for t in distinct))
            raise ConsoleError(
                f"The scope dimension {dim!r} leads to several models ({tenant_names}); name its "
                f"tenant model in TENANT_CONSOLE['DIMENSIONS'][{dim!r}]['model']."
            )
        dim_models[dim] = distinct.pop()

    dimensions: dict[str, Dimension] = {}
    for dim, model in dim_models.items():
        cfg = config.dimensions.get(dim)
        if cfg is not None:
            _check_search_fields(cfg, model)
            _check_label(cfg, model)
        search = cfg.search_fields if cfg and cfg.search_fields is not None else guess_search_fields(model)
        if not search:
            warnings.append(
                f"The tenant model {model_label(model)} of {dim!r} has no text column to search by; tenants "
                f"are found by primary key only (set TENANT_CONSOLE['DIMENSIONS'][{dim!r}]['search_fields'])."
            )
        dimensions[dim] = Dimension(
            name=dim,
            model=model,
            search_fields=tuple(search),
            label_format=cfg.label if cfg else None,
            backend=owner[dim],
            implies=_implied(dim, model, dim_models, scoped),
        )

    for m in scoped:
        if m not in manager_names and m._meta.default_manager is not None:
            manager_names[m] = m._meta.default_manager.name
    scopes = {m: ModelScope(model=m, paths=p, backend=model_backend[m], manager=manager_names.get(m, ""),
                            source=(Source.SCOPED_MANAGER if model_backend[m] is scopes_backend
                                    else Source.CUSTOM_BACKEND).value)
              for m, p in scoped.items()}
    verdicts, owned = _ownership(config, dimensions, scopes)
    ambiguous = sorted((v for v in verdicts.values() if v.kind is Kind.AMBIGUOUS), key=lambda v: model_label(v.model))
    if ambiguous and dimensions:
        listed = "; ".join(f"{model_label(v.model)} ({v.reason})" for v in ambiguous[:8])
        more = f"; and {len(ambiguous) - 8} more (see 'models')" if len(ambiguous) > 8 else ""
        warnings.append(Notice(
            f"{len(ambiguous)} model(s) may belong to a tenant but the console cannot tell which way, so they are "
            f"treated as shared (left out of tenant exports): {listed}{more}. Declare them in "
            "TENANT_CONSOLE['OWNED'] (with the path to the tenant) or TENANT_CONSOLE['SHARED'].",
            short=f"{len(ambiguous)} model(s) may belong to a tenant and are treated as shared (left out of tenant "
                  "exports); `tenant-console models` lists them and why.",
        ))
    return ScopeRegistry(
        dimensions=dimensions,
        scoped=scopes,
        backends=backends,
        warnings=warnings,
        owned=owned,
        verdicts=verdicts,
    )


def _ownership(config: ConsoleConfig, dimensions: Mapping[str, Dimension],
               scoped: Mapping[type[Model], ModelScope]) -> tuple[dict[type[Model], Verdict],
                                                                  dict[type[Model], ModelScope]]:
    """Every concrete model's verdict, and the owned models' scopes (inferred and configured)."""
    tenant_anchor: dict[type[Model], dict[str, str]] = {}
    for dim in dimensions.values():
        concrete = dim.model._meta.concrete_model or dim.model
        anchor = tenant_anchor.setdefault(concrete, {})
        anchor[dim.name] = ""
        for other, path in dim.implies.items():
            anchor.setdefault(other, path)
    anchors: dict[type[Model], dict[str, str]] = {}
    for m, scope in scoped.items():
        anchors[m._meta.concrete_model or m] = dict(scope.paths)
    for m, paths in tenant_anchor.items():
        anchors[m] = {**anchors.get(m, {}), **paths}

    verdicts: dict[type[Model], Verdict] = {}
    for m, scope in scoped.items():
        verdicts[m] = Verdict(m, Kind.SCOPED, Source(scope.source), dict(scope.paths), manager=scope.manager)
    for m in tenant_anchor:
        verdicts[m] = Verdict(m, Kind.TENANT, Source.DIMENSION, {d: p for d, p in tenant_anchor[m].items() if p})

    manager_scoped = {m._meta.concrete_model or m for m in scoped}
    configured = configured_owned(config.owned, _resolve_model, anchors.get, manager_scoped)
    shared: set[type[Model]] = set()
    for label in config.shared:
        model = _resolve_model(label, "TENANT_CONSOLE['SHARED']")
        model = model._meta.concrete_model or model
        if model in manager_scoped or model in tenant_anchor:
            what = "has a ScopedManager" if model in manager_scoped else "is a tenant model"
            raise ConsoleError(
                f"TENANT_CONSOLE['SHARED'] lists {label}, which {what}; only models without a ScopedManager "
                "can be declared shared. Remove the entry."
            )
        shared.add(model)
        verdicts[model] = Verdict(model, Kind.SHARED, Source.CONFIGURED)
    verdicts.update(configured)
    all_anchors = {**anchors, **{m: v.paths for m, v in configured.items()}}
    candidates = [m for m in apps.get_models() if not m._meta.proxy and (m._meta.concrete_model or m) not in verdicts]
    if dimensions:
        verdicts.update(infer(candidates, all_anchors, shared))
    else:
        verdicts.update({m: Verdict(m, Kind.SHARED, Source.INFERRED) for m in candidates})
    owned = {m: ModelScope(model=m, paths=dict(v.paths), backend=None, kind="owned", source=v.source.value,
                           via=v.via)
             for m, v in verdicts.items() if v.kind is Kind.OWNED}
    return verdicts, owned


def _path_source(model: type[Model], path: str, dim: str, backend: TenantBackend,
                 cfg: DimensionConfig | None) -> str:
    """Where a scope path comes from, for error messages."""
    if isinstance(backend, CallableBackend) and cfg is not None:
        return f"{cfg.where('scoped_models')}[{model_label(model)!r}] = {path!r}"
    manager = model._meta.default_manager.name if model._meta.default_manager else "objects"
    return f"The scope path {path!r} of dimension {dim!r} on {model_label(model)}.{manager} (ScopedManager)"


def fill_implied(registry: ScopeRegistry, tenants: Mapping[str, Model], alias: str) -> dict[str, Model]:
    """Add the tenants implied by the chosen ones (a show's organizer), and refuse contradictions.

    Runs until nothing new is implied (an implied tenant may imply another).
    Choosing a show of one organizer together with another organizer (or a
    workspace of another organizer) is a :class:`ScopeSelectionError`: such a
    scope would silently show nothing, or worse, mix tenants in custom backends.
    Call on a session thread (it queries with base managers).
    """
    from tenant_console.core.errors import ScopeSelectionError

    result = dict(tenants)
    reasons: dict[str, str] = {dim: "chosen" for dim in result}
    pending = list(result)
    while pending:
        dim = pending.pop(0)
        tenant = result[dim]
        dimension = registry.dimensions[dim]
        for other, path in dimension.implies.items():
            other_dim = registry.dimensions[other]
            pk = (type(tenant)._base_manager.using(alias).filter(pk=tenant.pk)
                  .values_list(path, flat=True).first())
            if pk is None:
                continue
            implied = other_dim.model._base_manager.using(alias).get(pk=pk)
            if other in result:
                chosen = result[other]
                if chosen.pk != implied.pk:
                    raise ScopeSelectionError(
                        f"The {dim} {dimension.label(tenant)!r} belongs to the {other} "
                        f"{other_dim.label(implied)!r}, but the {other} {other_dim.label(chosen)!r} "
                        f"({reasons[other]}) is also in the selection. Choose tenants that belong together, "
                        f"or only the {dim}."
                    )
                continue
            result[other] = implied
            reasons[other] = f"implied by the {dim} {dimension.label(tenant)!r}"
            pending.append(other)
    return result
