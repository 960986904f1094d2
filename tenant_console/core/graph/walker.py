"""The batched graph walker: everything that hangs off some objects, in few queries.

Usage (on a session thread, e.g. ``session.run(walk, registry, roots, ...)``)::

    from tenant_console.core.graph import walk, WalkRules

    result = walk(project.registry, [submission], WalkRules(depth=None), alias="default")
    result.counts()            # {"conference.review": 80, "conference.submission": 41, ...}
    result.cross_tenant        # [CrossTenantEdge(edge=Edge(...), source_tenant=..., target_tenant=...)]
    result.queries             # statements issued by the walk
    result.pks_by_model()      # what an object export reads: {"conference.review": [3, 9, ...], ...}

``roots`` are model instances, ``(model or "app.Model", pk)`` pairs or node keys
``("app.model", pk)``. ``tenant`` (``{dimension: pk}``) is the reference tenant
for classification; by default the first scoped root's tenant. ``progress`` is
called with a :class:`WalkProgress` after every query; raising from it (for
example :class:`~tenant_console.core.errors.Cancelled`) stops the walk.

How it stays fast: the walk goes level by level like Django's deletion
``Collector``. At each level, for every model and relation, it issues ONE
query (``fk__in`` / ``pk__in``, chunked by the backend's parameter limit) for
all the objects of that level, never one per object, so the number of queries
grows with models x relations x depth, not with the number of objects.
A row is loaded by the very query that discovers it (a reverse-FK query
selects the related rows' own FK and scope columns), so it costs nothing
more to expand later. Every read goes through ``_base_manager`` (a
``ScopedManager`` would filter silently, or refuse outside a scope), and
isolation is checked explicitly: the same query reads each row's scope paths
(``submission__event``), and :mod:`.classify` compares them to the reference
tenant.

Null FKs, references to rows that don't exist (reported in
``result.missing``) and cycles are normal. Which relations are followed is
decided by :class:`~tenant_console.core.graph.rules.WalkRules` (see there for
the default "export this object" semantics).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.graph.classify import Classification, ScopeColumns, classify, tenants_differ
from tenant_console.core.graph.relations import Kind, Relation, concrete, field_of, model_key, relations_of
from tenant_console.core.graph.result import CrossTenantEdge, Edge, GraphResult, MissingTarget, Node, NodeKey
from tenant_console.core.graph.rules import WalkRules
from tenant_console.core.tenancy.rows import in_batch_size

Root = Model | tuple[Any, Any]


@dataclass(frozen=True)
class WalkProgress:
    level: int
    nodes: int
    queries: int
    model: str
    relation: str


ProgressCallback = Callable[[WalkProgress], None]


def batch_size(alias: str, n: int) -> int:
    """How many values one ``IN`` list may carry on ``alias`` (never more than ``n`` are needed)."""
    return max(1, min(in_batch_size(alias), max(n, 1)))


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class _Spec:
    """What one load query of ``model`` selects, and where each value sits in the row."""

    def __init__(self, model: type[Model], cols: ScopeColumns, extra: Iterable[str]) -> None:
        self.model = model
        self.key = model_key(model)
        opts = model._meta
        self.pk_attname = opts.pk.attname
        columns: list[str] = [self.pk_attname]
        self.forward: list[tuple[Relation, int]] = []
        self.gfks: list[tuple[Relation, int, int]] = []
        self.m2m: list[Relation] = []
        for rel in relations_of(model):
            if rel.kind in (Kind.FK, Kind.O2O, Kind.PARENT):
                self.forward.append((rel, len(columns)))
                columns.append(rel.field.attname)
            elif rel.kind is Kind.GFK:
                ct_field = field_of(model, rel.field.ct_field)
                fk_field = field_of(model, rel.field.fk_field)
                self.gfks.append((rel, len(columns), len(columns) + 1))
                columns += [ct_field.attname, fk_field.attname]
            elif rel.kind is Kind.M2M and rel.auto_through:
                self.m2m.append(rel)
        self.attrs: dict[str, int] = {self.pk_attname: 0}
        for name in extra:
            if name not in self.attrs:
                self.attrs[name] = len(columns)
                columns.append(name)
        self.scope: list[tuple[str, int]] = []
        for dim, path in cols.paths(model):
            self.scope.append((dim, len(columns)))
            columns.append(path)
        self.scoped = bool(self.scope)
        self.columns = columns


class _Walk:
    def __init__(self, registry: ScopeRegistry, rules: WalkRules, alias: str,
                 progress: ProgressCallback | None) -> None:
        self.registry = registry
        self.rules = rules
        self.alias = alias
        self.progress = progress
        self.cols = ScopeColumns(registry)
        self.specs: dict[type[Model], _Spec] = {}
        self.result = GraphResult(roots=[], reference={})
        self.rows: dict[NodeKey, tuple[Any, ...]] = {}
        self.attrs: dict[NodeKey, dict[str, Any]] = {}
        self.by_attr: dict[tuple[str, str], dict[Any, Any]] = defaultdict(dict)
        self.forward_done: set[NodeKey] = set()
        self.reverse_done: set[NodeKey] = set()
        self.level = 0
        self.current = ("", "")

    # -- plumbing -----------------------------------------------------------------
    def _count(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.result.queries += 1
        try:
            return execute(sql, params, many, context)
        finally:
            if self.progress is not None:
                self.progress(WalkProgress(self.level, len(self.result.nodes), self.result.queries,
                                           *self.current))

    def spec(self, model: type[Model]) -> _Spec:
        model = concrete(model)
        if model not in self.specs:
            extra = []
            for rel in relations_of(model):
                if rel.kind in (Kind.REVERSE_FK, Kind.REVERSE_O2O, Kind.CHILD):
                    extra.append(rel.field.field.target_field.attname)
                elif rel.kind in (Kind.M2M, Kind.REVERSE_M2M) and rel.auto_through:
                    extra.append(_m2m_sides(rel)[0].target_field.attname)
            self.specs[model] = _Spec(model, self.cols, extra)
        return self.specs[model]

    def qs(self, model: type[Model]) -> Any:
        return model._base_manager.db_manager(self.alias).all()

    def value_of(self, key: NodeKey, attname: str, spec: _Spec) -> Any:
        if attname == spec.pk_attname:
            return key[1]
        return self.attrs.get(key, {}).get(attname)

    # -- nodes ----------------------------------------------------------------------
    def add(self, spec: _Spec, row: Sequence[Any], *, owned: bool, root: bool = False) -> tuple[NodeKey, bool]:
        """Record a loaded row; returns (key, is_new)."""
        key: NodeKey = (spec.key, row[0])
        node = self.result.nodes.get(key)
        if node is not None:
            return key, False
        tenant = {dim: row[i] for dim, i in spec.scope} if spec.scoped else None
        self.result.nodes[key] = Node(key=key, classification=classify(tenant, self.result.reference),
                                      tenant=tenant, depth=self.level if root else self.level + 1,
                                      owned=owned, root=root)
        self.rows[key] = tuple(row)
        if len(spec.attrs) > 1:
            values = {name: row[i] for name, i in spec.attrs.items() if name != spec.pk_attname}
            self.attrs[key] = values
            for name, value in values.items():
                self.by_attr[(spec.key, name)][value] = key[1]
        return key, True

    def expandable(self, key: NodeKey) -> bool:
        node = self.result.nodes[key]
        return node.classification is not Classification.OTHER or self.rules.enter_other_tenants

    def may_reverse(self, model: type[Model], key: NodeKey) -> bool:
        if self.rules.reverse == "none":
            return False
        if self.cols.is_tenant_model(model):
            if not self.rules.from_tenant:
                return False
        elif not self.cols.is_scoped(model) and not self.rules.from_shared:
            return False
        return self.rules.reverse == "all" or self.result.nodes[key].owned

    def follows(self, rel: Relation) -> bool:
        if self.rules.stops(rel):
            return False
        if rel.target_key is not None and self.rules.excludes(rel.target_key):
            return False
        if rel.forward:
            return rel.kind is not Kind.M2M or rel.auto_through
        if self.rules.reverse == "all":
            return rel.kind is not Kind.REVERSE_M2M or rel.auto_through
        return rel.owning and rel.kind in (Kind.REVERSE_FK, Kind.REVERSE_O2O, Kind.CHILD, Kind.GENERIC_RELATION)

    # -- the walk -------------------------------------------------------------------
    def run(self, roots: Sequence[Root], tenant: Mapping[str, Any] | None) -> GraphResult:
        started = time.perf_counter()
        conn = connections[self.alias]
        with conn.execute_wrapper(self._count), _gc_paused():
            root_keys = self.load_roots(roots)
            if tenant:
                self.result.reference = dict(tenant)
            else:
                first = next((self.result.nodes[k] for k in root_keys if self.result.nodes[k].tenant), None)
                self.result.reference = dict(first.tenant) if first and first.tenant else {}
            for node in self.result.nodes.values():
                node.classification = classify(node.tenant, self.result.reference)
            frontier = list(root_keys)  # roots are walked even when they belong to another tenant
            while frontier:
                if self.rules.depth is not None and self.level >= self.rules.depth:
                    self.result.unexpanded = len(frontier)
                    break
                if self.rules.max_nodes is not None and len(self.result.nodes) >= self.rules.max_nodes:
                    self.result.truncated = True
                    self.result.unexpanded = len(frontier)
                    break
                frontier = self.expand(frontier)
                self.level += 1
        self.result.levels = self.level
        self.find_cross_tenant()
        self.rows.clear()
        self.result.seconds = time.perf_counter() - started
        return self.result

    def load_roots(self, roots: Sequence[Root]) -> list[NodeKey]:
        wanted: dict[type[Model], list[Any]] = defaultdict(list)
        for root in roots:
            model, pk = resolve_root(root)
            wanted[model].append(pk)
        keys: list[NodeKey] = []
        missing: list[str] = []
        for model, pks in wanted.items():
            spec = self.spec(model)
            self.current = (spec.key, "(roots)")
            found: set[Any] = set()
            unique = list(dict.fromkeys(pks))
            for chunk in chunks(unique, batch_size(self.alias, len(unique))):
                for row in self.qs(model).filter(pk__in=chunk).values_list(*spec.columns):
                    key, _ = self.add(spec, row, owned=True, root=True)
                    found.add(key)
            for pk in unique:
                key = (spec.key, _pk_value(model, pk))
                if key in found:
                    keys.append(key)
                    self.result.roots.append(key)
                else:
                    missing.append(f"{model._meta.label}.{pk}")
        if missing:
            raise ConsoleError(f"No such object: {', '.join(missing)} (looked up with the base manager on "
                               f"database {self.alias!r}, so no scope hides it).")
        return keys

    def expand(self, frontier: list[NodeKey]) -> list[NodeKey]:
        """Follow every allowed relation of the frontier; return the next frontier."""
        pending: dict[tuple[type[Model], str], dict[Any, list[tuple[NodeKey, str]]]] = defaultdict(
            lambda: defaultdict(list))
        upgraded: list[NodeKey] = []
        fresh: list[NodeKey] = []
        by_model: dict[str, list[NodeKey]] = defaultdict(list)
        for key in frontier:
            by_model[key[0]].append(key)
        for label, keys in by_model.items():
            model = apps.get_model(label)
            spec = self.spec(model)
            forward_keys = [k for k in keys if k not in self.forward_done]
            self.forward(spec, forward_keys, pending)
            self.forward_done.update(forward_keys)
            reverse_keys = [k for k in keys if k not in self.reverse_done and self.may_reverse(model, k)]
            if reverse_keys:
                self.reverse_done.update(reverse_keys)
                for rel in relations_of(model):
                    if not rel.forward and self.follows(rel):
                        self.reverse(rel, spec, reverse_keys, pending, fresh, upgraded)
        for (model, attname), refs in pending.items():
            self.load(model, attname, refs, fresh)
        for key in frontier:
            self.rows.pop(key, None)
        return [k for k in dict.fromkeys(fresh + upgraded) if self.expandable(k)]

    def forward(self, spec: _Spec, keys: list[NodeKey], pending: Any) -> None:
        """FK/one-to-one/parent and generic FK values come from the rows already loaded."""
        followed = [(pending[(rel.target, rel.field.target_field.attname)], rel.name, i)
                    for rel, i in spec.forward if self.follows(rel)]
        gfks = [(rel, ct_i, id_i) for rel, ct_i, id_i in spec.gfks if not self.rules.stops(rel)]
        for key in keys:
            row = self.rows.get(key)
            if row is None:
                continue
            for refs, name, i in followed:
                value = row[i]
                if value is not None:
                    refs[value].append((key, name))
            for rel, ct_i, id_i in gfks:
                ct_id, object_id = row[ct_i], row[id_i]
                if ct_id is None or object_id is None:
                    continue
                target = self.model_for_ct(ct_id)
                if target is None:
                    self.result.missing.append(MissingTarget(key, rel.name, f"contenttype:{ct_id}", object_id))
                    continue
                if self.rules.excludes(model_key(target)):
                    continue
                value = _pk_value(target, object_id, strict=False)
                if value is None:
                    self.result.missing.append(MissingTarget(key, rel.name, model_key(target), object_id))
                    continue
                pending[(target, target._meta.pk.attname)][value].append((key, rel.name))
        for rel in spec.m2m:
            if keys and self.follows(rel):
                self.through(rel, spec, keys, pending)

    def through(self, rel: Relation, spec: _Spec, keys: list[NodeKey], pending: Any) -> None:
        """Many-to-many over an auto-created table: one query per relation and level."""
        src_fk, dst_fk = _m2m_sides(rel)
        src_attr = src_fk.target_field.attname
        by_value = {self.value_of(k, src_attr, spec): k for k in keys}
        by_value.pop(None, None)
        values = list(by_value)
        self.current = (spec.key, rel.name)
        assert rel.through is not None and rel.target is not None
        for chunk in chunks(values, batch_size(self.alias, len(values))):
            rows = self.qs(rel.through).filter(**{f"{src_fk.attname}__in": chunk}).values_list(
                src_fk.attname, dst_fk.attname)
            for src_value, dst_value in rows:
                if dst_value is not None:
                    pending[(rel.target, dst_fk.target_field.attname)][dst_value].append(
                        (by_value[src_value], rel.name))

    def reverse(self, rel: Relation, spec: _Spec, keys: list[NodeKey], pending: Any, fresh: list[NodeKey],
                upgraded: list[NodeKey]) -> None:
        """One query per reverse relation and level; it loads the related rows as well."""
        assert rel.target is not None
        self.current = (spec.key, rel.name)
        if rel.kind in (Kind.REVERSE_M2M,):
            self.through(rel, spec, keys, pending)
            return
        target_spec = self.spec(rel.target)
        if rel.kind in (Kind.GENERIC_RELATION, Kind.GENERIC_REVERSE):
            if rel.kind is Kind.GENERIC_RELATION:
                ct_name, id_name = rel.field.content_type_field_name, rel.field.object_id_field_name
                for_concrete = rel.field.for_concrete_model
            else:
                ct_name, id_name = rel.field.ct_field, rel.field.fk_field
                for_concrete = rel.field.for_concrete_model
            from tenant_console.core.graph.relations import generic_ct_for

            ct = generic_ct_for(spec.model, self.alias, for_concrete_model=for_concrete)
            id_field = field_of(rel.target, id_name)
            by_value: dict[Any, NodeKey] = {str(k[1]): k for k in keys}
            values = _convertible(id_field, by_value)
            filter_attname = id_field.attname
            base = self.qs(rel.target).filter(**{field_of(rel.target, ct_name).attname: ct.pk})

            def source_of(value: Any) -> NodeKey | None:
                return by_value.get(str(value))
        else:
            fk = rel.field.field
            src_attr = fk.target_field.attname
            by_value = {self.value_of(k, src_attr, spec): k for k in keys}
            by_value.pop(None, None)
            values = list(by_value)
            filter_attname = fk.attname
            base = self.qs(rel.target)

            def source_of(value: Any) -> NodeKey | None:
                return by_value.get(value)
        owned_child = rel.owning or self.rules.reverse == "all"
        for chunk in chunks(values, batch_size(self.alias, len(values))):
            rows = base.filter(**{f"{filter_attname}__in": chunk}).values_list(filter_attname,
                                                                              *target_spec.columns)
            for row in rows:
                source = source_of(row[0])
                if source is None:
                    continue
                source_owned = self.result.nodes[source].owned
                key, new = self.add(target_spec, row[1:], owned=owned_child and source_owned)
                self.result.edges.add(Edge(source, rel.name, key))
                if new:
                    fresh.append(key)
                elif owned_child and source_owned and not self.result.nodes[key].owned:
                    self.result.nodes[key].owned = True
                    upgraded.append(key)

    def load(self, model: type[Model], attname: str, refs: dict[Any, list[tuple[NodeKey, str]]],
             fresh: list[NodeKey]) -> None:
        """Load forward targets not seen yet (one query per target model and column); add the edges."""
        spec = self.spec(model)
        is_pk = attname == spec.pk_attname
        known = self.by_attr.get((spec.key, attname), {})

        def pk_for(value: Any) -> Any:
            if is_pk:
                return value if (spec.key, value) in self.result.nodes else None
            return known.get(value)

        unknown = [v for v in refs if pk_for(v) is None]
        self.current = (spec.key, "(load)")
        for chunk in chunks(unknown, batch_size(self.alias, len(unknown))):
            columns = spec.columns if is_pk else [attname, *spec.columns]
            for row in self.qs(model).filter(**{f"{attname}__in": chunk}).values_list(*columns):
                data = row if is_pk else row[1:]
                key, new = self.add(spec, data, owned=False)
                if not is_pk:
                    self.by_attr[(spec.key, attname)][row[0]] = key[1]
                if new:
                    fresh.append(key)
        known = self.by_attr.get((spec.key, attname), {})
        for value, sources in refs.items():
            pk = pk_for(value)
            for source, relation in sources:
                if pk is None:
                    self.result.missing.append(MissingTarget(source, relation, spec.key, value))
                else:
                    self.result.edges.add(Edge(source, relation, (spec.key, pk)))

    def model_for_ct(self, ct_id: Any) -> type[Model] | None:
        from django.contrib.contenttypes.models import ContentType

        try:
            model = ContentType.objects.db_manager(self.alias).get_for_id(ct_id).model_class()
        except ContentType.DoesNotExist:
            return None
        return concrete(model) if model is not None else None

    def find_cross_tenant(self) -> None:
        nodes = self.result.nodes
        found = []
        for edge in self.result.edges:
            a, b = nodes.get(edge.source), nodes.get(edge.target)
            if a is None or b is None or a.tenant is None or b.tenant is None or a.tenant == b.tenant:
                continue
            dims = tenants_differ(a.tenant, b.tenant)
            if dims:
                found.append(CrossTenantEdge(edge, dict(a.tenant or {}), dict(b.tenant or {}), tuple(dims)))
        found.sort(key=lambda c: (c.edge.source[0], str(c.edge.source[1]), c.edge.relation))
        self.result.cross_tenant = found


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a walk builds its (acyclic) nodes and edges.

    A large walk allocates millions of small objects; each allocation burst
    triggers full collections that rescan everything already built, which made
    a 740,000-object walk several times slower. Nothing the walk creates forms
    cycles, so nothing is lost; the collector is restored as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _convertible(id_field: Any, texts: Iterable[str]) -> list[Any]:
    """Source pks as values of a generic object-id column; pks that cannot be stored there are left out."""
    if id_field.get_internal_type() in ("CharField", "TextField", "SlugField"):
        return list(texts)
    out = []
    for text in texts:
        try:
            out.append(id_field.to_python(text))
        except (ValidationError, ValueError, TypeError):
            continue
    return out


def _m2m_sides(rel: Relation) -> tuple[Any, Any]:
    """(FK of the through table pointing at ``rel.model``, FK pointing at ``rel.target``)."""
    m2m_field = rel.field if rel.kind is Kind.M2M else rel.field.field
    through = m2m_field.remote_field.through
    towards_owner = through._meta.get_field(m2m_field.m2m_field_name())
    towards_other = through._meta.get_field(m2m_field.m2m_reverse_field_name())
    if rel.kind is Kind.M2M:
        return towards_owner, towards_other
    return towards_other, towards_owner


def _pk_value(model: type[Model], value: Any, *, strict: bool = True) -> Any:
    try:
        return model._meta.pk.to_python(value)
    except (ValidationError, ValueError, TypeError):
        if strict:
            raise ConsoleError(f"{value!r} is not a valid primary key for {model._meta.label}.")
        return None


def resolve_root(root: Root) -> tuple[type[Model], Any]:
    """A root as (concrete model, pk) from an instance, ``(model, pk)`` or ``("app.model", pk)``."""
    if isinstance(root, Model):
        return concrete(type(root)), root.pk
    if not isinstance(root, tuple) or len(root) != 2:
        raise TypeError(f"a root is a model instance or a (model, pk) pair, not {root!r}")
    model, pk = root
    if isinstance(model, str):
        model = apps.get_model(model)
    model = concrete(model)
    return model, _pk_value(model, pk)


def walk(registry: ScopeRegistry, roots: Sequence[Root], rules: WalkRules | None = None, alias: str = "default",
         *, tenant: Mapping[str, Any] | None = None, progress: ProgressCallback | None = None) -> GraphResult:
    """Walk the closure of ``roots`` under ``rules`` on ``alias``; see the module docstring."""
    if not roots:
        raise ConsoleError("A graph walk needs at least one root object.")
    return _Walk(registry, rules or WalkRules(), alias, progress).run(roots, tenant)
