"""The test oracle of the real-project suite: run inside a project's venv, prints JSON.

It answers, from the project itself and independently of tenant-console, the two questions the
suite checks the console against:

    python oracle.py scoped                      # {model: {dimension: path}} from the ScopedManagers
    python oracle.py rows DIMENSION LOOKUP=VALUE # every row of the tenant, per model, with its field values

Ownership rule used by ``rows`` (the one issue 10 states): a model with a ScopedManager is scoped by
its path; a model without one is owned when a non-nullable foreign key (or one-to-one) leads to the
tenant model or to a scoped or owned model; several candidate paths: the shortest, ties broken by
field name; a model reached only through nullable keys is shared. ``EXPECTED_OWNED`` pins the
verdict for a few models per project by hand, so this oracle is itself checked.
"""

from __future__ import annotations

import json
import sys
from typing import Any

EXPECTED_OWNED = {
    "pretix": {
        "pretixbase.Transaction": "order__organizer",
        "pretixbase.InvoiceLine": "invoice__organizer",
        "pretixbase.ItemCategory": "event__organizer",
        "pretixbase.TaxRule": "event__organizer",
        "pretixbase.QuestionOption": "question__event__organizer",
        "pretixbase.Team": "organizer",
    },
    "pretalx": {
        "event.Event_SettingsStore": "object",
        "person.UserEventPreferences": "event",
    },
}


def setup() -> None:
    import django

    django.setup()


def scope_paths(model: Any) -> dict[str, str]:
    """{dimension: path} of the ScopedManagers on ``model`` (django-scopes 2.0 keeps them in a closure)."""
    found: dict[str, str] = {}
    for manager in model._meta.managers:
        get_qs = type(manager).get_queryset
        if getattr(get_qs, "__module__", "") != "django_scopes.manager":
            continue
        scopes = getattr(manager, "scopes", None) or getattr(type(manager), "scopes", None)
        if not isinstance(scopes, dict):
            for name, cell in zip(get_qs.__code__.co_freevars, get_qs.__closure__ or (), strict=False):
                if name == "scopes":
                    scopes = cell.cell_contents
        for dim, path in (scopes or {}).items():
            found.setdefault(dim, path)
    return found


def label(model: Any) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def ownership(dimension: str) -> tuple[Any, dict[str, tuple[str, str]]]:
    """The tenant model and {model label: (path to the tenant model, 'scoped'|'owned'|'tenant')}."""
    from django.apps import apps

    models = [m for m in apps.get_models() if not m._meta.proxy]
    verdict: dict[str, tuple[str, str]] = {}
    tenant_model = None
    for model in models:
        path = scope_paths(model).get(dimension)
        if path:
            verdict[label(model)] = (path, "scoped")
            if tenant_model is None:
                tenant_model = _follow(model, path)
    assert tenant_model is not None, f"no ScopedManager for {dimension}"
    verdict[label(tenant_model)] = ("pk", "tenant")
    changed = True
    while changed:
        changed = False
        for model in models:
            if label(model) in verdict:
                continue
            best: tuple[int, str, str] | None = None
            for field in model._meta.concrete_fields:
                if not field.is_relation or field.null or (not field.many_to_one and not field.one_to_one):
                    continue
                target = field.related_model
                if target is tenant_model:
                    candidate = field.name
                elif label(target) in verdict and verdict[label(target)][1] in ("scoped", "owned"):
                    candidate = f"{field.name}__{verdict[label(target)][0]}"
                else:
                    continue
                key = (candidate.count("__"), field.name, candidate)
                if best is None or key < best:
                    best = key
            if best is not None:
                verdict[label(model)] = (best[2], "owned")
                changed = True
    return tenant_model, verdict


def _follow(model: Any, path: str) -> Any:
    for part in path.split("__"):
        model = model._meta.get_field(part).related_model
    return model


def _ref(model: Any, pk: Any, cache: dict[tuple[Any, Any], str]) -> str | None:
    """A reference as it identifies the row across databases: the natural key where the model has one
    (users, content types: exported without their pk, so a fresh database gives them new ones), else the pk."""
    if pk is None:
        return None
    if not hasattr(model, "natural_key"):
        return str(pk)
    key = (model, pk)
    if key not in cache:
        obj = model._base_manager.filter(pk=pk).first()
        cache[key] = json.dumps(obj.natural_key(), default=str) if obj is not None else f"missing:{pk}"
    return cache[key]


def serialise(obj: Any, cache: dict[tuple[Any, Any], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.is_relation:
            out[field.attname] = _ref(field.related_model, getattr(obj, field.attname), cache)
        else:
            out[field.name] = field.value_to_string(obj)
    for field in obj._meta.many_to_many:
        through = getattr(obj, field.name)
        out[field.name] = sorted(str(_ref(field.related_model, pk, cache))
                                 for pk in through.through._base_manager.filter(
                                     **{through.source_field_name: obj.pk}).values_list(
                                     f"{through.target_field_name}_id", flat=True))
    return out


def rows(dimension: str, lookup: str) -> dict[str, Any]:
    from django_scopes import scopes_disabled

    name, _, value = lookup.partition("=")
    with scopes_disabled():
        tenant_model, verdict = ownership(dimension)
        tenant = tenant_model._base_manager.get(**{name: value})
        out: dict[str, Any] = {}
        cache: dict[tuple[Any, Any], str] = {}
        from django.apps import apps

        for model in apps.get_models():
            entry = verdict.get(label(model))
            if entry is None or model._meta.proxy:
                continue
            path, kind = entry
            qs = model._base_manager.filter(**{path: tenant.pk}).order_by("pk")
            out[label(model)] = {
                "path": path, "kind": kind,
                "rows": {str(obj.pk): serialise(obj, cache) for obj in qs},
            }
    return out


def main() -> None:
    setup()
    command = sys.argv[1]
    if command == "scoped":
        from django.apps import apps

        result: Any = {label(m): scope_paths(m) for m in apps.get_models() if scope_paths(m) and not m._meta.proxy}
    elif command == "ownership":
        _, verdict = ownership(sys.argv[2])
        result = {k: {"path": v[0], "kind": v[1]} for k, v in sorted(verdict.items())}
    elif command == "rows":
        result = rows(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown command {command}")
    out = sys.argv[sys.argv.index("-o") + 1] if "-o" in sys.argv else None
    text = json.dumps(result, sort_keys=True, default=str)
    if out:
        with open(out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
