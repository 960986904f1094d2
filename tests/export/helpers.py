"""Helpers for the export tests: run an export on a session, and compare rows between databases.

Rows are compared column by column through ``values_list`` on both databases,
independently of the serializer under test. Foreign keys to models with natural
keys (users, content types, organisers) are compared by natural key, because
``loaddata`` gives those rows new primary keys in the target; many-to-many
values are compared as sets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.models import Model, Q

from tenant_console.core.export.runner import ExportJob, ExportOutcome, ExportRequest, run_export
from tenant_console.core.export.storage import LocalOutput


def export(project: Any, alias: str, path: Path, *, tenant: dict[str, Any] | None = None,
           objects: list[str] | None = None, job: ExportJob | None = None, **options: Any) -> ExportOutcome:
    """Run an export in its own read-only session, the way the CLI does."""
    session = project.session("test-export", alias=alias)
    try:
        if tenant:
            session.activate(tenant)
        request = ExportRequest(tenant_pks=dict(tenant or {}), objects=list(objects or []),
                                output=LocalOutput(path), **options)
        return session.run(run_export, project, request, job, alias)
    finally:
        session.close()


def read_lines(path: Path) -> list[dict[str, Any]]:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _natural(model: type[Model], alias: str, cache: dict[Any, Any] | None = None) -> dict[Any, Any]:
    if cache is not None and model in cache:
        return cache[model]
    qs = model._base_manager.using(alias).all()
    related = [f.name for f in model._meta.concrete_fields if f.is_relation]
    found = {o.pk: tuple(o.natural_key()) for o in qs.select_related(*related)}
    if cache is not None:
        cache[model] = found
    return found


def _norm(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def rows(model: type[Model], alias: str, q: Q | None = None, pks: Any = None) -> set[tuple[Any, ...]]:
    """Every selected row of ``model`` on ``alias`` as a comparable tuple."""
    qs = model._base_manager.using(alias).all()
    if q is not None and pks:
        qs = qs.filter(q | Q(pk__in=list(pks)))
    elif q is not None:
        qs = qs.filter(q)
    elif pks is not None:
        qs = qs.filter(pk__in=list(pks))
    natural_pk = hasattr(model, "natural_key")
    fields = [f for f in model._meta.concrete_fields if not (natural_pk and f.primary_key)]
    cache: dict[Any, Any] = {}
    maps = {f.attname: _natural(f.related_model, alias, cache) for f in fields
            if f.is_relation and hasattr(f.related_model, "natural_key")}
    m2m = [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    result = set()
    for obj in qs:
        values = []
        for f in fields:
            v = getattr(obj, f.attname)
            if f.attname in maps and v is not None:
                v = maps[f.attname][v]
            values.append(_norm(v))
        for f in m2m:
            through = f.remote_field.through
            src = through._meta.get_field(f.m2m_field_name()).attname
            dst = through._meta.get_field(f.m2m_reverse_field_name()).attname
            linked = through._base_manager.using(alias).filter(**{src: obj.pk}).values_list(dst, flat=True)
            if hasattr(f.related_model, "natural_key"):
                names = _natural(f.related_model, alias, cache)
                linked = [names[v] for v in linked]
            values.append(tuple(sorted(linked, key=str)))
        result.add(tuple(values))
    connections[alias].close()
    return result


def assert_round_trip(outcome: ExportOutcome, source: str, target: str) -> None:
    """Every exported row is in ``target`` exactly as in ``source``, and nothing else of those models."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    for sel in outcome.plan.selections:
        want = rows(sel.model, source, sel.q, sel.pks)
        assert len(want) == sel.count, sel.label
        got = rows(sel.model, target)
        if sel.model in (ContentType, Permission):  # created by migrate in the target too
            assert want <= got, sel.label
        else:
            assert got == want, f"{sel.label}: rows differ after loaddata"


def loaddata(path: Path, alias: str) -> None:
    """``manage.py loaddata`` into ``alias``.

    With scopes disabled, as any django-scopes project must load fixtures: Django
    sets many-to-many values through the related manager, which is built from the
    target's ``ScopedManager`` and raises ScopeError outside a scope (dumpdata's
    own output behaves the same).
    """
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    with scopes_disabled():
        call_command("loaddata", str(path), database=alias, verbosity=0)
