"""Writes that land outside the active tenant: caught through Django's model signals.

In writable mode (the REPL's, the headless ``shell --write``) nothing stops an
input from writing another tenant's rows: ``Tag.objects.create(event=other)``
passes every scope, since django-scopes only filters reads. A
:class:`WriteWatch` wraps one input on the session thread: it listens to
``post_save``, ``pre_delete`` and ``m2m_changed`` (connected for that input
only, and only for the session's own thread and database) and afterwards asks
the one tenancy answer (:func:`.tenancy.foreign_owners`) which of the rows
written belong to another tenant, in batches per model.

A saved row that existed is also read just before its UPDATE: a row of another
tenant changed into the active one's (``t.event = event; t.save()``) is named as
``taken from`` that tenant (one query per saved existing row).

A delete that sets other rows' foreign keys (``SET_NULL``, ``SET_DEFAULT``,
``SET(...)``) updates them without a signal: those rows are read from the
database with the deleted rows (action ``set on delete``).

What it does not see, because Django sends no signal for them: ``bulk_create``,
``bulk_update``, ``QuerySet.update``/``QuerySet.delete`` through the fast path
without signals (a queryset delete does send ``pre_delete`` per row), and raw
SQL. Those are counted as writing statements and nothing more.

Which tenant a row belongs to is read from the database, never from the Python
object (one ``values_list(pk, owner path)`` query per model and dimension, also
for a direct foreign key): a saved row after the input, as it is then; a deleted
row just before the first statement that follows its ``pre_delete`` (the row and
its parents still exist then), as one batch.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import CASCADE, DO_NOTHING, PROTECT, RESTRICT, Model
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from tenant_console.core.repl.tenancy import active_names, foreign_owners, tenant_labels

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry
    from tenant_console.core.scope import ScopeState

#: At most this many rows are named in one warning (all are counted).
MAX_NAMED = 5
#: At most this many rows are listed in one audit record (all are counted).
MAX_AUDITED = 50

_ids = itertools.count()

#: The action of a saved row that belonged to another tenant before the save (it may not now).
TAKEN = "taken from"
#: The action of a row whose foreign key a delete sets (``SET_NULL``, ``SET_DEFAULT``, ``SET(...)``).
SET_ON_DELETE = "set on delete"
#: ``on_delete`` handlers that update no row of the related model.
_NO_UPDATE = (CASCADE, PROTECT, RESTRICT, DO_NOTHING)


@dataclass(frozen=True)
class ForeignWrite:
    """One row written by an input that belongs to another tenant."""

    model: str  # ``conference.Tag``
    pk: str
    action: str  # saved, deleted, linked (m2m), set on delete (SET_NULL/SET_DEFAULT/SET() of a delete)
    tenants: tuple[tuple[str, str, str], ...]  # (dimension, tenant pk, label)

    def describe(self) -> str:
        """``conference.Tag 57 → event=DemoCon``."""
        owners = ", ".join(f"{dim}={label}" for dim, _, label in self.tenants)
        verb = "" if self.action == "saved" else f" ({self.action})"
        return f"{self.model} {self.pk}{verb} → {owners}"

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "pk": self.pk, "action": self.action,
                "tenants": [{"dimension": d, "pk": pk, "label": label} for d, pk, label in self.tenants]}


def warning_text(writes: list[ForeignWrite], scope: ScopeState) -> str:
    """``⚠ 1 row written belongs to another tenant: ...; the active tenant is ...`` (empty: none)."""
    if not writes:
        return ""
    count = len(writes)
    named = "; ".join(w.describe() for w in writes[:MAX_NAMED])
    more = f"; and {count - MAX_NAMED} more" if count > MAX_NAMED else ""
    verb = "belongs" if count == 1 else "belong"
    return (f"⚠ {count} row{'s' if count != 1 else ''} written {verb} to another tenant: {named}{more}; "
            f"the active tenant is {active_names(scope)}")


def unchecked_text(numbers: list[int], reason: str = "") -> str:
    """The warning for inputs whose writes could not be checked: they count as another tenant's."""
    if not numbers:
        return ""
    which = ", ".join(f"In [{n}]" for n in numbers)
    why = f" ({reason})" if reason else ""
    return (f"⚠ could not check which tenant the rows written by {which} belong to{why}; "
            f"treated as writes into another tenant: committing needs the typed confirmation")


def audit_details(writes: list[ForeignWrite]) -> dict[str, Any]:
    """The audit record's fields for rows written into another tenant (none: no fields)."""
    if not writes:
        return {}
    return {"cross_tenant_writes": [w.as_dict() for w in writes[:MAX_AUDITED]],
            "cross_tenant_write_count": len(writes)}


class WriteWatch:
    """Collects the rows one input writes on ``alias`` from this thread; :meth:`foreign` says which are not ours."""

    def __init__(self, registry: ScopeRegistry, scope: ScopeState, alias: str) -> None:
        self.registry = registry
        self.scope = scope
        self.alias = alias
        self._thread: int | None = None  # the thread that runs the input: set by :meth:`watching`
        self._uid = f"tenant-console-crosswrite-{next(_ids)}"
        self._saved: dict[tuple[type[Model], Any], Model] = {}
        self._linked: dict[type[Model], set[Any]] = defaultdict(set)
        self._pending_deletes: list[Model] = []
        self._pending_saves: list[Model] = []  # existing rows about to be saved: whose were they?
        self._taken: list[ForeignWrite] = []
        self._deleted: list[ForeignWrite] = []
        self._resolving = False
        #: Whether the input's code changed the scope itself (``scopes_disabled``) is not ours to judge:
        #: rows are compared with the scope the input started in.
        self.active = bool(scope.tenants) and not scope.disabled

    # -- collecting (on the session thread, inside the input) --------------------------
    def _ours(self, using: Any) -> bool:
        return self.active and threading.get_ident() == self._thread and (using or self.alias) == self.alias

    def _on_save(self, sender: Any, instance: Model, using: Any = None, **_: Any) -> None:
        if self._ours(using) and instance.pk is not None:
            self._saved[(type(instance), instance.pk)] = instance

    def _on_pre_save(self, sender: Any, instance: Model, using: Any = None, raw: bool = False, **_: Any) -> None:
        if self._ours(using) and instance.pk is not None and not instance._state.adding:
            self._pending_saves.append(instance)

    def _on_delete(self, sender: Any, instance: Model, using: Any = None, **_: Any) -> None:
        if self._ours(using) and instance.pk is not None:
            self._pending_deletes.append(instance)

    def _on_m2m(self, sender: Any, instance: Model, action: str, model: type[Model], pk_set: Any,
                using: Any = None, **_: Any) -> None:
        if not self._ours(using) or action not in ("post_add", "post_remove", "post_clear"):
            return
        if isinstance(instance, Model) and instance.pk is not None:
            self._linked[type(instance)].add(instance.pk)
        if pk_set:
            self._linked[model].update(pk_set)

    def _before_statement(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                          context: Any) -> Any:
        if (self._pending_deletes or self._pending_saves) and not self._resolving:
            self._resolve_deletes()
        return execute(sql, params, many, context)

    def _resolve_deletes(self) -> None:
        pending, self._pending_deletes = self._pending_deletes, []
        saving, self._pending_saves = self._pending_saves, []
        self._resolving = True
        try:
            # A row of another tenant changed into the active one's is read before the UPDATE.
            self._taken.extend(self._describe(saving, TAKEN))
            self._deleted.extend(self._describe(pending, "deleted"))
            self._deleted.extend(self._describe(self._set_on_delete(pending), SET_ON_DELETE))
        finally:
            self._resolving = False

    def _set_on_delete(self, pending: list[Model]) -> list[Model]:
        """The rows whose foreign key to a pending deleted row is about to be set (``SET_NULL``,
        ``SET_DEFAULT``, ``SET(...)``): plain UPDATEs without a signal, read while they still point
        at it (one ``pk`` query per such relation and deleted model)."""
        by_model: dict[type[Model], list[Model]] = defaultdict(list)
        for obj in pending:
            by_model[type(obj)].append(obj)
        gone = {(type(o), o.pk) for o in pending}
        found: list[Model] = []
        for model, objs in by_model.items():
            for rel in model._meta.related_objects:
                if rel.many_to_many or rel.on_delete in _NO_UPDATE or not rel.field.concrete:
                    continue
                related: type[Model] = rel.related_model  # type: ignore[assignment]
                manager = related._base_manager.using(self.alias)
                found.extend(o for o in manager.filter(**{f"{rel.field.name}__in": objs}).only("pk")
                             if (type(o), o.pk) not in gone)
        return found

    @contextlib.contextmanager
    def watching(self) -> Iterator[WriteWatch]:
        """Listen for the duration of one input (nothing is connected when no tenant is active)."""
        if not self.active:
            yield self
            return
        self._thread = threading.get_ident()
        pre_save.connect(self._on_pre_save, weak=False, dispatch_uid=self._uid)
        post_save.connect(self._on_save, weak=False, dispatch_uid=self._uid)
        pre_delete.connect(self._on_delete, weak=False, dispatch_uid=self._uid)
        m2m_changed.connect(self._on_m2m, weak=False, dispatch_uid=self._uid)
        try:
            with connections[self.alias].execute_wrapper(self._before_statement):
                yield self
        finally:
            pre_save.disconnect(dispatch_uid=self._uid)
            post_save.disconnect(dispatch_uid=self._uid)
            pre_delete.disconnect(dispatch_uid=self._uid)
            m2m_changed.disconnect(dispatch_uid=self._uid)
            self._thread = None

    # -- answering (after the input, still in its transaction) ---------------------------
    def foreign(self) -> list[ForeignWrite]:
        """The rows written outside the active tenant, resolved in batches (queries only for long paths)."""
        if not self.active:
            return []
        if self._pending_deletes or self._pending_saves:
            self._resolve_deletes()
        found = list(self._deleted)
        found.extend(self._describe(list(self._saved.values()), "saved"))
        # A row still another tenant's after the save is named once (as saved); one that was
        # another tenant's before it is named as taken from that tenant.
        named = {(w.model, w.pk) for w in found if w.action == "saved"}
        seen: set[tuple[str, str]] = set()
        for w in self._taken:
            if (w.model, w.pk) not in named and (w.model, w.pk) not in seen:
                seen.add((w.model, w.pk))
                found.append(w)
        for model, pks in self._linked.items():
            objs = list(model._base_manager.using(self.alias).filter(pk__in=list(pks)))
            found.extend(self._describe(objs, "linked"))
        return found

    def _describe(self, objs: list[Model], action: str) -> list[ForeignWrite]:
        # Read from the database, never from the objects: a field changed in memory after the
        # write (``t.event = event``), or left out by ``save(update_fields=...)``, says nothing
        # about the row that was written.
        foreign = foreign_owners(self.registry, self.scope, objs, from_db=True)
        if not foreign:
            return []
        by_dim: dict[str, set[Any]] = defaultdict(set)
        for dims in foreign.values():
            for dim, tenants in dims.items():
                by_dim[dim] |= tenants
        labels = {dim: tenant_labels(self.registry, dim, sorted(pks, key=str), self.alias)
                  for dim, pks in by_dim.items()}
        return [ForeignWrite(f"{model._meta.app_label}.{model.__name__}", str(pk), action,
                             tuple((dim, str(t), labels[dim][str(t)]) for dim in sorted(dims)
                                   for t in sorted(dims[dim], key=str)))
                for (model, pk), dims in foreign.items()]
