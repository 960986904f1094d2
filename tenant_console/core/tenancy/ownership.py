"""Which tables belong to a tenant although they carry no ``ScopedManager``.

Real django-scopes projects put a ``ScopedManager`` on a few models and reach
most tenant data through foreign keys: a pretix transaction belongs to its
order, which belongs to an event, which belongs to an organizer. This module
decides, once, for every model without a ``ScopedManager``:

* **owned** -- every row reaches a tenant through one non-nullable foreign key
  or one-to-one (followed until a tenant model, a scoped model or another owned
  model), so its tenant is certain. The path (``order__event__organizer``) is
  an ordinary ORM lookup, used to filter the model's rows explicitly.
* **ambiguous** -- it could belong to a tenant but the console cannot say
  which way: the only links are nullable (a row may belong to nobody), or
  several non-nullable links lead to tenant data and none is the parent (see
  below), or the only link is a generic foreign key (its target differs per
  row, so no single lookup filters it). Treated as shared, and reported.
* **shared** -- no link to tenant data at all (countries, users, content types).

Where several non-nullable links lead to tenant data, the one whose
``on_delete`` is ``CASCADE`` wins when it is the only one: the row is deleted
with that parent, so it is part of it, and the others (usually ``PROTECT``)
are references to other tenant rows, which the isolation audit checks. An
order position (``order`` CASCADE, ``item`` PROTECT) is owned via its order.

``TENANT_CONSOLE["OWNED"]`` declares a model's path where inference cannot
tell (or overrides it); ``TENANT_CONSOLE["SHARED"]`` refuses ownership. Both
are validated against the models: a wrong name or a path that does not end at
a tenant model is an error naming the key.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model

from tenant_console.core.errors import ConsoleError, did_you_mean


class Kind(str, enum.Enum):
    """What a model is to the tenancy layer."""

    TENANT = "tenant"  # a tenant model of a dimension (organizer, event)
    SCOPED = "scoped"  # carries a ScopedManager (or is listed by a custom backend)
    OWNED = "owned"  # no ScopedManager, but every row belongs to exactly one tenant
    AMBIGUOUS = "ambiguous"  # might belong to a tenant; cannot tell which way: treated as shared
    SHARED = "shared"  # between tenants


class Source(str, enum.Enum):
    """Where a verdict comes from (shown by ``models --json``)."""

    SCOPED_MANAGER = "scoped manager"
    CUSTOM_BACKEND = "custom backend"
    INFERRED = "inferred"
    CONFIGURED = "configured"
    DIMENSION = "dimension"  # the model at the end of a dimension's scope paths


@dataclass(frozen=True)
class Verdict:
    """How one model relates to the tenants."""

    model: type[Model]
    kind: Kind
    source: Source
    #: ``{dimension: field path to its tenant}`` for scoped and owned models.
    paths: dict[str, str] = field(default_factory=dict)
    #: For owned models: the chain followed to the tenant (``order__event__organizer``).
    via: str = ""
    #: For ambiguous models (and inferred shared ones with links): why, for people.
    reason: str = ""
    #: The scoping manager's name (``objects``, or a secondary one such as ``profiles``).
    manager: str = ""

    @property
    def belongs_to_tenant(self) -> bool:
        return self.kind in (Kind.SCOPED, Kind.OWNED)

    def describe(self) -> str:
        """``owned via order__event__organizer (inferred)`` for people."""
        if self.kind is Kind.OWNED:
            return f"owned via {self.via} ({self.source.value})"
        if self.kind is Kind.SCOPED:
            manager = f" {self.manager}" if self.manager and self.manager != "objects" else ""
            return f"scoped{manager} ({self.source.value})"
        if self.kind is Kind.AMBIGUOUS:
            return f"ambiguous: {self.reason}"
        if self.kind is Kind.SHARED and self.source is Source.CONFIGURED:
            return "shared (configured)"
        return self.kind.value


def label_of(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _concrete(model: type[Model]) -> type[Model]:
    return model._meta.concrete_model or model  # type: ignore[return-value]


def _join(first: str, rest: str) -> str:
    return f"{first}__{rest}" if rest else first


@dataclass(frozen=True)
class _Edge:
    field: Any
    target: type[Model]

    @property
    def name(self) -> str:
        return str(self.field.name)

    @property
    def cascade(self) -> bool:
        return getattr(self.field.remote_field, "on_delete", None) is models.CASCADE

    @property
    def parent_link(self) -> bool:
        return bool(getattr(self.field.remote_field, "parent_link", False))


def _edges(model: type[Model]) -> tuple[list[_Edge], list[_Edge], list[str]]:
    """(non-nullable FK/one-to-ones, nullable ones, generic foreign key names) declared on ``model``."""
    from django.contrib.contenttypes.fields import GenericForeignKey

    strong: list[_Edge] = []
    weak: list[_Edge] = []
    for f in model._meta.local_fields:
        if not f.is_relation or f.related_model is None or not (f.many_to_one or f.one_to_one):
            continue
        edge = _Edge(f, _concrete(f.related_model))  # type: ignore[arg-type]
        (weak if f.null else strong).append(edge)
    generic = [f.name for f in model._meta.private_fields if isinstance(f, GenericForeignKey)]
    return strong, weak, generic


@dataclass(frozen=True)
class _Option:
    """One way a model reaches a tenant: a non-nullable link and the paths it gives."""

    edge: _Edge
    paths: dict[str, str]
    via: str
    index: int

    @property
    def dims(self) -> frozenset[str]:
        return frozenset(self.paths)


def infer(
    candidates: Iterable[type[Model]],
    anchor_paths: Mapping[type[Model], dict[str, str]],
    configured_shared: set[type[Model]],
) -> dict[type[Model], Verdict]:
    """Verdicts (owned, ambiguous, shared) for ``candidates``, the models without a ScopedManager.

    ``anchor_paths`` maps every model already known to belong to tenants (tenant
    models, scoped and configured-owned ones) to ``{dimension: path}`` from it
    (an empty path for a tenant model itself). A model's options are its
    non-nullable links whose target resolves (recursively) to a tenant; an
    ambiguous target is no option, and a cycle of links reaches no tenant.
    """
    todo = sorted({_concrete(m) for m in candidates} - set(anchor_paths) - configured_shared, key=label_of)
    inference = _Inference({m: _edges(m) for m in todo}, anchor_paths)
    verdicts: dict[type[Model], Verdict] = {}
    for m in todo:
        inference.resolve(m)
        choice, reason = inference.done[m]
        if choice is not None:
            verdicts[m] = Verdict(m, Kind.OWNED, Source.INFERRED, choice.paths, via=choice.via, reason=reason)
            continue
        verdicts[m] = Verdict(m, Kind.AMBIGUOUS if reason else Kind.SHARED, Source.INFERRED, reason=reason)
    return verdicts


class _Inference:
    def __init__(self, info: Mapping[type[Model], tuple[list[_Edge], list[_Edge], list[str]]],
                 anchors: Mapping[type[Model], dict[str, str]]) -> None:
        self.info = info
        self.anchors = anchors
        self.done: dict[type[Model], tuple[_Option | None, str]] = {}
        self.visiting: set[type[Model]] = set()

    def via_of(self, m: type[Model]) -> str:
        if m in self.anchors:
            tail = self.anchors[m]
            return max(tail.values(), key=lambda p: p.count("__") + 1 if p else 0, default="")
        choice = self.done[m][0]
        assert choice is not None
        return choice.via

    def resolve(self, m: type[Model]) -> dict[str, str] | None:
        if m in self.anchors:
            return self.anchors[m]
        if m in self.done:
            choice = self.done[m][0]
            return choice.paths if choice is not None else None
        if m not in self.info or m in self.visiting:
            return None  # shared by configuration, not a candidate, or a cycle of links
        self.visiting.add(m)
        options: list[_Option] = []
        for index, edge in enumerate(self.info[m][0]):
            below = self.resolve(edge.target)
            if below is None:
                continue
            paths = {dim: _join(edge.name, path) for dim, path in below.items()}
            options.append(_Option(edge, paths, _join(edge.name, self.via_of(edge.target)), index))
        self.visiting.discard(m)
        if options:
            self.done[m] = _choose(options)
        else:
            self.done[m] = (None, "")  # provisional: explaining may resolve models that link back here
            self.done[m] = (None, self._why_not(m))
        choice = self.done[m][0]
        return choice.paths if choice is not None else None

    def _ambiguous(self, m: type[Model]) -> bool:
        entry = self.done.get(m)
        return entry is not None and entry[0] is None and bool(entry[1])

    def _why_not(self, m: type[Model]) -> str:
        """Why ``m`` is not owned although it links to tenant data; empty when it links to none."""
        strong, weak, generic = self.info[m]
        via_ambiguous = [e for e in strong if self._ambiguous(e.target)]
        if via_ambiguous:
            names = ", ".join(f"{e.name} → {label_of(e.target)}" for e in via_ambiguous)
            return f"its links lead only to ambiguous models ({names})"
        weak_in = [e for e in weak if e.target is not m and self.resolve(e.target) is not None]
        if weak_in:
            names = ", ".join(f"{e.name} → {label_of(e.target)}" for e in weak_in)
            return f"only nullable links lead to tenant data ({names}); a row may belong to no tenant"
        if generic:
            return (f"only a generic foreign key ({', '.join(generic)}) may lead to tenant data; its target "
                    "differs per row, so no single lookup selects a tenant's rows")
        return ""


def _choose(options: list[_Option]) -> tuple[_Option | None, str]:
    """The owner link among several, or none with the reason.

    A unique multi-table parent link wins; then, if any link is ``CASCADE``
    (the row is deleted with that parent: it is part of it), only those count.
    Several remaining links that reach the same dimensions must agree on the
    tenant in consistent data (where they do not, ``audit`` reports a
    reference between tenants), so the shortest is the owner path. Links that
    reach different dimensions leave the owner open: ambiguous.
    """
    parents = [o for o in options if o.edge.parent_link]
    if len(parents) == 1:
        return parents[0], ""
    pool = [o for o in options if o.edge.cascade] or options
    if len(pool) == 1:
        return pool[0], ""
    widest = max(pool, key=lambda o: len(o.dims))
    if not all(o.dims <= widest.dims for o in pool):
        names = ", ".join(f"{o.edge.name} → {label_of(o.edge.target)} ({', '.join(sorted(o.dims))})" for o in pool)
        return None, f"several links lead to different tenant dimensions ({names})"
    full = [o for o in pool if o.dims == widest.dims]
    best = min(full, key=lambda o: (o.via.count("__"), o.index))
    others = ", ".join(o.edge.name for o in pool if o is not best)
    return best, f"also reaches its tenant through {others} (must agree; audit checks it)"


def configured_owned(
    owned: Mapping[str, str],
    resolve: Callable[[str, str], type[Model]],
    tenant_paths: Callable[[type[Model]], dict[str, str] | None],
    manager_scoped: set[type[Model]],
) -> dict[type[Model], Verdict]:
    """Verdicts for ``TENANT_CONSOLE["OWNED"]``; every entry is checked against the models.

    ``resolve(label, where)`` returns the model or raises; ``tenant_paths(model)``
    gives ``{dimension: path}`` from a model that belongs to tenants (``""`` for a
    tenant model), or None. A path must end at a tenant model, a scoped model or
    with a ScopedManager.
    """
    result: dict[type[Model], Verdict] = {}
    for label, path in owned.items():
        where = f"TENANT_CONSOLE['OWNED'][{label!r}]"
        model = _concrete(resolve(label, "TENANT_CONSOLE['OWNED']"))
        if model in manager_scoped:
            raise ConsoleError(
                f"{where} declares {label} owned, but it already has a ScopedManager, which decides its tenant. "
                "Remove the entry."
            )
        current = model
        for part in path.split("__"):
            try:
                f = current._meta.get_field(part)
            except FieldDoesNotExist:
                names = [f.name for f in current._meta.get_fields() if f.is_relation]
                raise ConsoleError(
                    f"{where} = {path!r} does not resolve: {label_of(current)} has no field {part!r}."
                    f"{did_you_mean(part, names)}"
                )
            if not f.is_relation or f.related_model is None or not (f.many_to_one or f.one_to_one):
                raise ConsoleError(
                    f"{where} = {path!r}: {label_of(current)}.{part} is not a foreign key or one-to-one, so the "
                    "path cannot lead to one tenant."
                )
            current = _concrete(f.related_model)  # type: ignore[arg-type]
        end = tenant_paths(current)
        if end is None:
            raise ConsoleError(
                f"{where} = {path!r} ends at {label_of(current)}, which is neither a tenant model nor a scoped "
                "model; the path must end where the tenant is known (such as 'event__organizer')."
            )
        paths = {dim: _join(path, p) for dim, p in end.items()}
        result[model] = Verdict(model, Kind.OWNED, Source.CONFIGURED, paths, via=path)
    return result
