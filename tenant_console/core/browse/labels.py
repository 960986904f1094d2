"""Short human labels for objects, fetched in batches (one query per target model).

Used for FK columns and links. Labels come from the model's own columns
(``name``, ``title``, ``slug``...), never from ``__str__``, which may run a query
per object (``SpeakerProfile.__str__`` reads its user) and turn a page of 100 rows
into 100 queries. A target outside the active tenant is flagged, because a
cross-tenant reference is exactly what an ops engineer needs to notice.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry

LABEL_FIELDS = ("name", "title", "slug", "username", "email", "tag", "question", "code", "label",
                "action_type", "description")


@dataclass(frozen=True)
class Label:
    text: str
    #: The target is scoped and not in the active tenant (a cross-tenant reference).
    foreign: bool = False
    #: No such object (a dangling reference); never cached.
    missing: bool = field(default=False, compare=False)


class LabelCache:
    """Labels already fetched in one session: ``{(alias, tenant, model): {pk: Label}}``.

    A page of an object list shows the same few FK targets (the event, its tracks) on every page, so
    fetching their labels once per page was most of a deep page's queries. The session owns one cache
    and installs it for each of its calls (:func:`caching`); outside a session nothing is cached.

    What keeps it honest:

    * the key holds the active tenants, because a label's ``foreign`` flag depends on them: a label
      fetched in one tenant is never shown in another;
    * the session drops it on every scope change; and every writable call of any session in the process
      (a save or a delete runs in a session of its own, the writable REPL in the console's) counts a write
      before and after it (:func:`note_write`), which empties every cache at its next use, so a write made
      in the console (a rollback too) is seen by the next page; and what a call read is not kept if a write
      was counted after the call began (its snapshot may be older than the write);
    * entries live ``max_age`` seconds at most: the application itself writes to the same database, and
      a renamed track shows its new name on pages fetched after that (rows already on screen are as old
      as their page anyway);
    * a missing target is not cached (it may be created), and the cache never holds more than
      ``max_entries`` labels (it is emptied when full: these are cheap to fetch again).
    """

    def __init__(self, max_age: float = 30.0, max_entries: int = 20_000) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._labels: dict[tuple[Any, ...], dict[Any, Label]] = {}
        self._size = 0
        self._born = time.monotonic()
        self._writes = _writes
        #: The write count when the outermost call using the cache began (see :func:`caching`).
        self._begun: int | None = None

    def clear(self) -> None:
        self._labels.clear()
        self._size = 0
        self._born = time.monotonic()
        self._writes = _writes

    def bucket(self, key: tuple[Any, ...]) -> dict[Any, Label]:
        if (self._writes != _writes or time.monotonic() - self._born > self.max_age
                or self._size > self.max_entries):
            self.clear()
        return self._labels.setdefault(key, {})

    def add(self, bucket: dict[Any, Label], found: Mapping[Any, Label]) -> None:
        if self._begun is not None and _writes != self._begun:
            # A write began or ended since this call began: its snapshot may be older than the write, so
            # what it read is shown on its page but not kept for the pages after it.
            return
        before = len(bucket)
        bucket.update(found)
        self._size += len(bucket) - before


_writes = 0  # writable calls begun or ended in this process (see note_write)
_writes_lock = threading.Lock()


def note_write() -> None:
    """A write may have happened (or may be about to): every label cache is emptied at its next use.
    The session calls it before and after each writable call, so a label read while the write was
    under way is dropped too."""
    global _writes
    with _writes_lock:
        _writes += 1


_cache: contextvars.ContextVar[LabelCache | None] = contextvars.ContextVar("tenant_console_labels", default=None)


@contextlib.contextmanager
def caching(cache: LabelCache) -> Iterator[None]:
    """Use ``cache`` for :func:`labels_for` in this block (the session installs its own per call)."""
    token = _cache.set(cache)
    outer = cache._begun
    if outer is None:  # the outermost call: it begins (and takes its snapshot) after this
        cache._begun = _writes
    try:
        yield
    finally:
        cache._begun = outer
        _cache.reset(token)


def display_fields(model: type[Model]) -> list[str]:
    """The (at most two) columns that name an object of ``model`` for people (``title``, ``code``): its label
    in links and FK columns, and the first columns after the key in a REPL table."""
    names = {f.name for f in model._meta.concrete_fields}
    return [n for n in LABEL_FIELDS if n in names][:2]


def label_fields(model: type[Model], registry: ScopeRegistry) -> list[str]:
    dims = registry.tenant_dimensions_of(model)
    if dims:
        return [f for f in registry.dimensions[dims[0]].label_fields() if f != "pk"]
    return display_fields(model)


def label_of(obj: Model, registry: ScopeRegistry) -> str:
    model = type(obj)
    dims = registry.tenant_dimensions_of(model)
    if dims:
        return registry.dimensions[dims[0]].label(obj)
    fields = label_fields(model, registry)
    values = [str(getattr(obj, f)) for f in fields if getattr(obj, f, None) not in (None, "")]
    if values:
        text = values[0] if len(values) == 1 or values[0] == values[1] else f"{values[0]} ({values[1]})"
        return f"#{obj.pk} {text}"
    return f"{model.__name__} #{obj.pk}"


def labels_for(model: type[Model], pks: Iterable[Any], registry: ScopeRegistry,
               tenant_pks: Mapping[str, Any], alias: str | None = None) -> dict[Any, Label]:
    """``{pk: Label}`` for the given pks of ``model`` (base manager: labels are shown even
    for rows outside the scope, flagged ``foreign`` so the user sees the reference)."""
    wanted = {pk for pk in pks if pk is not None}
    if not wanted:
        return {}
    qs = model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    cache = _cache.get()
    if cache is None:
        return _fetch(model, wanted, qs, registry, tenant_pks)
    bucket = cache.bucket((qs.db, tuple(sorted((d, str(pk)) for d, pk in tenant_pks.items())),
                           model._meta.label))
    missing = wanted - bucket.keys()
    if missing:
        found = _fetch(model, missing, qs, registry, tenant_pks)
        cache.add(bucket, {pk: label for pk, label in found.items() if not label.missing})
        return {**{pk: bucket[pk] for pk in wanted - missing}, **found}
    return {pk: bucket[pk] for pk in wanted}


def _fetch(model: type[Model], wanted: set[Any], qs: Any, registry: ScopeRegistry,
           tenant_pks: Mapping[str, Any]) -> dict[Any, Label]:
    fields = label_fields(model, registry)
    objs = list(qs.filter(pk__in=wanted).only(*fields) if fields else qs.filter(pk__in=wanted).only("pk"))
    inside: set[Any] | None = None
    q = registry.tenant_q(model, tenant_pks) if tenant_pks else None
    if q is not None and q and registry.is_scoped(model):
        inside = set(qs.filter(q, pk__in=wanted).values_list("pk", flat=True))
    result = {}
    for obj in objs:
        result[obj.pk] = Label(label_of(obj, registry), foreign=inside is not None and obj.pk not in inside)
    for pk in wanted - set(result):
        result[pk] = Label(f"{model.__name__} #{pk} (missing)", foreign=False, missing=True)
    return result
