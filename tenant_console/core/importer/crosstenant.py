"""Cross-tenant references: the plan's check that an import never links two tenants by accident.

After retargeting, every reference of an incoming scoped object (FK, one-to-one,
many-to-many, generic FK) is followed to where it will point in the target: an
incoming row (whose tenant is where *that* row goes) or an existing target row
(whose tenant is read from the database along its scope path). If that tenant is
not the one the object itself will belong to, the object is classified
``cross_tenant_reference``: a conflict of its own that no default decides. The
manifest's ``dangling`` references are exactly such references (the exporter left
the other tenant's row out), so they go through the same check; one whose target
does not exist at all stays ``missing_ref``.

Objects are checked in batches of :data:`BATCH` (memory does not grow with the file).
Existing rows are looked up in batches: one query per referenced model, scope path
and chunk (``pk__in`` annotated with the scope path, as ``registry.tenant_q``
filters), never per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F

from tenant_console.core.importer.meta import ModelInfo, get_model, model_info
from tenant_console.core.importer.reader import Row, key_text
from tenant_console.core.importer.refs import Ref
from tenant_console.core.importer.retarget import is_new

if TYPE_CHECKING:
    from tenant_console.core.importer.plan import Item, Planner

CLASS = "cross_tenant_reference"
#: Classes an object can have before the check and still be reclassified: everything that may be
#: written. ``identical`` rows are not written (the reference is already there); ``missing_ref`` and
#: ``schema`` can only be skipped anyway.
CHECKED = ("new", "changed", "key_clash", "unique_clash")

#: Objects checked at once: their references, and where those point, are held for one batch at a time.
BATCH = 2000
#: Incoming rows whose destination tenant is remembered (parents asked for again and again); then forgotten.
MEMO = 20_000

#: Where the tenant of something is still to be read from the target: (model label, pk, path from it).
_Lookup = tuple[str, Any, str]


@dataclass(frozen=True)
class CrossRef:
    """One reference of an incoming object into another tenant."""

    field: str
    to: str  # "label:key" as the file writes it
    dimension: str
    theirs: str  # the tenant the referenced row belongs to (label)
    mine: str  # the tenant the object will belong to (label)
    #: The reference can be dropped instead (``detach``): a nullable FK is set to NULL, a many-to-many
    #: link is left out. A non-nullable FK or a generic FK cannot.
    detachable: bool = False
    kind: str = "fk"

    def text(self) -> str:
        return f"{self.field} -> {self.to} belongs to {self.dimension} {self.theirs}, not to {self.mine}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "to": self.to, "dimension": self.dimension, "theirs": self.theirs,
                "mine": self.mine, "detachable": self.detachable}


class CrossTenantCheck:
    """Classifies ``cross_tenant_reference`` conflicts on a finished plan (see the module docstring)."""

    def __init__(self, planner: Planner) -> None:
        self.p = planner
        self.plan = planner.plan
        self._infos: dict[str, ModelInfo | None] = {}
        self._dest: dict[int, dict[str, Any]] = {}
        #: The destinations met so far, each once (``_dest`` values share them; never changed once made).
        #: Keyed with the values' types: 1 and True are equal, but not the same tenant key.
        self._shapes: dict[tuple[tuple[str, type, Any], ...], dict[str, Any]] = {}
        self._pending: dict[tuple[str, str], set[Any]] = {}  # (label, path) -> pks to look up
        self._found: dict[tuple[str, str], dict[str, Any]] = {}  # (label, path) -> {str(pk): tenant pk}
        self._labels: dict[tuple[str, str], str] = {}  # (dimension, str(tenant pk)) -> human label

    def info(self, label: str) -> ModelInfo | None:
        if label not in self._infos:
            info = self.p.infos.get(label)
            if info is None:
                model = get_model(label)
                info = model_info(model, self.p.registry) if model is not None else None
            self._infos[label] = info
        return self._infos[label]

    # -- where things belong -------------------------------------------------------
    def _owner_of_row(self, item: Item, depth: int = 0) -> dict[str, Any]:
        """{dimension: tenant or lookup} for an incoming row, where it will be after the import."""
        if id(item) in self._dest:
            return self._dest[id(item)]
        info = self.p.infos[item.label]
        out: dict[str, Any] = {}
        for dim in info.tenant_dimensions:
            out[dim] = self.p.target_ref((item.label, item.key))
        for dim, path in info.scope_paths.items():
            out[dim] = self._follow(info, item.row, path, depth)
        try:  # nearly every row of a tenant goes to the same place: one dict for all of them, not one each
            out = self._shapes.setdefault(tuple((k, type(v), v) for k, v in out.items()), out)
        except TypeError:
            pass  # a value that cannot be hashed: this row keeps its own
        self._dest[id(item)] = out
        return out

    def _follow(self, info: ModelInfo, row: Row, path: str, depth: int) -> Any:
        """The tenant at the end of ``path`` from an incoming row: through the file while it can,
        then from the first target row on (a lookup, answered in a batch)."""
        parts = path.split("__")
        fk = next((f for f in info.fks if f.name == parts[0]), None)
        if fk is None and info.parent_link is not None:
            parent = self.plan.index.get((info.parent_link.target, row.pk))
            if parent is None:
                return self._lookup((info.parent_link.target, row.pk), path)
            return self._follow(self.p.infos[parent.label], parent.row, path, depth)
        if fk is None:
            return None
        raw = row.fields.get(fk.name)
        if raw is None:
            return None
        from tenant_console.core.importer.refs import ref_key

        ref = (fk.target, ref_key(fk.natural, raw, get_model(fk.target)))
        rest = "__".join(parts[1:])
        if not rest:
            return self.p.target_ref(ref)
        nxt = self.plan.index.get(ref)
        if nxt is not None and depth < 20:
            return self._follow(self.p.infos[nxt.label], nxt.row, rest, depth + 1)
        return self._lookup(ref, rest)

    def _lookup(self, ref: Ref, path: str) -> Any:
        pk = self.p.target_ref(ref)
        if pk is None or is_new(pk):
            return None
        self._pending.setdefault((ref[0], path), set()).add(pk)
        return ("lookup", ref[0], pk, path)

    def _owner_of_ref(self, ref: Ref) -> dict[str, Any]:
        """{dimension: tenant or lookup} of what a reference points at in the target."""
        item = self.plan.index.get(ref)
        if item is not None:
            return self._owner_of_row(item)
        info = self.info(ref[0])
        if info is None:
            return {}
        out: dict[str, Any] = {}
        target = self.p.target_ref(ref)
        if target is None or ref in self.plan.missing:
            return {}
        for dim in info.tenant_dimensions:
            out[dim] = target
        if is_new(target):
            return out
        for dim, path in info.scope_paths.items():
            self._pending.setdefault((ref[0], path), set()).add(target)
            out[dim] = ("lookup", ref[0], target, path)
        return out

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 4 and value[0] == "lookup":
            return self._found.get((value[1], value[3]), {}).get(str(value[2]))
        return value

    def _run_lookups(self) -> None:
        """One query per (model, scope path) and chunk: ``pk__in`` annotated with the path's tenant."""
        from tenant_console.core.importer.plan import chunks, ordered

        for (label, path), pks in self._pending.items():
            found = self._found.setdefault((label, path), {})
            todo = [pk for pk in pks if str(pk) not in found]
            model = get_model(label)
            if model is None or not todo:
                continue
            for chunk in chunks(ordered(todo), self.p.batch):
                rows = self.p.qs(model).filter(pk__in=chunk).annotate(_tc_owner=F(path)).values_list(
                    "pk", "_tc_owner")
                for pk, owner in rows:
                    found[str(pk)] = owner
        self._pending.clear()

    # -- the check -------------------------------------------------------------------
    def run(self) -> None:
        """In batches of objects: memory for the check is bounded by the batch, not by the file."""
        batch: list[Item] = []
        for it in self.plan.all_items():
            info = self.p.infos[it.label]
            if it.cls not in CHECKED or it.forced is not None or not (info.scope_paths or info.tenant_dimensions):
                continue
            batch.append(it)
            if len(batch) >= BATCH:
                self._check(batch)
                batch = []
        if batch:
            self._check(batch)

    def _check(self, items: list[Item]) -> None:
        if len(self._dest) > MEMO:
            self._dest.clear()  # where rows go is a cache (recomputed from the file when asked again)
            self._shapes.clear()
        candidates: list[tuple[Item, dict[str, Any], list[tuple[str, Ref, dict[str, Any], str, bool]]]] = []
        for it in items:
            info = self.p.infos[it.label]
            refs: list[tuple[str, Ref, dict[str, Any], str, bool]] = []
            for kind, name, ref, detachable in self.p.refs.all_refs(it.row):
                tinfo = self.info(ref[0])
                if tinfo is None or not (tinfo.scope_paths or tinfo.tenant_dimensions):
                    continue  # shared rows belong to nobody
                if info.parent_link is not None and name == info.parent_link.name:
                    continue  # an MTI child is its parent: the same object
                refs.append((name, ref, self._owner_of_ref(ref), kind, detachable))
            if refs:
                candidates.append((it, self._owner_of_row(it), refs))
        self._run_lookups()
        labels = self._tenant_labels(candidates)
        for it, dest, refs in candidates:
            mine = {d: self._resolve(v) for d, v in dest.items()}
            found: list[CrossRef] = []
            for name, ref, owner, kind, detachable in refs:
                for dim, value in owner.items():
                    theirs = self._resolve(value)
                    own = mine.get(dim)
                    if theirs is None or own is None or str(theirs) == str(own):
                        continue
                    found.append(CrossRef(name, f"{ref[0]}:{key_text(ref[1])}", dim,
                                          labels.get((dim, str(theirs)), str(theirs)),
                                          labels.get((dim, str(own)), str(own)), detachable, kind))
            if found:
                it.cross = found
                it.base_cls = it.cls
                it.cls = CLASS
                it.detail = "; ".join(c.text() for c in found)

    def _tenant_labels(self, candidates: list[Any]) -> dict[tuple[str, str], str]:
        """Human labels of the tenants involved (one query per dimension and batch; kept for the next batches)."""
        wanted: dict[str, set[Any]] = {}
        for _it, dest, refs in candidates:
            for dim, v in dest.items():
                wanted.setdefault(dim, set()).add(self._resolve(v))
            for _name, _ref, owner, _kind, _detachable in refs:
                for dim, v in owner.items():
                    wanted.setdefault(dim, set()).add(self._resolve(v))
        out = self._labels
        for dim, values in wanted.items():
            d = self.p.registry.dimensions.get(dim)
            if d is None:
                continue
            values = {v for v in values if (dim, str(v)) not in out}
            pks = [v for v in values if v is not None and not is_new(v)]
            for v in values:
                if is_new(v):
                    out[(dim, str(v))] = "the " + self.p.retarget.text().removeprefix("as a ")
            if pks:
                for obj in d.model._base_manager.using(self.p.alias).filter(pk__in=pks):
                    out[(dim, str(obj.pk))] = f"{obj.pk} ({d.label(obj)})"
        return out


def check_cross_tenant(planner: Planner) -> None:
    CrossTenantCheck(planner).run()
