"""The isolation audit: every reference between rows of different tenants, database-wide.

django-scopes filters querysets; it does not stop a row of one tenant from
pointing at a row of another (a review in ``democon`` of a ``pycon-nordic``
talk), and forward FK access will happily follow such a reference. The audit
finds them all, set-based: for every forward relation between two scoped
models (FK, one-to-one, many-to-many table, generic FK) and every dimension
both ends share, ONE query joins the two sides and compares their scope
paths::

    SELECT review.id, review.submission_id, review.event_id, submission.event_id
      FROM review JOIN submission ON ...
     WHERE review.event_id < submission.event_id OR review.event_id > submission.event_id

Reverse relations are the same pairs seen from the other side and are not
checked twice. A relation whose target path is the source's own scope path
(``SpeakerRole.submission`` when SpeakerRole is scoped by
``submission__event``) cannot differ and is skipped. Results per check are
capped at ``limit`` rows; the total is counted when the cap is hit.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models import F, IntegerField, Model, OuterRef, Q, Subquery, TextField
from django.db.models.functions import Cast

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError, did_you_mean
from tenant_console.core.graph.classify import ScopeColumns, tenant_labels
from tenant_console.core.graph.relations import Kind, Relation, concrete, field_of, relations_of

DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class Check:
    """One set-based comparison: ``relation`` of ``source`` on ``dimension``."""

    relation: Relation
    dimension: str
    source_path: str
    target_path: str
    target: type[Model] | None = None  # for a generic FK, the target model of this check

    @property
    def label(self) -> str:
        base = f"{self.relation.model._meta.label}.{self.relation.name}"
        return f"{base}->{self.target._meta.label}" if self.relation.kind is Kind.GFK and self.target else base


@dataclass(frozen=True)
class Finding:
    dimension: str
    relation: str
    kind: str
    source_model: str
    source_pk: Any
    target_model: str
    target_pk: Any
    source_tenant: Any
    target_tenant: Any

    def as_dict(self, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
        dim_labels = labels.get(self.dimension, {})
        return {
            "dimension": self.dimension, "relation": self.relation, "kind": self.kind,
            "source": f"{self.source_model}.{self.source_pk}", "target": f"{self.target_model}.{self.target_pk}",
            "source_tenant": {"pk": str(self.source_tenant), "label": dim_labels.get(str(self.source_tenant))},
            "target_tenant": {"pk": str(self.target_tenant), "label": dim_labels.get(str(self.target_tenant))},
        }


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: ``{check label: total}`` where more rows offend than were listed.
    truncated: dict[str, int] = field(default_factory=dict)
    tenant_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    queries: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def total(self) -> int:
        listed: dict[str, int] = defaultdict(int)
        for f in self.findings:
            listed[f.relation] += 1
        return len(self.findings) + sum(total - listed[label] for label, total in self.truncated.items())

    def as_dict(self) -> dict[str, Any]:
        return {"clean": self.clean, "findings": [f.as_dict(self.tenant_labels) for f in self.findings],
                "total": self.total, "truncated": self.truncated, "checks": self.checks, "skipped": self.skipped,
                "queries": self.queries, "seconds": round(self.seconds, 3)}


def _through(path: str, fk_name: str) -> str:
    """The path of a scope value seen through ``fk_name``: ``submission`` + ``event``."""
    return fk_name if path == "pk" else f"{fk_name}__{path}"


def plan(registry: ScopeRegistry, dimension: str | None = None) -> tuple[list[Check], list[str]]:
    """The checks to run (and the relations skipped, with why)."""
    if dimension is not None and dimension not in registry.dimensions:
        known = sorted(registry.dimensions)
        raise ConsoleError(f"--dimension {dimension}: there is no scope dimension {dimension!r}."
                           f"{did_you_mean(dimension, known)} Known dimensions: {', '.join(known) or 'none'}.")
    cols = ScopeColumns(registry)
    checks: list[Check] = []
    skipped: list[str] = []
    scoped_models = [m for m in apps.get_models() if not m._meta.proxy and cols.paths(m)]
    for model in scoped_models:
        src_paths = dict(cols.paths(model))
        for rel in relations_of(model):
            if rel.kind in (Kind.FK, Kind.O2O, Kind.M2M):
                assert rel.target is not None
                dst_paths = dict(cols.paths(rel.target))
                if rel.kind is Kind.M2M and cols.paths(rel.through):  # type: ignore[arg-type]
                    continue  # a scoped through model: its own FKs are checked
                for dim in sorted(set(src_paths) & set(dst_paths)):
                    if dimension and dim != dimension:
                        continue
                    target_path = _through(dst_paths[dim], rel.name)
                    if rel.kind is not Kind.M2M and target_path == src_paths[dim]:
                        continue  # the scope path itself: cannot differ
                    checks.append(Check(rel, dim, src_paths[dim], dst_paths[dim]))
            elif rel.kind is Kind.GFK:
                for target in scoped_models:
                    dst_paths = dict(cols.paths(target))
                    for dim in sorted(set(src_paths) & set(dst_paths)):
                        if dimension and dim != dimension:
                            continue
                        checks.append(Check(rel, dim, src_paths[dim], dst_paths[dim], target=target))
    return checks, skipped


class _Runner:
    def __init__(self, alias: str, limit: int, progress: Callable[[int, int, str], None] | None) -> None:
        self.alias = alias
        self.limit = limit
        self.progress = progress
        self.report = AuditReport()

    def qs(self, model: type[Model]) -> Any:
        return concrete(model)._base_manager.db_manager(self.alias).all()

    def collect(self, check: Check, qs: Any, source_model: type[Model], target_model: type[Model]) -> None:
        differ = qs.filter(Q(_tc_src__lt=F("_tc_dst")) | Q(_tc_src__gt=F("_tc_dst")))
        rows = list(differ.order_by("_tc_a", "_tc_b").values_list("_tc_a", "_tc_b", "_tc_src", "_tc_dst")
                    [:self.limit + 1])
        if len(rows) > self.limit:
            self.report.truncated[check.label] = differ.count()
            rows = rows[:self.limit]
        for a, b, src, dst in rows:
            self.report.findings.append(Finding(check.dimension, check.label, check.relation.kind.value,
                                                source_model._meta.label, a, target_model._meta.label, b,
                                                src, dst))

    def run_fk(self, check: Check) -> None:
        rel = check.relation
        assert rel.target is not None
        qs = self.qs(rel.model).annotate(
            _tc_a=F("pk"), _tc_b=F(rel.field.attname), _tc_src=F(check.source_path),
            _tc_dst=F(_through(check.target_path, rel.name)))
        self.collect(check, qs, rel.model, rel.target)

    def run_m2m(self, check: Check) -> None:
        rel = check.relation
        assert rel.through is not None and rel.target is not None
        m2m = rel.field
        src_fk = field_of(rel.through, m2m.m2m_field_name())
        dst_fk = field_of(rel.through, m2m.m2m_reverse_field_name())
        qs = self.qs(rel.through).annotate(
            _tc_a=F(src_fk.attname), _tc_b=F(dst_fk.attname),
            _tc_src=F(_through(check.source_path, src_fk.name)),
            _tc_dst=F(_through(check.target_path, dst_fk.name)))
        self.collect(check, qs, rel.model, rel.target)

    def run_gfk(self, check: Check, present: dict[type[Model], set[int]]) -> None:
        from django.contrib.contenttypes.models import ContentType

        rel, target = check.relation, check.target
        assert target is not None
        ct = ContentType.objects.db_manager(self.alias).get_for_model(target)
        if ct.pk not in present.get(rel.model, set()):
            return  # no row of the generic FK points at this model: nothing to compare
        opts = rel.model._meta
        ct_attname = field_of(rel.model, rel.field.ct_field).attname
        id_field = field_of(rel.model, rel.field.fk_field)
        pk_field: Any = target._meta.pk
        id_is_text = id_field.get_internal_type() in ("CharField", "TextField", "SlugField")
        pk_is_int = isinstance(pk_field, IntegerField) or pk_field.get_internal_type().endswith("AutoField")
        inner = self.qs(target)
        if id_is_text:
            inner = inner.annotate(_tc_pk=Cast("pk", TextField())).filter(_tc_pk=OuterRef(id_field.attname))
        elif pk_is_int:
            inner = inner.filter(pk=OuterRef(id_field.attname))
        else:
            self.report.skipped.append(f"{check.label}: {opts.label}.{id_field.name} cannot hold a "
                                       f"{pk_field.get_internal_type()} primary key")
            return
        sub = inner.values(check.target_path if check.target_path != "pk" else "pk")[:1]
        qs = self.qs(rel.model).filter(**{ct_attname: ct.pk}).annotate(
            _tc_a=F("pk"), _tc_b=F(id_field.attname), _tc_src=F(check.source_path), _tc_dst=Subquery(sub))
        self.collect(check, qs, rel.model, target)

    def content_types_present(self, checks: list[Check]) -> dict[type[Model], set[int]]:
        """For each model with a generic FK: the content types its rows use (one DISTINCT query each)."""
        present: dict[type[Model], set[int]] = {}
        for check in checks:
            model = check.relation.model
            if check.relation.kind is Kind.GFK and model not in present:
                ct_attname = field_of(model, check.relation.field.ct_field).attname
                present[model] = set(self.qs(model).order_by().values_list(ct_attname, flat=True).distinct())
        return present


def run_audit(registry: ScopeRegistry, alias: str, *, dimension: str | None = None, limit: int = DEFAULT_LIMIT,
              progress: Callable[[int, int, str], None] | None = None) -> AuditReport:
    """Run every check on ``alias`` (on a session thread); ``progress(done, total, label)`` per check."""
    started = time.perf_counter()
    checks, skipped = plan(registry, dimension)
    runner = _Runner(alias, limit, progress)
    runner.report.skipped.extend(skipped)

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        runner.report.queries += 1
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(count):
        present = runner.content_types_present(checks)
        for n, check in enumerate(checks):
            if progress is not None:
                progress(n, len(checks), check.label)
            if check.relation.kind is Kind.M2M:
                runner.run_m2m(check)
            elif check.relation.kind is Kind.GFK:
                runner.run_gfk(check, present)
            else:
                runner.run_fk(check)
            runner.report.checks.append(f"{check.label} [{check.dimension}]")
        runner.report.tenant_labels = _tenant_labels(registry, runner.report.findings, alias)
    runner.report.seconds = time.perf_counter() - started
    return runner.report


def _tenant_labels(registry: ScopeRegistry, findings: list[Finding], alias: str) -> dict[str, dict[str, str]]:
    """Human labels of the tenants involved, one query per dimension."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for f in findings:
        wanted[f.dimension].update((f.source_tenant, f.target_tenant))
    return tenant_labels(registry, wanted, alias)
