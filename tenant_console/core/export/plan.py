"""What an export contains: the rows of each model, and every reference leaving them.

A plan is computed on a session thread inside the read-only layer. It reads
through base managers and decides isolation itself (``ScopeRegistry.tenant_q``):
FK access and serializers bypass django-scopes, so "the scope was active" proves
nothing about which rows a fixture ends up holding.

* **Tenant export**: every model scoped by a chosen dimension (and the chosen
  tenant rows themselves) is selected by a filter, never by a list of keys, so
  planning a million rows stays a handful of set-based queries.
* **Object export**: the walker's closure, as primary keys per model.

Then a closure over forward references (FKs, one-to-ones, auto-created
many-to-many, generic FKs), batched per model and relation, adds what the
selected rows need to load: shared (unscoped) rows such as users, organisers and
content types, and, for object exports, rows of the same tenant a limit cut off.
A reference into *another* tenant is never followed silently: it is recorded,
and the policy (``refuse``/``omit``/``include``) decides what happens to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import IntegerField, Model, Q, QuerySet

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.export.relations import Relation, dependency_order, relations_of
from tenant_console.core.plural import plural
from tenant_console.core.tenancy.links import OutsideLink, outside_links
from tenant_console.core.tenancy.rows import in_batch_size

POLICIES = ("refuse", "omit", "include")
#: Reference details kept in a plan; beyond this only the count grows.
MAX_REFERENCES = 10_000


@dataclass(frozen=True)
class Reference:
    """A reference from an exported row to a row the export does not (or must not silently) contain."""

    source: str  # "conference.review.7"
    field: str
    target: str  # "conference.submission.41"
    tenant: dict[str, str]  # the target's tenant, by dimension ({} for a missing row)
    reason: str  # "cross-tenant" or "missing"

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.source, "field": self.field, "to": self.target, "tenant": self.tenant,
                "reason": self.reason}

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.tenant.items())
        what = f"belongs to {where}" if self.reason == "cross-tenant" else "does not exist"
        return f"{self.source}.{self.field} -> {self.target} ({what})"


@dataclass
class Selection:
    """The rows of one model in the export: by filter (``q``), by key (``pks``), or both."""

    model: type[Model]
    role: str  # "tenant", "object" or "shared"
    q: Q | None = None
    pks: set[Any] = field(default_factory=set)
    foreign: int = 0  # rows of another tenant included on purpose (--cross-tenant include)
    count: int = 0

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def querysets(self, alias: str, chunk: int) -> Iterator[QuerySet[Any]]:
        """Querysets in primary-key order that together yield each selected row once."""
        base = self.model._base_manager.using(alias).order_by("pk")
        if self.q is not None:
            yield base.filter(self.q)
        keys = sorted(self.pks)
        for i in range(0, len(keys), chunk):
            yield base.filter(pk__in=keys[i : i + chunk])


@dataclass
class ExportPlan:
    """Everything an export will write, and what it found on the way."""

    kind: str  # "tenant" or "objects"
    alias: str
    vendor: str
    scope: dict[str, dict[str, str]]
    roots: list[str]
    rules: dict[str, Any]
    selections: list[Selection]
    references: list[Reference]
    reference_count: int
    excluded_references: list[dict[str, Any]]
    warnings: list[str]
    queries: int = 0
    #: Labels of the other tenants the references lead into: ``{dimension: {pk: label}}``.
    tenant_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Rows outside the tenant that link into it, left behind (tenant exports; see ``tenancy.links``).
    outside_links: list[OutsideLink] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.selections)

    @property
    def cross_tenant(self) -> list[Reference]:
        return [r for r in self.references if r.reason == "cross-tenant"]

    @property
    def policy(self) -> str:
        return str(self.rules.get("cross_tenant", "refuse"))

    @property
    def refused(self) -> bool:
        """True when the export must stop: cross-tenant references under the ``refuse`` policy."""
        return self.policy == "refuse" and bool(self.cross_tenant)

    def counts(self) -> dict[str, int]:
        return {s.label: s.count for s in self.selections}

    def tenant_label(self, tenant: Mapping[str, str]) -> str:
        """A reference's tenant as people know it (``DemoCon 2026 (democon)``), not as ``event=2``."""
        parts = [self.tenant_labels.get(dim, {}).get(str(pk)) or f"{dim}={pk}" for dim, pk in tenant.items()]
        return ", ".join(parts)

    def describe(self, ref: Reference) -> str:
        """One reference for a person: ``conference.review.7.submission -> conference.submission.41 (belongs
        to PyCon Nordic (pycon-nordic), event=2)``."""
        if ref.reason != "cross-tenant":
            return str(ref)
        ids = ", ".join(f"{k}={v}" for k, v in ref.tenant.items())
        return f"{ref.source}.{ref.field} -> {ref.target} (belongs to {self.tenant_label(ref.tenant)}, {ids})"

    def other_tenants(self) -> dict[str, str]:
        """Per model (label_lower), what the export has to do with other tenants, in every policy.

        Keyed by the model the cross-tenant references point into (the model whose rows
        belong to the other tenant), so the same row of a plan reads the same under
        ``refuse`` (the references that stop the export), ``omit`` (the rows left out,
        whose references dangle) and ``include`` (the rows exported although foreign).
        """
        refs: dict[str, list[Reference]] = {}
        for ref in self.cross_tenant:
            refs.setdefault(ref.target.rsplit(".", 1)[0], []).append(ref)
        foreign = {s.label: s.foreign for s in self.selections if s.foreign}
        found: dict[str, str] = {}
        for label in [*refs, *(lb for lb in foreign if lb not in refs)]:
            tenants = sorted({self.tenant_label(r.tenant) for r in refs.get(label, [])})
            who = "; ".join(tenants[:2]) + (f" +{len(tenants) - 2}" if len(tenants) > 2 else "")
            n_refs = len(refs.get(label, []))
            if self.policy == "include" and foreign.get(label):
                n = foreign[label]
                text = f"{n:,} {plural(n, 'row')} of {who or 'another tenant'}"
            elif n_refs:
                what = "left out" if self.policy == "omit" else plural(n_refs, "ref")
                text = f"{n_refs:,} {what} → {who}"
            else:
                continue
            found[label] = text
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "database": {"alias": self.alias, "vendor": self.vendor}, "scope": self.scope,
            "roots": self.roots, "rules": self.rules, "total": self.total,
            "models": [{"model": s.label, "role": s.role, "count": s.count, "foreign": s.foreign}
                       for s in self.selections],
            "references": [r.as_dict() for r in self.references], "reference_count": self.reference_count,
            "excluded_references": self.excluded_references, "warnings": self.warnings,
            "refused": self.refused, "tenant_labels": self.tenant_labels,
            "outside_links": [link.as_dict() for link in self.outside_links],
        }


def batch_size(alias: str) -> int:
    """How many keys one ``IN (...)`` may carry on this backend (export plans and writes)."""
    return max(100, in_batch_size(alias, most=2000, reserve=50))


def parse_model_labels(labels: Iterable[str], what: str = "--exclude") -> set[type[Model]]:
    """``app_label.Model`` (any case) to model classes, with a suggestion on a typo."""
    from tenant_console.core.errors import did_you_mean

    found: set[type[Model]] = set()
    known = [m._meta.label for m in apps.get_models()]
    for label in labels:
        try:
            found.add(apps.get_model(label))
        except (LookupError, ValueError):
            raise ConsoleError(f"{what} {label}: there is no model {label!r} (expected app_label.Model)."
                               f"{did_you_mean(label, known)}")
    return found


class Planner:
    """Builds an :class:`ExportPlan`; call on a session thread inside the read-only layer."""

    def __init__(self, registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], *,
                 policy: str = "refuse", exclude: Iterable[type[Model]] = ()) -> None:
        if policy not in POLICIES:
            raise ConsoleError(f"--cross-tenant {policy}: choose one of {', '.join(POLICIES)}.")
        self.registry = registry
        self.alias = alias
        self.tenant_pks = dict(tenant_pks)
        self.policy = policy
        self.exclude = set(exclude)
        self.chunk = batch_size(alias)
        self.sel: dict[type[Model], Selection] = {}
        self.references: list[Reference] = []
        self.reference_count = 0
        self.excluded: dict[tuple[str, str, str], int] = {}
        self.warnings: list[str] = []
        self._frontier: list[tuple[type[Model], list[Any], bool]] = []
        self._scope_cache: dict[type[Model], tuple[Q | None, list[tuple[str, str]]]] = {}
        self.outside_links: list[OutsideLink] = []

    # -- scope questions ------------------------------------------------------
    def _scope(self, model: type[Model]) -> tuple[Q | None, list[tuple[str, str]]]:
        """(filter of the chosen tenants' rows, [(dimension, field path)]) or (None, []) when not theirs.

        Both come from the registry (scoped and owned models, tenant models,
        implied dimensions), the same filter browse counts and graph walks use.
        """
        if model not in self._scope_cache:
            paths = self.registry.tenant_paths(model, self.tenant_pks) or []
            q = self.registry.tenant_q(model, self.tenant_pks) if paths else None
            self._scope_cache[model] = (q, paths)
        return self._scope_cache[model]

    def tenant_models(self) -> list[type[Model]]:
        """Every concrete model whose rows belong to the chosen tenants (the tenancy layer's answer)."""
        from tenant_console.core.tenancy.rows import exported_models

        return [m for m in exported_models(self.registry, self.tenant_pks, self.exclude)
                if self._scope(m)[0] is not None]

    # -- building ---------------------------------------------------------------
    def tenant_plan(self) -> None:
        """Select every row of the chosen tenants, then follow what those rows reference."""
        for model in self.tenant_models():
            self.sel[model] = Selection(model, "tenant", q=self._scope(model)[0])
        for model in list(self.sel):
            for rel in relations_of(model):
                self._follow_filtered(self.sel[model], rel)
        self._close()
        self._warn_outside_links()

    def object_plan(self, nodes: Mapping[type[Model], Iterable[Any]],
                    foreign: Mapping[type[Model], Iterable[Any]] | None = None, *,
                    shared: Mapping[type[Model], Iterable[Any]] | None = None) -> None:
        """Select the given rows (the walker's closure), then follow what they reference.

        ``foreign`` holds rows of other tenants the walk reached that the policy
        lets in (``include``); their references are followed without being reported again.
        """
        for model, pks in (shared or {}).items():
            if model not in self.exclude:
                self._add(model, list(pks), "shared")
        for model, pks in nodes.items():
            if model not in self.exclude:
                self._add(model, list(pks), "object")
        for model, pks in (foreign or {}).items():
            if model not in self.exclude:
                self._add(model, list(pks), "object", foreign=True)
        self._close()

    def _add(self, model: type[Model], pks: Sequence[Any], role: str, *, foreign: bool = False) -> None:
        sel = self.sel.get(model)
        if sel is None:
            sel = self.sel[model] = Selection(model, role)
        new = [pk for pk in pks if pk not in sel.pks]
        if not new:
            return
        sel.pks.update(new)
        if foreign:
            sel.foreign += len(new)
        self._frontier.append((model, new, foreign))

    def _close(self) -> None:
        """Follow forward references of newly added rows until nothing new turns up."""
        while self._frontier:
            model, pks, foreign = self._frontier.pop()
            source_role = "foreign" if foreign else "ours"
            for rel in relations_of(model):
                for i in range(0, len(pks), self.chunk):
                    self._follow_keys(model, pks[i : i + self.chunk], rel, source_role)

    # -- following one relation -------------------------------------------------
    def _follow_filtered(self, sel: Selection, rel: Relation) -> None:
        """Set-based: the references of every row selected by ``sel.q`` that leave the selection."""
        model, qs = sel.model, sel.model._base_manager.using(self.alias).filter(sel.q)
        if rel.kind == "gfk":
            self._follow_gfk(model, qs, rel, "ours")
            return
        target = rel.target
        assert target is not None
        if target in self.exclude:
            if rel.kind == "m2m":
                through, src, _ = rel.through_names()
                qs = through._base_manager.using(self.alias).filter(**{f"{src}__in": qs.values("pk")})
            else:
                qs = qs.exclude(**{f"{rel.field.attname}__isnull": True})
            self._count_excluded(rel, qs)
            return
        target_sel = self.sel.get(target)
        covering = target_sel.q if target_sel is not None and target_sel.q is not None else None
        if rel.kind == "fk":
            attname = rel.field.attname
            pairs = qs.exclude(**{f"{attname}__isnull": True})
            if covering is not None:
                inside = target._base_manager.using(self.alias).filter(covering).values(rel.target_field)
                pairs = pairs.exclude(**{f"{attname}__in": inside})
            if (target_sel is not None and target_sel.q is not None) or self._scope(target)[0] is not None:
                rows = pairs.values_list("pk", attname).iterator(chunk_size=self.chunk)
            else:  # shared rows: the source does not matter, only which rows
                rows = ((None, v) for v in pairs.order_by().values_list(attname, flat=True).distinct().iterator())
        else:
            through, src, dst = rel.through_names()
            links = through._base_manager.using(self.alias).filter(**{f"{src}__in": qs.values("pk")})
            if covering is not None:
                links = links.exclude(**{f"{dst}__in": target._base_manager.using(self.alias).filter(
                    covering).values("pk")})
            if self._scope(target)[0] is not None:
                rows = links.values_list(src, dst).iterator(chunk_size=self.chunk)
            else:
                rows = ((None, v) for v in links.order_by().values_list(dst, flat=True).distinct().iterator())
        self._classify_stream(model, rel, target, rel.target_field, rows, "ours")

    def _follow_keys(self, model: type[Model], pks: Sequence[Any], rel: Relation, source_role: str) -> None:
        base = model._base_manager.using(self.alias)
        if rel.kind == "gfk":
            self._follow_gfk(model, base.filter(pk__in=pks), rel, source_role)
            return
        target = rel.target
        assert target is not None
        if rel.kind == "fk":
            qs = base.filter(pk__in=pks).exclude(**{f"{rel.field.attname}__isnull": True})
            if target in self.exclude:
                self._count_excluded(rel, qs)
                return
            pairs = list(qs.values_list("pk", rel.field.attname))
        else:
            through, src, dst = rel.through_names()
            links = through._base_manager.using(self.alias).filter(**{f"{src}__in": pks})
            if target in self.exclude:
                self._count_excluded(rel, links, through=True)
                return
            pairs = list(links.values_list(src, dst))
        self._classify(model, rel, target, rel.target_field, pairs, source_role)

    def _follow_gfk(self, model: type[Model], qs: QuerySet[Any], rel: Relation, source_role: str) -> None:
        ct_field = rel.field.ct_field
        fk_name = rel.field.fk_field
        ct_attname = str(getattr(model._meta.get_field(ct_field), "attname", ct_field))
        ct_ids = list(qs.order_by().values_list(ct_attname, flat=True).distinct())
        for ct_id in ct_ids:
            if ct_id is None:
                continue
            ct = ContentType.objects.db_manager(self.alias).get_for_id(ct_id)
            target_class = ct.model_class()
            if target_class is None:
                self.warnings.append(f"{model._meta.label_lower}.{rel.name} refers to the content type "
                                     f"{ct.app_label}.{ct.model}, whose model no longer exists.")
                continue
            target: type[Model] = target_class._meta.concrete_model or target_class
            rows_qs = qs.filter(**{ct_attname: ct_id}).exclude(**{f"{fk_name}__isnull": True})
            if target in self.exclude:
                self._count_excluded(rel, rows_qs, target=target)
                continue
            target_sel = self.sel.get(target)
            fk_field = model._meta.get_field(fk_name)
            if (target_sel is not None and target_sel.q is not None and isinstance(fk_field, IntegerField)
                    and isinstance(target._meta.pk, IntegerField)):
                rows_qs = rows_qs.exclude(**{f"{fk_name}__in": target._base_manager.using(self.alias).filter(
                    target_sel.q).values("pk")})
            pk_field = target._meta.pk

            def convert(stream: Iterable[tuple[Any, Any]], pk_field: Any = pk_field) -> Iterator[tuple[Any, Any]]:
                for src, value in stream:
                    try:
                        yield src, pk_field.to_python(value)
                    except Exception:
                        yield src, value

            stream = rows_qs.values_list("pk", fk_name).iterator(chunk_size=self.chunk)
            self._classify_stream(model, rel, target, "pk", convert(stream), source_role)

    def _classify_stream(self, model: type[Model], rel: Relation, target: type[Model], tf: str,
                         rows: Iterable[tuple[Any, Any]], source_role: str) -> None:
        batch: list[tuple[Any, Any]] = []
        for pair in rows:
            batch.append(pair)
            if len(batch) >= self.chunk:
                self._classify(model, rel, target, tf, batch, source_role)
                batch = []
        if batch:
            self._classify(model, rel, target, tf, batch, source_role)

    def _classify(self, model: type[Model], rel: Relation, target: type[Model], tf: str,
                  pairs: Sequence[tuple[Any, Any]], source_role: str) -> None:
        """Sort referenced rows into: already selected, ours (add), shared (add), foreign, missing."""
        values = list({v for _, v in pairs if v is not None})
        if not values:
            return
        q, paths = self._scope(target)
        target_sel = self.sel.get(target)
        columns = [tf, "pk", *(p for _, p in paths)]
        found: dict[Any, tuple[Any, tuple[Any, ...]]] = {}
        base = target._base_manager.using(self.alias)
        for i in range(0, len(values), self.chunk):
            for row in base.filter(**{f"{tf}__in": values[i : i + self.chunk]}).values_list(*columns):
                found[row[0]] = (row[1], tuple(row[2:]))
        ours: list[Any] = []
        foreign: list[Any] = []
        for value in values:
            if value not in found:
                continue
            pk, tenant = found[value]
            if target_sel is not None and pk in target_sel.pks:
                continue
            if q is None or all(t is None for t in tenant):
                # Shared, or a scoped row that belongs to no tenant (NULL scope path): needed to load.
                ours.append(pk)
            elif all(str(t) == str(self.tenant_pks[dim]) for (dim, _), t in zip(paths, tenant, strict=False)):
                if target_sel is None or target_sel.q is None:
                    ours.append(pk)
            else:
                foreign.append(pk)
        if ours:
            self._add(target, ours, "shared" if q is None else "object")
        src_label = model._meta.label_lower
        src_text = (lambda s: f"{src_label}.{s}" if s is not None else src_label)  # noqa: E731
        tgt_label = target._meta.label_lower
        foreign_set = set(foreign)
        for src, value in pairs:
            if value is None:
                continue
            hit = found.get(value)
            if hit is None:
                self._reference(Reference(src_text(src), rel.name, f"{tgt_label}.{value}", {}, "missing"))
            elif hit[0] in foreign_set and source_role == "ours":
                where = {dim: str(t) for (dim, _), t in zip(paths, hit[1], strict=False)}
                self._reference(Reference(src_text(src), rel.name, f"{tgt_label}.{hit[0]}", where,
                                          "cross-tenant"))
        if foreign and (self.policy == "include" or source_role == "foreign"):
            self._add(target, foreign, "object", foreign=True)

    def _reference(self, ref: Reference) -> None:
        self.reference_count += 1
        if len(self.references) < MAX_REFERENCES:
            self.references.append(ref)

    def _count_excluded(self, rel: Relation, qs: QuerySet[Any], *, through: bool = False,
                        target: type[Model] | None = None) -> None:
        target = target or rel.target
        assert target is not None
        key = (rel.model._meta.label_lower, rel.name, target._meta.label_lower)
        self.excluded[key] = self.excluded.get(key, 0) + qs.count()

    def _warn_outside_links(self) -> None:
        """Rows outside the tenant that link into it are not exported; name each field and how many.

        The tenancy layer answers which (:func:`~tenant_console.core.tenancy.links.outside_links`):
        foreign keys of shared and ambiguous models, generic foreign keys of ambiguous ones, and
        many-to-many links declared outside the tenant (pretalx's ``Team.limit_events``). Shared rows
        the export carries anyway hold their links in the file, so they are not counted.
        """
        carried = {m: sel.pks for m, sel in self.sel.items() if sel.q is None and sel.pks}
        self.outside_links = outside_links(self.registry, self.alias, self.tenant_pks, exclude=self.exclude,
                                           carried=carried)
        self.warnings.extend(link.describe() for link in self.outside_links)

    # -- result -----------------------------------------------------------------
    def finish(self, *, kind: str, scope: dict[str, dict[str, str]], roots: list[str],
               rules: dict[str, Any]) -> ExportPlan:
        order = dependency_order(self.sel)
        selections = []
        for model in order:
            sel = self.sel[model]
            n = len(sel.pks)
            if sel.q is not None:
                n += model._base_manager.using(self.alias).filter(sel.q).count()
            sel.count = n
            selections.append(sel)
        excluded = [{"from": k[0], "field": k[1], "to": k[2], "count": v} for k, v in sorted(self.excluded.items())
                    if v]
        for item in excluded:
            self.warnings.append(f"{item['count']} reference(s) from {item['from']}.{item['field']} point at "
                                 f"{item['to']}, which is excluded; they will dangle.")
        missing = sum(1 for r in self.references if r.reason == "missing")
        if missing:
            self.warnings.append(f"{missing} reference(s) point at rows that do not exist (listed as dangling).")
        return ExportPlan(
            kind=kind, alias=self.alias, vendor=connections[self.alias].vendor, scope=scope, roots=roots,
            rules=rules, selections=selections, references=self.references,
            reference_count=self.reference_count, excluded_references=excluded, warnings=self.warnings,
            tenant_labels=self._tenant_labels(), outside_links=self.outside_links,
        )

    def _tenant_labels(self) -> dict[str, dict[str, str]]:
        """Labels of the tenants the cross-tenant references lead into (one query per dimension and chunk)."""
        wanted: dict[str, set[str]] = {}
        for ref in self.references:
            for dim, pk in ref.tenant.items():
                wanted.setdefault(dim, set()).add(pk)
        labels: dict[str, dict[str, str]] = {}
        for dim, pks in wanted.items():
            d = self.registry.dimensions.get(dim)
            if d is None:
                continue
            keys = sorted(pks)
            found = labels.setdefault(dim, {})
            for i in range(0, len(keys), self.chunk):
                for obj in d.model._base_manager.using(self.alias).filter(pk__in=keys[i : i + self.chunk]):
                    found[str(obj.pk)] = d.label(obj)
        return labels
