"""Keyset paging over any model, ordered by the primary key or by (column, pk).

A virtual table over a million rows asks for a page at a *position*. OFFSET
would read and throw away every row before it, fetching all their columns. We
instead (1) find the *key* of the row at that position with a key-only query
(``values_list(column, pk)``, which an index can answer without touching the
table), starting from whichever known point is nearest: the first row, the
last row (reading the order backwards), or the first row of any page already
seen (an *anchor*); then (2) fetch the page as ``WHERE key >= boundary ORDER BY
key LIMIT n``, a seek. Neighbouring pages are plain seeks from a cached page's
last (or first) key, so scrolling never counts rows at all.

Order: ascending is ``column ASC NULLS LAST, pk ASC``; descending is exactly its
reverse, so a NULL never falls between two pages. All functions run on a
session thread, inside the session's scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Model, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from tenant_console.core.browse import filters
from tenant_console.core.browse.catalog import get_model
from tenant_console.core.browse.queryset import scoped_queryset
from tenant_console.core.browse.rows import Column, Row, build_rows, columns
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.scope import ScopeState

Key = tuple[Any, ...]


@dataclass(frozen=True)
class ListSpec:
    """What the user is looking at: a model, its order and the filter line."""

    model: str
    order: str | None = None  # a field name; None is the primary key
    descending: bool = False
    filter_text: str = ""


@dataclass
class _Plan:
    model: type[Model]
    qs: QuerySet
    cols: list[Column]
    col: str | None  # attname of the order column, None when ordering by pk only
    nullable: bool

    @property
    def key_names(self) -> list[str]:
        return [self.col, "pk"] if self.col else ["pk"]

    def order_by(self, forward_asc: bool) -> list[Any]:
        """Order expressions; ``forward_asc`` is ascending in the (column, pk) sense."""
        pk = "pk" if forward_asc else "-pk"
        if not self.col:
            return [pk]
        if forward_asc:
            return [F(self.col).asc(nulls_last=True) if self.nullable else F(self.col).asc(), pk]
        return [F(self.col).desc(nulls_first=True) if self.nullable else F(self.col).desc(), pk]

    def beyond(self, key: Key, asc: bool, inclusive: bool = False) -> Q:
        """Rows after ``key`` in ascending (``asc``) or descending key order."""
        pk = key[-1]
        pk_cmp = ("gte" if inclusive else "gt") if asc else ("lte" if inclusive else "lt")
        if not self.col:
            return Q(**{f"pk__{pk_cmp}": pk})
        value = key[0]
        c = self.col
        if value is None:  # NULLs sort last in ascending order
            same = Q(**{f"{c}__isnull": True, f"pk__{pk_cmp}": pk})
            return same if asc else same | Q(**{f"{c}__isnull": False})
        strict = "gt" if asc else "lt"
        q = Q(**{f"{c}__{strict}": value}) | Q(**{c: value, f"pk__{pk_cmp}": pk})
        if asc and self.nullable:
            q |= Q(**{f"{c}__isnull": True})
        return q


def plan(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, alias: str | None = None) -> _Plan:
    model = get_model(spec.model)
    qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
    if alias:
        qs = qs.using(alias)
    qs = filters.apply(qs, spec.filter_text)
    cols = columns(model)
    col = None
    nullable = False
    if spec.order and spec.order not in ("pk", model._meta.pk.name):
        match = next((c for c in cols if c.name == spec.order or c.attname == spec.order), None)
        if match is None or not match.sortable:
            raise ConsoleError(f"{spec.model} cannot be ordered by {spec.order!r}.")
        col, nullable = match.attname, match.nullable
    return _Plan(model, qs, cols, col, nullable)


def count(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState) -> int:
    """How many rows the list has (one COUNT; the virtual table's height)."""
    return plan(registry, spec, scope).qs.count()


def _rows(p: _Plan, qs: QuerySet, registry: ScopeRegistry, scope: ScopeState) -> list[Row]:
    records = list(qs.values("pk", *[c.attname for c in p.cols]))
    return build_rows(p.model, p.cols, records, p.key_names, registry, scope.pks(), qs.db)


def page_after(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, key: Key | None,
               limit: int, inclusive: bool = False) -> list[Row]:
    """The ``limit`` rows following ``key`` (from the start when ``key`` is None)."""
    return _after(plan(registry, spec, scope), spec, registry, scope, key, limit, inclusive)


def _after(p: _Plan, spec: ListSpec, registry: ScopeRegistry, scope: ScopeState, key: Key | None, limit: int,
           inclusive: bool = False, skip: int = 0) -> list[Row]:
    asc = not spec.descending
    qs = p.qs if key is None else p.qs.filter(p.beyond(key, asc, inclusive))
    return _rows(p, qs.order_by(*p.order_by(asc))[skip:skip + limit], registry, scope)


def page_before(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, key: Key | None,
                limit: int) -> list[Row]:
    """The ``limit`` rows preceding ``key`` (the last rows when ``key`` is None), in list order."""
    return _before(plan(registry, spec, scope), spec, registry, scope, key, limit)


def _before(p: _Plan, spec: ListSpec, registry: ScopeRegistry, scope: ScopeState, key: Key | None,
            limit: int) -> list[Row]:
    asc = spec.descending  # walking backwards
    qs = p.qs if key is None else p.qs.filter(p.beyond(key, asc))
    return list(reversed(_rows(p, qs.order_by(*p.order_by(asc))[:limit], registry, scope)))


def _nearest(position: int, total: int, anchors: Mapping[int, Key] | None) -> tuple[int, bool, Key | None]:
    """The known point nearest to ``position``: (distance, forward?, its key; None for an end)."""
    options: list[tuple[int, bool, Key | None]] = [(position, True, None)]
    if total:
        options.append((total - 1 - position, False, None))
    for at, key in (anchors or {}).items():
        if at <= position:
            options.append((position - at, True, key))
        else:
            options.append((at - position, False, key))
    return min(options, key=lambda o: o[0])


def locate(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, position: int, total: int,
           anchors: Mapping[int, Key] | None = None) -> Key | None:
    """The key of the row at ``position``: a key-only skip from the nearest known point."""
    return _locate(plan(registry, spec, scope), spec, *_nearest(position, total, anchors))


def _locate(p: _Plan, spec: ListSpec, distance: int, forward: bool, start: Key | None) -> Key | None:
    asc = not spec.descending
    direction = asc if forward else not asc
    qs = p.qs if start is None else p.qs.filter(p.beyond(start, direction, inclusive=True))
    found = list(qs.order_by(*p.order_by(direction)).values_list(*p.key_names)[distance:distance + 1])
    return tuple(found[0]) if found else None


def anchor_index(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, every: int = 1000) -> dict[int, Key]:
    """A sparse index: the key of every ``every``-th row, ``{position: key}``, in one query.

    ``ROW_NUMBER() OVER (ORDER BY key)`` filtered to every ``every``-th row runs
    in the database and returns ``total / every`` keys. It costs about one full
    (sorted) pass, so it pays off for orders without an index, where each deep
    skip would be a full sort of its own: after it, any jump is a skip of fewer
    than ``every / 2`` keys from the nearest anchor.
    """
    p = plan(registry, spec, scope)
    order = p.order_by(not spec.descending)
    qs = (p.qs.annotate(_tc_rn=Window(RowNumber(), order_by=order))
          .annotate(_tc_bucket=(F("_tc_rn") - 1) % every).filter(_tc_bucket=0))
    return {int(row[0]) - 1: tuple(row[1:]) for row in qs.values_list("_tc_rn", *p.key_names)}


def indexed_order(spec: ListSpec) -> bool:
    """Whether an index can read the list in its order: the primary key, or a column with an index of
    its own (unique, ``db_index``, a foreign key). Such an order is skipped through key by key, cheaply;
    any other needs a sort of the whole list (:func:`anchor_index`)."""
    if not spec.order:
        return True
    model = get_model(spec.model)
    try:
        field = model._meta.get_field(spec.order)
    except Exception:
        return False
    return bool(getattr(field, "primary_key", False) or getattr(field, "unique", False)
                or getattr(field, "db_index", False))


def walk_anchors(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, start: tuple[int, Key] | None,
                 every: int, steps: int) -> dict[int, Key]:
    """Keys ``every`` rows apart after ``start`` (``(position, key)``; None is the first row), at most
    ``steps`` of them: each a key-only skip of ``every`` rows from the one before, which an index on the
    order answers without reading the table.

    The console walks a large list this way in the background, a few steps per call (each short, so a
    page fetch between two calls never waits long), so that a later jump anywhere (``:row 90%``) is a
    skip of at most ``every / 2`` rows from the nearest anchor instead of one from the nearest end.
    Fewer than ``steps`` keys come back when the list ends.
    """
    p = plan(registry, spec, scope)
    asc = not spec.descending
    position, key = start if start is not None else (0, None)
    found: dict[int, Key] = {}
    if key is None:
        first = list(p.qs.order_by(*p.order_by(asc)).values_list(*p.key_names)[:1])
        if not first:
            return found
        key = found[0] = tuple(first[0])
    for _ in range(steps):
        qs = p.qs.filter(p.beyond(key, asc, inclusive=True))
        nxt = list(qs.order_by(*p.order_by(asc)).values_list(*p.key_names)[every:every + 1])
        if not nxt:
            break
        position, key = position + every, tuple(nxt[0])
        found[position] = key
    return found


#: A page this few rows after a known key is read in one query, skipping the rows between with OFFSET
#: (which reads them whole); further away, a key-only skip finds the page's first key, then a seek reads it.
SEEK_SKIP = 1000


def page_at(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, position: int, limit: int,
            total: int, anchors: Mapping[int, Key] | None = None) -> list[Row]:
    """The page starting at ``position``: from the nearest known point (an end or an anchor), in one
    query when that point is at most :data:`SEEK_SKIP` rows before it, else :func:`locate`, then a seek."""
    p = plan(registry, spec, scope)
    if position == 0:
        return _after(p, spec, registry, scope, None, limit)
    if total and position + limit >= total:
        return _before(p, spec, registry, scope, None, total - position)[:limit]
    distance, forward, start = _nearest(position, total, anchors)
    if forward and distance <= SEEK_SKIP:
        return _after(p, spec, registry, scope, start, limit, inclusive=True, skip=distance)
    key = _locate(p, spec, distance, forward, start)
    if key is None:
        return []
    return _after(p, spec, registry, scope, key, limit, inclusive=True)


def page_by_offset(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, position: int,
                   limit: int) -> list[Row]:
    """The same page with LIMIT/OFFSET: the peer the benchmark measures against."""
    p = plan(registry, spec, scope)
    qs = p.qs.order_by(*p.order_by(not spec.descending))[position:position + limit]
    return _rows(p, qs, registry, scope)
