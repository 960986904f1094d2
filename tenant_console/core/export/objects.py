"""Object exports: the walker's closure of some roots, turned into an export plan.

The walker (:mod:`tenant_console.core.graph`) decides what belongs to the roots
and what they need, under its rules (depth, excluded models, relations to stop
at). Its nodes of other tenants are never exported silently: each cross-tenant
edge becomes a reference in the plan, and the policy decides (``include`` lets
the walk enter those rows and exports them with what they need). The planner's
forward closure then adds anything a selected row still needs to load (for
example the parents of rows the depth limit cut off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model

from tenant_console.core.errors import ConsoleError
from tenant_console.core.export.plan import ExportPlan, Planner, Reference

if TYPE_CHECKING:
    from tenant_console.core.export.runner import ExportRequest
    from tenant_console.core.project import Project


def object_plan(project: Project, request: ExportRequest, alias: str, exclude: set[type[Model]],
                rules: dict[str, Any]) -> ExportPlan:
    from tenant_console.core.export.runner import describe_scope
    from tenant_console.core.graph import Classification, WalkRules, fetch_object, parse_object_spec, walk

    roots = [parse_object_spec(spec) for spec in request.objects]
    for model, pk in roots:
        fetch_object(model, pk, alias)
    walk_rules = WalkRules.parse(depth=request.depth, exclude=request.exclude, stop_at=request.stop_at,
                                 enter_other_tenants=request.cross_tenant == "include")
    result = walk(project.registry, roots, walk_rules, alias, tenant=request.tenant_pks or None)
    reference = dict(result.reference)
    foreign_roots = [result.nodes[k] for k in result.roots if result.nodes[k].classification is Classification.OTHER]
    if foreign_roots:
        raise ConsoleError(_not_the_tenants(project, alias, reference, foreign_roots))
    ours: dict[type[Model], list[Any]] = {}
    shared: dict[type[Model], list[Any]] = {}
    foreign: dict[type[Model], list[Any]] = {}
    for node in result.nodes.values():
        model = apps.get_model(node.key[0])
        bucket = {Classification.OTHER: foreign, Classification.SHARED: shared}.get(node.classification, ours)
        bucket.setdefault(model, []).append(node.key[1])
    planner = Planner(project.registry, alias, reference, policy=request.cross_tenant, exclude=exclude)
    for edge in result.cross_tenant:
        planner._reference(Reference(
            source=f"{edge.edge.source[0]}.{edge.edge.source[1]}", field=edge.edge.relation,
            target=f"{edge.edge.target[0]}.{edge.edge.target[1]}",
            tenant={d: str(v) for d, v in edge.target_tenant.items()}, reason="cross-tenant"))
    for missing in result.missing:
        planner._reference(Reference(source=f"{missing.source[0]}.{missing.source[1]}", field=missing.relation,
                                     target=f"{missing.target_model}.{missing.value}", tenant={}, reason="missing"))
    planner.object_plan(ours, foreign if request.cross_tenant == "include" else {}, shared=shared)
    # The forward closure may find a boundary the walk already reported; keep each reference once.
    unique: dict[tuple[str, str, str], Reference] = {}
    for ref in planner.references:
        unique.setdefault((ref.source, ref.field, ref.target), ref)
    planner.reference_count -= len(planner.references) - len(unique)
    planner.references = list(unique.values())
    scope = describe_scope(project, alias, reference) if reference else {}
    plan = planner.finish(kind="objects", scope=scope, roots=list(request.objects),
                          rules={**rules, "walk": walk_rules.as_dict()})
    plan.queries += result.queries
    if result.truncated:
        plan.warnings.append("The walk stopped at its node limit; the export holds only part of the closure.")
    if result.unexpanded:
        plan.warnings.append(f"{result.unexpanded} object(s) were not expanded because of the depth limit; what "
                             "they need is still included, what belongs to them is not.")
    return plan


def _not_the_tenants(project: Project, alias: str, reference: dict[str, Any], nodes: list[Any]) -> str:
    """Which objects belong to which tenant, by the tenants' names (operator trial: ``(event=2)`` named neither)."""
    from tenant_console.core.graph.classify import tenant_labels

    wanted: dict[str, set[Any]] = {d: {v} for d, v in reference.items()}
    for node in nodes:
        for d, v in (node.tenant or {}).items():
            wanted.setdefault(d, set()).add(v)
    labels = tenant_labels(project.registry, wanted, alias)

    def named(tenant: dict[str, Any]) -> str:
        return ", ".join(f"{d} {labels.get(d, {}).get(str(v), f'#{v}')}" for d, v in tenant.items()) or "no tenant"

    owners: dict[str, list[str]] = {}
    for node in nodes:
        spec = f"{apps.get_model(node.key[0])._meta.label}.{node.key[1]}"
        owners.setdefault(named(node.tenant or {}), []).append(spec)
    which = "; ".join(f"{', '.join(specs)} {'belongs' if len(specs) == 1 else 'belong'} to {owner}"
                      for owner, specs in owners.items())
    return (f"{which}, not to the chosen tenant ({named(reference)}); export objects of one tenant at a time, "
            "or leave out the scope option to use the first object's tenant.")
