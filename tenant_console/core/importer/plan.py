"""The plan: every incoming object classified against the target database.

Classes (docs of issue 7): ``new``, ``identical``, ``changed`` (with a field diff),
``key_clash`` (the key is taken by an unrelated row: another tenant's, or a different
shared object), ``unique_clash`` (another row holds the same unique value),
``missing_ref`` (a reference to something neither in the file nor in the target) and
``schema`` (the model changed since the export), ``cross_tenant_reference`` (an object
that would reference a row of another tenant than its own; see :mod:`.crosstenant`),
``invalid_value`` (a value its field or the target database does not accept; see
:mod:`.validate`) and ``duplicate`` (the file holds the key, or a unique value, twice). The
last two can only be skipped: nothing reaches the database that the plan did not accept.

The planner works in batches: one query per model and chunk for existing rows, one
per model, unique set and chunk for unique clashes, one per referenced model and
chunk for missing references; per-object queries are only made for natural keys
that cannot be matched to fields (rare, and cached). Everything runs on the caller's
connection (a session thread), read-only.

Memory: what is held for the whole plan is per object an :class:`Item`, which is its
:class:`~.reader.Row` too (model, key, line: its fields wait on disk, :mod:`.store`; what only
conflicts have is kept beside it), with its key and line number, a place in its model's list, an
entry of the packed per-model index (:class:`RefIndex`) and, for new objects, the key found free;
about 185 bytes an object. Everything else (values compared, unique values, references followed)
lives for one batch of :func:`batch_size` objects, or is kept as hashes.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from django.db.models import Model, Q

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.importer.meta import FUNCTIONS, ModelInfo, UniqueRule, get_model, model_info
from tenant_console.core.importer.reader import Export, Row, key_text
from tenant_console.core.importer.refs import Ref, RefReader
from tenant_console.core.importer.retarget import NEW_KEY, Retarget, is_new
from tenant_console.core.importer.values import normal, same
from tenant_console.core.tenancy.rows import in_batch_size

CLASSES = ("new", "identical", "changed", "key_clash", "unique_clash", "missing_ref", "cross_tenant_reference",
           "schema", "invalid_value", "duplicate")
CONFLICTS = ("changed", "key_clash", "unique_clash", "missing_ref", "cross_tenant_reference", "schema",
             "invalid_value", "duplicate")
#: The most objects one batch of the planner or the apply step holds (values per ``IN (...)`` are also bounded by
#: the database: :func:`batch_size`).
BATCH_MOST = 2000
Q_CHUNK = 100  # OR-ed Q objects per query for multi-column unique sets


@dataclass(frozen=True)
class FieldDiff:
    field: str
    incoming: Any
    existing: Any


class _Extra:
    """What the plan found beyond an object's class and target row (most objects: nothing)."""

    __slots__ = ("base_cls", "clash", "clash_sets", "cross", "detail", "diff", "existing", "forced", "missing",
                 "other_tenant", "overrides")

    def __init__(self) -> None:
        for name, default in _EXTRA_DEFAULTS.items():
            setattr(self, name, default)


#: Sequences default to an empty tuple: an empty list per object and field costs 56 bytes, times millions.
_EXTRA_DEFAULTS: dict[str, Any] = {"diff": (), "detail": "", "other_tenant": False, "existing": None, "forced": None,
                                   "overrides": None, "clash": (), "clash_sets": (), "base_cls": None, "cross": (),
                                   "missing": ()}
T = TypeVar("T")


class _Found(Generic[T]):
    """An attribute of :class:`Item` kept in its :class:`_Extra`, made on the first assignment."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.default = _EXTRA_DEFAULTS[name]

    @overload
    def __get__(self, obj: None, owner: type) -> _Found[T]: ...
    @overload
    def __get__(self, obj: Item, owner: type) -> T: ...
    def __get__(self, obj: Item | None, owner: type) -> Any:
        if obj is None:
            return self
        extra = obj._extra
        return self.default if extra is None else getattr(extra, self.name)

    def __set__(self, obj: Item, value: T) -> None:
        extra = obj._extra
        if extra is None:
            if value == self.default and type(value) is type(self.default):
                return
            extra = obj._extra = _Extra()
        setattr(extra, self.name, value)


class Item(Row):
    """One incoming object and what the plan found for it.

    An item is its row (model, key, line: it takes the :class:`~.reader.Row`'s place in the export, so
    that one object per incoming object is held, not two) plus three slots (class, the existing row's
    key, the rest); what only conflicts have (a diff, a detail, the clashing sets...) lives in an
    :class:`_Extra` made when the first of it is set. 96 bytes per object, where a row and an item
    of their own took 136, and an item with every finding in slots 150 more, times a million.
    """

    __slots__ = ("_extra", "cls", "target_pk")

    def __init__(self, row: Row, cls: str, target_pk: Any = None, **found: Any) -> None:
        self.label = row.label
        self.pk = row.pk
        self.line = row.line
        self.key = row.key
        self._src = row._src
        self.cls = cls
        self.target_pk = target_pk  # the existing row: same key (identical/changed/key_clash) or clashing row
        self._extra: _Extra | None = None
        for name, value in found.items():
            setattr(self, name, value)

    @property
    def row(self) -> Row:
        """The incoming row (the item itself)."""
        return self

    diff: _Found[Sequence[FieldDiff]] = _Found()
    detail: _Found[str] = _Found()
    other_tenant: _Found[bool] = _Found()
    existing: _Found[dict[str, Any] | None] = _Found()  # the existing row's values, for the side-by-side view
    forced: _Found[str | None] = _Found()  # a decision the retarget imposes (the tenant row itself)
    overrides: _Found[dict[str, Any] | None] = _Found()  # field values the retarget imposes
    clash: _Found[tuple[str, ...]] = _Found()  # the attnames of every unique set that clashes (flattened)
    #: Every unique set (attnames) whose values are held by another row, and that row's pk.
    clash_sets: _Found[Sequence[tuple[tuple[str, ...], Any]]] = _Found()
    #: ``cross_tenant_reference``: the class the object had before (what ``allow_cross_tenant`` means
    #: for it) and the references into another tenant.
    base_cls: _Found[str | None] = _Found()
    cross: _Found[Sequence[Any]] = _Found()
    #: ``missing_ref``: (field, "label:key", nullable) of every reference to a row that exists nowhere.
    missing: _Found[Sequence[tuple[str, str, bool]]] = _Found()

    def __repr__(self) -> str:
        return f"Item({self.ref}, {self.cls})"

    @property
    def base(self) -> str:
        """The class without the cross-tenant check (``new``, ``changed``, ``key_clash``...)."""
        return self.base_cls or self.cls

    @property
    def is_conflict(self) -> bool:
        return self.cls in CONFLICTS and self.forced is None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ref": self.ref, "model": self.label, "key": key_text(self.key), "class": self.cls,
                               "detail": self.detail}
        if self.target_pk is not None:
            out["existing_pk"] = str(self.target_pk)
        if self.diff:
            out["diff"] = [{"field": d.field, "incoming": d.incoming, "existing": d.existing} for d in self.diff]
        if self.other_tenant:
            out["other_tenant"] = True
        if self.cross:
            out["base_class"] = self.base_cls
            out["cross_tenant"] = [c.as_dict() for c in self.cross]
        return out


class RefIndex:
    """The file's objects by reference ``(label, key)``, per model, without a Python object per entry where it can.

    While a model's objects are added, its entries live in a dict (duplicates are found there); :meth:`compact`
    then moves the integer keys (nearly every key of a large import) into a sorted ``array('q')`` beside the
    items in the same order, looked up by bisection: 16 bytes an object instead of a dict entry (36-52 bytes),
    or 8 where the model's items are already in key order (the file's order, as exports write them) and the
    plan's list is shared. Other keys (natural keys, UUIDs, text) stay in the dict.
    """

    __slots__ = ("_by_label", "_packed")

    def __init__(self) -> None:
        self._by_label: dict[str, dict[Any, Item]] = {}
        #: label -> (integer keys ascending, the items in the same order)
        self._packed: dict[str, tuple[array[int], Sequence[Item]]] = {}

    def _packed_pos(self, label: str, key: Any) -> tuple[Sequence[Item], int] | None:
        packed = self._packed.get(label)
        if packed is None or not isinstance(key, int):
            return None
        keys, items = packed
        i = bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            return items, i
        return None

    def get(self, ref: Ref, default: Item | None = None) -> Item | None:
        found = self._packed_pos(ref[0], ref[1])
        if found is not None:
            return found[0][found[1]]
        keys = self._by_label.get(ref[0])
        return default if keys is None else keys.get(ref[1], default)

    def __getitem__(self, ref: Ref) -> Item:
        item = self.get(ref)
        if item is None:
            raise KeyError(ref)
        return item

    def __setitem__(self, ref: Ref, item: Item) -> None:
        found = self._packed_pos(ref[0], ref[1])
        if found is not None:
            items, i = found
            if items[i] is not item:  # replacing a packed entry: unpack it (never done by the planner)
                self._unpack(ref[0])
            else:
                return
        self._by_label.setdefault(ref[0], {})[ref[1]] = item

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, tuple) or len(ref) != 2:
            return False
        return self.get(ref) is not None

    def __len__(self) -> int:
        return sum(len(k) for k in self._by_label.values()) + sum(len(k) for k, _i in self._packed.values())

    def compact(self, label: str, in_order: Sequence[Item] | None = None) -> None:
        """Move ``label``'s integer keys into the packed form (call once its objects are all added).

        ``in_order``: the model's items as the plan lists them; shared instead of copied when exactly
        the indexed ones, in ascending key order.
        """
        entries = self._by_label.get(label)
        if not entries or label in self._packed:
            return
        ints = [k for k in entries if type(k) is int and _INT64[0] <= k <= _INT64[1]]
        if not ints:
            return
        ints.sort()
        items: Sequence[Item]
        if (in_order is not None and len(in_order) == len(ints) and len(ints) == len(entries)
                and all(it.key == k for it, k in zip(in_order, ints, strict=True))):
            items = in_order
        else:
            items = [entries[k] for k in ints]
        keys = array("q", ints)
        del ints
        rest = {k: v for k, v in entries.items() if not (type(k) is int and _INT64[0] <= k <= _INT64[1])}
        if rest:
            self._by_label[label] = rest
        else:
            del self._by_label[label]
        self._packed[label] = (keys, items)

    def _unpack(self, label: str) -> None:
        keys, items = self._packed.pop(label)
        entries = self._by_label.setdefault(label, {})
        entries.update(zip(keys, items, strict=True))


_INT64 = (-(2**63), 2**63 - 1)


@dataclass
class Plan:
    export: Export
    alias: str
    vendor: str
    retarget: Retarget
    infos: dict[str, ModelInfo]
    items: dict[str, list[Item]] = field(default_factory=dict)
    index: RefIndex = field(default_factory=lambda: RefIndex())
    #: Digests of the target rows the plan looked at, for the re-check before apply.
    seen: dict[str, dict[Any, str]] = field(default_factory=dict)
    #: Keys the plan found free (new objects), per model: a list (8 bytes a key; a set costs ~50).
    free: dict[str, list[Any]] = field(default_factory=dict)
    #: Natural keys resolved in the target: {(label, natural key): target pk}.
    natural: dict[Ref, Any] = field(default_factory=dict)
    #: References found neither in the file nor in the target.
    missing: set[Ref] = field(default_factory=set)
    #: Generic FKs to objects that exist nowhere: ``(item ref, why)``; imported as they are, flagged.
    dangling_generic: list[tuple[str, str]] = field(default_factory=list)
    #: Unique constraints over expressions the plan cannot evaluate: one sentence each; the database decides
    #: at the insert (a refusal rolls the whole import back).
    unchecked: list[str] = field(default_factory=list)

    def all_items(self) -> Iterator[Item]:
        for items in self.items.values():
            yield from items

    def conflicts(self) -> list[Item]:
        return [i for i in self.all_items() if i.is_conflict]

    def summary(self) -> dict[str, dict[str, int]]:
        """``{label: {class: count}}``."""
        out: dict[str, dict[str, int]] = {}
        for label, items in self.items.items():
            counts: dict[str, int] = {}
            for it in items:
                counts[it.cls] = counts.get(it.cls, 0) + 1
            out[label] = counts
        return out

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(CLASSES, 0)
        for it in self.all_items():
            out[it.cls] += 1
        return out

    def digest(self) -> str:
        """Identifies the conflicts of this plan (a decisions file records it)."""
        h = hashlib.sha256(self.export.sha256.encode())
        for it in sorted(self.conflicts(), key=lambda i: i.ref):
            h.update(f"{it.ref}={it.cls};".encode())
        return h.hexdigest()

    def as_dict(self, *, conflicts: bool = True, limit: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"file": str(self.export.data_path), "sha256": self.export.sha256,
                               "database": self.alias, "vendor": self.vendor, "target": self.retarget.describe(),
                               "totals": self.totals(), "models": self.summary(),
                               "schema_differences": [d.as_dict() for d in self.export.schema_differences],
                               "dangling_generic": [{"ref": r, "detail": d} for r, d in self.dangling_generic],
                               "unchecked_constraints": list(self.unchecked),
                               "outside_links": [link.as_dict() for link in self.export.outside_links]}
        if conflicts:
            items = self.conflicts()
            out["conflicts"] = [i.as_dict() for i in (items[:limit] if limit else items)]
        return out


def batch_size(alias: str) -> int:
    """Objects per batch and values per ``IN (...)`` on ``alias``: the project's one answer
    (:func:`~tenant_console.core.tenancy.rows.in_batch_size`), at most :data:`BATCH_MOST`."""
    return in_batch_size(alias, most=BATCH_MOST)


def ordered(keys: Iterable[Any]) -> list[Any]:
    """Keys in a stable order for batched queries: by value where they compare (integers: no text made per
    key, which for a million keys costs ~50 MB while sorting), else by their text."""
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=str)


def chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def row_digest(info: ModelInfo, values: dict[str, Any], m2m: dict[str, list[Any]] | None = None) -> str:
    """A digest of a target row's values in their normal form (:mod:`.values`): the same row read twice
    gives the same digest even where a field reads back as a new object each time."""
    fields = info.fields_by_attname
    text = repr(sorted((k, repr(normal(fields[k], v) if k in fields else v)) for k, v in values.items()))
    if m2m:
        text += repr(sorted((k, sorted(map(str, v))) for k, v in m2m.items()))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Planner:
    """Builds a :class:`Plan`; see the module docstring. Call :meth:`run` on a session thread."""

    def __init__(self, export: Export, alias: str, registry: ScopeRegistry, retarget: Retarget | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> None:
        from django.db import connections

        self.export = export
        self.alias = alias
        self.registry = registry
        self.retarget = retarget or Retarget()
        self.progress = progress or (lambda stage, done, total: None)
        self.infos = {label: model_info(model, registry) for label, model in export.models.items()}
        for label in list(self.infos):
            self._add_related_infos(self.infos[label])
        self.refs = RefReader(self.infos)
        self.plan = Plan(export=export, alias=alias, vendor=connections[alias].vendor, retarget=self.retarget,
                         infos=self.infos)
        self.batch = batch_size(alias)
        self._fk_value_cache: dict[Ref, Any] = {}
        self._collations: dict[tuple[str, str], Callable[[Any], str]] = {}

    def _compared(self, info: ModelInfo, attname: str) -> Callable[[Any], str]:
        """How the target database compares values of a column for uniqueness, as a key function.

        Text, except on MariaDB/MySQL, whose collations (the default ones are ``*_ci``) ignore case,
        and trailing spaces unless they are ``NO PAD``: asked once per column from
        ``information_schema``.
        """
        table = str(info.model._meta.db_table)
        key = (table, attname)
        if key not in self._collations:
            compare: Callable[[Any], str] = str
            if self.plan.vendor == "mysql":
                from django.db import connections

                column = info.fields_by_attname[attname].column
                with connections[self.alias].cursor() as cur:
                    cur.execute("SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                                "AND TABLE_NAME = %s AND COLUMN_NAME = %s", [table, column])
                    row = cur.fetchone()
                collation = str(row[0] or "").lower() if row else ""
                fold, pad = "_ci" in collation, bool(collation) and "nopad" not in collation

                def compare(value: Any, fold: bool = fold, pad: bool = pad) -> str:
                    if not isinstance(value, str):
                        return str(value)
                    value = value.rstrip(" ") if pad else value
                    return value.casefold() if fold else value

            self._collations[key] = compare
        return self._collations[key]

    def _add_related_infos(self, info: ModelInfo) -> None:
        for label in [fk.target for fk in info.fks] + ([info.parent_link.target] if info.parent_link else []):
            if label not in self.infos:
                model = get_model(label)
                if model is not None:
                    self.infos[label] = model_info(model, self.registry)

    def qs(self, model: type[Model]) -> Any:
        return model._base_manager.using(self.alias)

    # -- steps -----------------------------------------------------------------
    def run(self) -> Plan:
        self.retarget.prepare(self.export, self.alias, self.registry)
        self._natural_keys()
        self._validate()
        self._apply_retarget()
        schema_models = {d.model for d in self.export.schema_differences}
        total = len(self.export.rows)
        for n, label in enumerate(self.export.rows):
            self.progress("plan", n, total)
            items = self.plan.items[label]
            if label in schema_models:
                diffs = [str(d) for d in self.export.schema_differences if d.model == label]
                for it in items:
                    it.cls = "schema"
                    it.detail = "; ".join(diffs)
                continue
            self._note_unchecked(label, items)
            valid = [it for it in items if it.cls == "new"]
            self._existing(label, valid)
            self._in_file_unique(label, [it for it in valid if it.cls in ("new", "key_clash")])
            # Key clashes too: a new key would not help if the unique value is taken as well.
            self._unique_clashes(label, [it for it in valid if it.cls in ("new", "key_clash")])
        self._missing_refs()
        from tenant_console.core.importer.crosstenant import check_cross_tenant

        check_cross_tenant(self)
        for it in self.plan.all_items():
            if it.forced == "new_key" and it.cls == "unique_clash":
                from tenant_console.core.importer.errors import ImportInputError

                raise ImportInputError(
                    f"The new tenant cannot be created: {it.detail}. Choose other values with --new-tenant "
                    "(for example slug=...-copy)."
                )
        self.progress("plan", total, total)
        return self.plan

    def _note_unchecked(self, label: str, items: list[Item]) -> None:
        for rule in self.infos[label].unique_rules:
            if not rule.checkable and items:
                where = f" for the rows where {_condition(rule)}" if rule.condition is not None else ""
                self.plan.unchecked.append(
                    f"{label}: the unique constraint {rule.name} ({rule.expression}){where} is over expressions the "
                    f"plan cannot evaluate, so its {len(items):,} object(s) were not checked against it; the "
                    "database checks it at the insert, and if it refuses, nothing is written")

    def _validate(self) -> None:
        """Index the rows; a key the file holds twice, or a value its field refuses, is a conflict of its own."""
        from django.db import connections

        from tenant_console.core.importer.validate import Validator

        validator = Validator(connections[self.alias])
        for label, rows in self.export.rows.items():
            info = self.infos[label]
            items: list[Item] = []
            for row in rows:
                item = Item(row=row, cls="new")
                first = self.plan.index.get((label, item.key))
                if first is not None:
                    item.cls = "duplicate"
                    item.detail = (f"line {item.line} repeats {label} {key_text(item.key)} of line {first.line}; "
                                   "only the first can be imported")
                    item.key = f"{key_text(item.key)}@line{item.line}"
                else:
                    why = validator.check(info, item)
                    if why:
                        item.cls = "invalid_value"
                        item.detail = f"line {item.line}: {why}"
                self.plan.index[(label, item.key)] = item
                items.append(item)
            self.plan.items[label] = items
            # The items take the rows' place (an item is its row): one object per incoming object.
            self.export.rows[label] = items
            self.plan.index.compact(label, items)

    def _unique_checks(self, info: ModelInfo) -> list[tuple[tuple[str, ...], UniqueRule | None]]:
        """Every unique set the plan checks: the plain ones (rule None) and the checkable rules."""
        checks: list[tuple[tuple[str, ...], UniqueRule | None]] = [(names, None) for names in info.unique_sets]
        return checks + [(r.names, r) for r in info.unique_rules if r.checkable]

    def _bound(self, info: ModelInfo, rule: UniqueRule | None, values: dict[str, Any]) -> bool:
        """Whether the row is one the constraint binds (a conditional one: its condition holds, with the values
        as they would be written, so against the retargeted ones)."""
        if rule is None or rule.condition is None:
            return True
        from tenant_console.core.importer.constraints import condition_holds

        named = dict(values)
        for fk in info.fks:
            if fk.attname in values:
                named[fk.name] = values[fk.attname]
        known = {k: v for k, v in named.items() if not is_new(v)}
        try:
            return condition_holds(info.model, rule.condition, known, self.alias)
        except Exception:  # a condition on a column whose value is a new key: bound, so checked
            return True

    def _in_file_unique(self, label: str, items: list[Item]) -> None:
        """Two rows of the file with the same unique values: the later ones are duplicates. A conditional
        constraint compares only the rows its condition holds for; an expression one the expressions' values."""
        info = self.infos[label]
        checks = self._unique_checks(info)
        if len(items) < 2 or not checks:
            return
        names_of = {f.attname: f.name for f in info.local_fields}
        for names, rule in checks:
            if names == (info.pk_attname,):
                continue
            # The values' hashes, not the values: a million rows' unique values would cost ~150 bytes each.
            # A hash seen before is confirmed on the first row's values (read again); a collision is kept apart.
            seen: dict[int, Item] = {}
            collided: dict[tuple[str, ...], Item] = {}
            for it in items:
                if it.cls not in ("new", "key_clash"):
                    continue
                key = self._unique_key(info, it, names, rule)
                if key is None:
                    continue
                first = seen.setdefault(hash(key), it)
                if first is not it and self._unique_key(info, first, names, rule) != key:
                    first = collided.setdefault(key, it)
                if first is it:
                    continue
                values = self.incoming_values(info, it)
                shown = ", ".join(f"{names_of.get(n, n)}={values[n]!r}" for n in names)
                it.cls = "duplicate"
                it.detail = (f"line {it.row.line} has {shown}, as line {first.row.line} ({label} "
                             f"{key_text(first.key)}) has; they must be unique{_rule_text(rule)}, so only the first "
                             "can be imported")

    def _unique_key(self, info: ModelInfo, it: Item, names: tuple[str, ...],
                    rule: UniqueRule | None = None) -> tuple[str, ...] | None:
        """The item's values of a unique set as the target database compares them (None: not all set, or a
        row the constraint's condition leaves out)."""
        values = self.incoming_values(info, it)
        if any(values.get(n) is None or is_new(values.get(n)) or n not in values for n in names):
            return None
        if not self._bound(info, rule, values):
            return None
        functions = rule.functions if rule is not None else (None,) * len(names)
        return tuple(self._compared(info, n)(FUNCTIONS[fn](values[n]) if fn else values[n])
                     for n, fn in zip(names, functions, strict=True))

    def _natural_keys(self) -> None:
        """Give natural-key rows their key, and resolve every natural key in the target."""
        wanted: dict[str, set[tuple[Any, ...]]] = {}
        for label, rows in self.export.rows.items():
            info = self.infos[label]
            if not info.natural:
                continue
            for row in rows:
                if row.pk is None:
                    row.key = self._natural_key_of(info, row)
                    wanted.setdefault(label, set()).add(row.key)
        for rows in self.export.rows.values():
            for row in rows:
                for _kind, _name, (tlabel, key), _d in self.refs.all_refs(row):
                    if isinstance(key, tuple):
                        wanted.setdefault(tlabel, set()).add(key)
        for label, keys in wanted.items():
            self.plan.natural.update(self._resolve_natural(label, sorted(keys, key=repr)))

    def _natural_key_of(self, info: ModelInfo, row: Row) -> tuple[Any, ...]:
        data = {f.attname: f.to_python(row.fields[f.name]) for f in info.plain if f.name in row.fields}
        try:
            return tuple(_any(info.model(**data)).natural_key())
        except Exception:
            pass
        for fk in info.fks:  # a natural key that goes through an FK (auth.Permission -> ContentType)
            raw = row.fields.get(fk.name)
            target = get_model(fk.target)
            if raw is None or target is None:
                continue
            try:
                obj = (_any(target._default_manager.db_manager(self.alias)).get_by_natural_key(*raw) if fk.natural
                       else target._base_manager.using(self.alias).get(pk=raw))
            except Exception:
                obj = None
            if obj is not None:
                data[fk.name] = obj
        try:
            return tuple(_any(info.model(**data)).natural_key())
        except Exception:
            return ("line", row.line)

    def _natural_fields(self, info: ModelInfo, sample: tuple[Any, ...]) -> tuple[str, ...] | None:
        """The unique field set whose values are the natural key, if there is one."""
        for names in info.unique_sets:
            if len(names) != len(sample):
                continue
            fields: list[Any] = [info.model._meta.get_field(n) for n in names]
            if any(f.is_relation for f in fields):
                continue
            obj: Any = info.model(**dict(zip([f.attname for f in fields], sample, strict=False)))
            try:
                if tuple(obj.natural_key()) == tuple(sample):
                    return tuple(f.attname for f in fields)
            except Exception:
                continue
        return None

    def _resolve_natural(self, label: str, keys: list[tuple[Any, ...]]) -> dict[Ref, Any]:
        model = get_model(label)
        if model is None or not keys:
            return {}
        info = model_info(model, self.registry)
        names = self._natural_fields(info, keys[0])
        found: dict[Ref, Any] = {}
        if names is not None:
            for chunk in chunks(keys, Q_CHUNK):
                q = Q()
                for k in chunk:
                    q |= Q(**dict(zip(names, k, strict=False)))
                for values in self.qs(model).filter(q).values_list(*names, "pk"):
                    found[(label, tuple(values[:-1]))] = values[-1]
            return found
        manager: Any = model._default_manager.db_manager(self.alias)
        for k in keys:  # no field set matches the natural key: ask the manager, one by one
            try:
                found[(label, k)] = manager.get_by_natural_key(*k).pk
            except Exception:
                continue
        return found

    def _apply_retarget(self) -> None:
        for ref, forced, overrides in self.retarget.forced_items():
            item = self.plan.index.get(ref)
            if item is not None:
                item.forced = forced
                item.overrides = overrides

    # -- values ----------------------------------------------------------------
    def target_ref(self, ref: Ref) -> Any:
        """Where a reference points in the target before decisions (retarget applied, natural keys resolved).

        An object whose key belongs to another tenant in the target can only get a new key (or be
        skipped), so references to it are "a new key" too: they can clash with nothing.
        """
        mapped = self.retarget.map_ref(ref)
        if mapped is not None:
            return mapped
        item = self.plan.index.get(ref)
        if item is not None and item.other_tenant and item.base in ("key_clash", "unique_clash"):
            return NEW_KEY
        if isinstance(ref[1], tuple):
            return self.plan.natural.get(ref)
        return ref[1]

    def incoming_values(self, info: ModelInfo, item: Item) -> dict[str, Any]:
        """The row's local column values as they would be written (attname -> Python value)."""
        row = item.row
        out: dict[str, Any] = {}
        fields = row.fields
        for f in info.plain:
            if f.name in fields:
                out[f.attname] = f.to_python(fields[f.name])
        for fk in info.fks:
            if fk.name not in fields:
                continue
            raw = fields[fk.name]
            if raw is None:
                out[fk.attname] = None
            else:
                target = get_model(fk.target)
                out[fk.attname] = self.target_ref((fk.target, _key(fk.natural, raw, target)))
        if item.overrides:
            for name, value in item.overrides.items():
                target_field: Any = info.model._meta.get_field(name)
                out[target_field.attname] = target_field.to_python(value)
        return out

    def incoming_m2m(self, info: ModelInfo, row: Row) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for m in info.m2ms:
            target = get_model(m.target)
            out[m.name] = [self.target_ref((m.target, _key(m.natural, raw, target)))
                           for raw in row.fields.get(m.name) or ()]
        return out

    def incoming_tenant(self, info: ModelInfo, row: Row, dim: str) -> Any:
        """The tenant (target pk) the incoming row belongs to, following its scope path through the file."""
        path = info.scope_paths.get(dim)
        if not path:
            return None
        current: Row | None = row
        current_info = info
        parts = path.split("__")
        for i, part in enumerate(parts):
            if current is None:
                return None
            fk = next((f for f in current_info.fks if f.name == part), None)
            if fk is None and current_info.parent_link is None:
                return None
            if fk is None:
                parent = self.plan.index.get((current_info.parent_link.target, current.pk))  # type: ignore[union-attr]
                if parent is None:
                    return None
                current, current_info = parent.row, self.infos[parent.label]
                fk = next((f for f in current_info.fks if f.name == part), None)
                if fk is None:
                    return None
            raw = current.fields.get(fk.name)
            if raw is None:
                return None
            ref = (fk.target, _key(fk.natural, raw, get_model(fk.target)))
            if i == len(parts) - 1:
                return self.target_ref(ref)
            nxt = self.plan.index.get(ref)
            if nxt is None:
                return None
            current, current_info = nxt.row, self.infos[fk.target]
        return None

    # -- classification ----------------------------------------------------------
    def _existing(self, label: str, items: list[Item]) -> None:
        """Compare with the target's rows of the same keys, a batch of objects at a time."""
        info = self.infos[label]
        model = info.model
        attnames = [f.attname for f in info.local_fields]
        scope_cols = {dim: f"_tc_scope_{dim}" for dim in info.scope_paths}
        free = self.plan.free.setdefault(label, [])
        seen = self.plan.seen.setdefault(label, {})
        from django.db.models import F

        for batch in chunks(items, self.batch):
            by_target: dict[Any, Item] = {}
            for it in batch:
                if info.natural and it.row.pk is None:
                    pk = self.plan.natural.get((label, it.key))
                else:
                    pk = self.target_ref((label, it.key))
                if it.forced is not None:
                    pk = None if it.forced == "new_key" else pk
                    if it.forced == "use_existing":
                        it.target_pk = pk
                        it.cls = "identical" if pk is not None else it.cls
                        continue
                if pk is not None and not is_new(pk):
                    by_target[pk] = it
            if not by_target:
                continue
            qs = self.qs(model).filter(pk__in=list(by_target))
            rows = qs.annotate(**{col: F(info.scope_paths[dim]) for dim, col in scope_cols.items()}).values(
                *attnames, *scope_cols.values())
            existing_rows = {r[info.pk_attname]: r for r in rows}
            m2m = self._existing_m2m(info, list(existing_rows))
            for pk, values in existing_rows.items():
                it = by_target[pk]
                tenants = {dim: values.pop(col) for dim, col in scope_cols.items()}
                seen[pk] = row_digest(info, values, m2m.get(pk))
                self._compare(info, it, pk, values, tenants, m2m.get(pk) or {})
            for pk, it in by_target.items():
                if pk not in existing_rows:
                    free.append(pk)
                    if info.natural and it.row.pk is None:
                        it.target_pk = None

    def _existing_m2m(self, info: ModelInfo, pks: list[Any]) -> dict[Any, dict[str, list[Any]]]:
        return existing_m2m(self.alias, info, pks)

    def _compare(self, info: ModelInfo, it: Item, pk: Any, values: dict[str, Any], tenants: dict[str, Any],
                 m2m: dict[str, list[Any]]) -> None:
        it.target_pk = pk
        it.existing = values
        for dim in info.scope_paths:
            mine = self.incoming_tenant(info, it.row, dim)
            theirs = tenants.get(dim)
            if mine is not None and str(mine) != str(theirs):
                it.cls = "key_clash"
                it.other_tenant = True
                it.detail = (f"the key {key_text(it.key)} belongs to a row of another tenant "
                             f"({dim} {theirs}) in the target")
                return
        incoming = self.incoming_values(info, it)
        fields = info.fields_by_attname
        if not info.scoped and not info.natural and it.forced is None:
            for names in info.unique_sets:
                if any(n in incoming and not same(fields[n], incoming[n], values.get(n)) for n in names):
                    shown = ", ".join(f"{n}={values.get(n)!r}" for n in names)
                    it.cls = "key_clash"
                    it.other_tenant = bool(info.tenant_dimensions)
                    kind = "another tenant" if info.tenant_dimensions else "a different object"
                    it.detail = f"the key {key_text(it.key)} is {kind} in the target ({shown})"
                    return
        diffs = []
        for name, value in incoming.items():
            if name == info.pk_attname:
                continue
            f = fields.get(name)
            if not (same(f, value, values.get(name)) if f is not None else _same(value, values.get(name))):
                diffs.append(FieldDiff(f.name if f is not None else name, value, values.get(name)))
        for name, targets in self.incoming_m2m(info, it.row).items():
            if sorted(map(str, targets)) != sorted(map(str, m2m.get(name, []))):
                diffs.append(FieldDiff(name, sorted(targets, key=str), sorted(m2m.get(name, []), key=str)))
        if diffs:
            it.cls = "changed"
            it.diff = diffs
            it.detail = "differs in " + ", ".join(d.field for d in diffs)
        else:
            it.cls = "identical"

    def _unique_clashes(self, label: str, items: list[Item]) -> None:
        """Every unique set of every object (unique fields, ``unique_together``, unique constraints, conditional
        and expression ones included): an object can clash on several (pretalx's Submission has ``code`` and
        ``review_code``), and each is recorded, so that a rename or a decision resolves all of them, not only
        the first."""
        info = self.infos[label]
        if not items or not self._unique_checks(info):
            return
        for batch in chunks(items, self.batch):
            self._unique_clashes_batch(label, info, batch)

    def _unique_clashes_batch(self, label: str, info: ModelInfo, items: Sequence[Item]) -> None:
        from django.db.models.functions import Lower, Upper

        values = {id(it): self.incoming_values(info, it) for it in items}
        fields = info.fields_by_attname
        for names, rule in self._unique_checks(info):
            functions = rule.functions if rule is not None else (None,) * len(names)
            # The columns compared: a function's value is an annotation of the same function on the target.
            exprs = {f"_tc_unique_{i}": (Lower if fn == "lower" else Upper)(fields[n].name)
                     for i, (n, fn) in enumerate(zip(names, functions, strict=True)) if fn}
            cols = [f"_tc_unique_{i}" if fn else n for i, (n, fn) in enumerate(zip(names, functions, strict=True))]
            wanted: dict[tuple[Any, ...], Item] = {}
            for it in items:
                v = values[id(it)]
                if it.cls not in ("new", "key_clash", "unique_clash") or any(
                        v.get(n) is None or is_new(v.get(n)) for n in names) or not self._bound(info, rule, v):
                    continue
                wanted[tuple(FUNCTIONS[fn](v[n]) if fn else v[n] for n, fn in zip(names, functions, strict=True))] = it
            keys = list(wanted)
            size = self.batch if len(names) == 1 else Q_CHUNK
            target = self.qs(info.model)
            if rule is not None and rule.condition is not None:
                target = target.filter(rule.condition)  # only the rows the constraint binds can hold the value
            for chunk in chunks(keys, size):
                if len(names) == 1:
                    q = Q(**{f"{cols[0]}__in": [k[0] for k in chunk]})
                else:
                    q = Q()
                    for k in chunk:
                        q |= Q(**dict(zip(cols, k, strict=False)))
                ann = self._scope_annotations(info)
                for row in target.annotate(**exprs).filter(q).annotate(**ann).values(
                        *[f.attname for f in info.local_fields], *ann, *exprs):
                    k = tuple(row[c] for c in cols)
                    for col in exprs:
                        row.pop(col)
                    it = wanted.get(_norm_key(k, wanted))  # type: ignore[assignment]
                    if it is None or it.cls not in ("new", "key_clash", "unique_clash"):
                        continue
                    pk = row[info.pk_attname]
                    if it.cls == "unique_clash" and any(p == pk and set(s) == set(names) for s, p in it.clash_sets):
                        continue
                    tenants = {d: row.pop(f"_tc_scope_{d}") for d in info.scope_paths}
                    m2m = self._existing_m2m(info, [pk]).get(pk)
                    self.plan.seen.setdefault(label, {})[pk] = row_digest(info, row, m2m)
                    shown = ", ".join(f"{fields[n].name}={row[n]!r}" for n in names)
                    held = f"{shown} is already held by {label} {pk} in the target{_rule_text(rule)}"
                    other = ""
                    for dim in info.scope_paths:
                        mine = self.incoming_tenant(info, it.row, dim)
                        if mine is not None and str(mine) != str(tenants.get(dim)):
                            other = f" (another tenant: {dim} {tenants.get(dim)})"
                    diff = [FieldDiff(fields[n].name, values[id(it)].get(n), row.get(n))
                            for n in values[id(it)] if not same(fields[n], values[id(it)].get(n), row.get(n))]
                    if it.cls == "unique_clash":  # a further set of the same object clashes too
                        it.clash = tuple(dict.fromkeys((*it.clash, *names)))
                        it.clash_sets = [*it.clash_sets, (names, pk)]
                        it.other_tenant = it.other_tenant or bool(other)
                        it.detail += f"; {held}{other}"
                        if str(pk) != str(it.target_pk):
                            it.diff = [*it.diff, *(FieldDiff(f"{d.field} (of {label} {pk})", d.incoming, d.existing)
                                                   for d in diff if d.field in {fields[n].name for n in names})]
                        continue
                    prefix = f"the key is taken ({it.detail}) and " if it.cls == "key_clash" else ""
                    it.cls = "unique_clash"
                    it.target_pk = pk
                    it.clash = names
                    it.clash_sets = [(names, pk)]
                    # From now on: whose is the row that holds the value?
                    it.other_tenant = bool(other)
                    it.existing = row
                    it.detail = f"{prefix}{held}{other}"
                    it.diff = diff

    def _scope_annotations(self, info: ModelInfo) -> dict[str, Any]:
        from django.db.models import F

        return {f"_tc_scope_{dim}": F(path) for dim, path in info.scope_paths.items()}

    def _missing_refs(self) -> None:
        """References to objects neither in the file nor in the target, per referenced model in batches.

        A generic foreign key is a plain column, not a constraint: ``loaddata`` loads a row whose
        generic FK points at an object that no longer exists, and so does the import. Such rows
        keep their class and are listed in :attr:`Plan.dangling_generic` (flagged, not refused).
        """
        needed: dict[str, set[Any]] = {}
        pending: list[tuple[Item, str, str, Ref, Any, bool]] = []
        for it in self.plan.all_items():
            if it.cls in ("invalid_value", "duplicate"):
                continue
            for kind, name, ref, detachable in self.refs.all_refs(it.row):
                if ref in self.plan.index:
                    continue
                target = self.target_ref(ref)
                if is_new(target):
                    continue
                if target is None:
                    pending.append((it, kind, name, ref, None, detachable))
                    continue
                needed.setdefault(ref[0], set()).add(target)
                pending.append((it, kind, name, ref, target, detachable))
        present: dict[str, set[str]] = {}
        for label, keys in needed.items():
            model = get_model(label)
            got: set[str] = set()
            if model is not None:
                for chunk in chunks(ordered(keys), self.batch):
                    got.update(str(pk) for pk in self.qs(model).filter(pk__in=chunk).values_list("pk", flat=True))
            present[label] = got
        for it, kind, name, ref, target, detachable in pending:
            if target is not None and str(target) in present.get(ref[0], set()):
                continue
            if kind == "gfk":
                self.plan.dangling_generic.append(
                    (it.ref, f"{name} -> {ref[0]} {key_text(ref[1])}, which no longer exists (kept, as loaddata "
                             "keeps it: a generic foreign key is not checked by the database)"))
                continue
            self.plan.missing.add(ref)
            if it.cls in ("new", "changed", "identical"):
                it.base_cls = it.cls
                it.cls = "missing_ref"
                it.detail = f"{name} -> {ref[0]} {key_text(ref[1])}, which is neither in the file nor in the target"
            elif it.cls == "missing_ref":
                it.detail += f"; {name} -> {ref[0]} {key_text(ref[1])}"
            if it.cls == "missing_ref":
                it.missing = (*it.missing, (name, f"{ref[0]}:{key_text(ref[1])}", detachable))


def _key(natural: bool, raw: Any, model: type[Model] | None) -> Any:
    if natural and isinstance(raw, (list, tuple)):
        return tuple(raw)
    if model is None:
        return raw
    try:
        return model._meta.pk.to_python(raw)
    except Exception:
        return raw


def _rule_text(rule: UniqueRule | None) -> str:
    """`` (unique constraint NAME over lower(tag), event_id, for the rows where default=True)``, or nothing."""
    if rule is None:
        return ""
    over = f" over {rule.parts()}" if any(rule.functions) else ""
    where = f", for the rows where {_condition(rule)}" if rule.condition is not None else ""
    return f" (unique constraint {rule.name}{over}{where})"


def _condition(rule: UniqueRule) -> str:
    from tenant_console.core.importer.constraints import condition_text

    return condition_text(rule.condition)


def _norm_key(k: tuple[Any, ...], wanted: dict[tuple[Any, ...], Any]) -> tuple[Any, ...]:
    """The wanted key that the database matched with row values ``k``.

    The database's comparison decides what it returns: besides exact and textual equality, a
    case- and trailing-space-insensitive collation (MariaDB/MySQL's default ``*_ci``, PAD SPACE)
    returns ``Python`` for ``python``; such a row still holds the unique value, so it is matched
    the same way rather than missed (the clash would otherwise only surface when the insert fails).
    """
    if k in wanted:
        return k
    text = tuple(str(x) for x in k)
    for w in wanted:
        if tuple(str(x) for x in w) == text:
            return w
    loose = tuple(_collated(x) for x in k)
    for w in wanted:
        if tuple(_collated(x) for x in w) == loose:
            return w
    return k


def _collated(value: Any) -> str:
    return str(value).casefold().rstrip(" ") if isinstance(value, str) else str(value)


def _any(value: Any) -> Any:
    """Natural keys are duck-typed (``natural_key``/``get_by_natural_key``); say so to the type checker."""
    return value


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    return str(a) == str(b)


def build_plan(export: Export, alias: str, registry: ScopeRegistry, retarget: Retarget | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> Plan:
    """Classify every object of ``export`` against database ``alias`` (call on a session thread)."""
    return Planner(export, alias, registry, retarget, progress).run()


def existing_m2m(alias: str, info: ModelInfo, pks: list[Any]) -> dict[Any, dict[str, list[Any]]]:
    """``{pk: {m2m name: [target pks]}}`` for rows of ``info`` (one query per m2m field)."""
    out: dict[Any, dict[str, list[Any]]] = {}
    if not pks:
        return out
    for m in info.m2ms:
        for pk in pks:
            out.setdefault(pk, {})[m.name] = []
        links = m.through._base_manager.using(alias).filter(**{f"{m.source_col}__in": pks}).values_list(
            m.source_col, m.target_col)
        for src, dst in links:
            out[src][m.name].append(dst)
    return out


def snapshot(plan: Plan, label: str, pks: Iterable[Any]) -> dict[Any, str]:
    """Current digests of the given target rows (same shape as :attr:`Plan.seen`)."""
    info = plan.infos[label]
    out: dict[Any, str] = {}
    attnames = [f.attname for f in info.local_fields]
    for chunk in chunks(ordered(pks), batch_size(plan.alias)):
        rows = {r[info.pk_attname]: r for r in info.model._base_manager.using(plan.alias).filter(
            pk__in=chunk).values(*attnames)}
        m2m = existing_m2m(plan.alias, info, list(rows))
        for pk, values in rows.items():
            out[pk] = row_digest(info, values, m2m.get(pk))
    return out
