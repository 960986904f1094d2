"""Finding tenants: search in the database, and resolve ``--event__slug=democon`` flags.

Searches never load all tenants: one query with ``icontains`` over the search
fields (plus an exact primary-key match), limited, ordered so that exact and
prefix matches come first. Call these on a session thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import DatabaseError
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from tenant_console.core.discovery import SECRET_NAME_PARTS, Dimension, ScopeRegistry, looks_secret
from tenant_console.core.errors import ScopeSelectionError, did_you_mean


@dataclass(frozen=True)
class TenantHit:
    dimension: str
    pk: Any
    label: str
    fields: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "pk": str(self.pk),
            "label": self.label,
            "fields": {k: str(v) for k, v in self.fields.items()},
        }


def _pk_filter(dim: Dimension, text: str) -> Q:
    try:
        value = dim.model._meta.pk.to_python(text)
    except (ValidationError, ValueError, TypeError):
        return Q(pk__in=[])
    return Q(pk=value) if value not in (None, "") else Q(pk__in=[])


def _text_forms(text: str) -> list[str]:
    """The text, and how it looks inside JSON when that differs: translatable names are stored as
    ``{"en": "D\\u00fcsseldorf"}`` by django-i18nfield (``json.dumps`` escapes non-ASCII)."""
    escaped = json.dumps(text)[1:-1]
    return [text] if escaped == text else [text, escaped]


def search_tenants(dim: Dimension, text: str = "", limit: int = 20, alias: str | None = None) -> list[TenantHit]:
    """Best matches for ``text`` (all tenants' first ``limit`` when empty), searched in the database."""
    qs = dim.model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    text = text.strip()
    order: list[Any] = []
    if text:
        q = _pk_filter(dim, text)
        for name in dim.search_fields:
            for form in _text_forms(text):
                q |= Q(**{f"{name}__icontains": form})
        qs = qs.filter(q)
        if dim.search_fields:
            first = dim.search_fields[0]
            lowered = text.lower()
            rank = Case(
                When(_pk_filter(dim, text), then=Value(0)),
                *[When(**{f"{n}__iexact": text}, then=Value(1)) for n in dim.search_fields],
                # A whole translation of a JSON-stored name ("en": "DemoCon") is as good as an exact match.
                *[When(**{f"{n}__icontains": json.dumps(text)}, then=Value(1)) for n in dim.search_fields],
                *[When(**{f"{n}__istartswith": lowered}, then=Value(2)) for n in dim.search_fields],
                default=Value(3),
                output_field=IntegerField(),
            )
            qs = qs.annotate(_tc_rank=rank)
            order = ["_tc_rank", Lower(first), "pk"]
    if not order:
        order = [dim.search_fields[0], "pk"] if dim.search_fields else ["pk"]
    fields = list(dict.fromkeys(["pk", *dim.search_fields, *dim.label_fields()]))
    hits: list[TenantHit] = []
    for obj in qs.order_by(*order).only(*[f for f in fields if f != "pk"])[:limit]:
        hits.append(TenantHit(dim.name, obj.pk, dim.label(obj), {n: getattr(obj, n) for n in dim.search_fields}))
    return hits


def parse_scope_flag(registry: ScopeRegistry, flag: str, value: str) -> tuple[str, str]:
    """Split ``event__slug`` into (``event``, ``slug``); the lookup defaults to ``pk``."""
    name = flag.lstrip("-")
    dim, _, lookup = name.partition("__")
    if dim not in registry.dimensions:
        known = sorted(registry.dimensions)
        raise ScopeSelectionError(
            f"--{name}: there is no scope dimension {dim!r}.{did_you_mean(dim, known)} "
            f"Known dimensions: {', '.join(known) or 'none (no ScopedManager was found)'}."
        )
    return dim, lookup or "pk"


def _shown(value: str, limit: int = 60) -> str:
    """A flag value as an error message quotes it: long values are cut (a message stays one paragraph)."""
    return value if len(value) <= limit else f"{value[:limit]}... ({len(value):,} characters)"


def _refuse_secret_lookup(dim: Dimension, lookup: str) -> None:
    """A scope flag must not probe secrets: ``--event__organiser__members__password__startswith=pbkdf2``."""
    for part in lookup.split("__"):
        if looks_secret(part):
            raise ScopeSelectionError(
                f"--{dim.name}__{lookup}: tenants cannot be looked up through {part!r}; fields whose names "
                f"contain {', '.join(SECRET_NAME_PARTS)} are secrets, and a lookup on them would tell their "
                f"values. Choose the tenant by a field such as --{dim.name}__pk=... or "
                f"--{dim.name}__{(dim.search_fields or ('pk',))[0]}=..."
            )


def resolve_tenant(registry: ScopeRegistry, dim_name: str, lookup: str, value: str, alias: str | None = None) -> Any:
    """The pk of the one tenant of ``dim_name`` whose ``lookup`` equals ``value``.

    Lookups through secret fields are refused; a value the database cannot use
    (an invalid ``__regex``, a value too long for a ``LIKE``) is a
    :class:`ScopeSelectionError`, never a traceback.
    """
    dim = registry.dimensions[dim_name]
    _refuse_secret_lookup(dim, lookup)
    qs = dim.model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    try:
        matches = list(qs.filter(**{lookup: value}).values_list("pk", flat=True)[:2])
    except (FieldError, FieldDoesNotExist) as exc:
        fields = [f.name for f in dim.model._meta.concrete_fields]
        field_name = lookup.split("__")[0]
        raise ScopeSelectionError(
            f"--{dim_name}__{lookup}: {dim.model_label} cannot be looked up by {lookup!r} "
            f"({' '.join(str(exc).split())}).{did_you_mean(field_name, fields)}"
        )
    except (ValidationError, ValueError, TypeError) as exc:
        raise ScopeSelectionError(
            f"--{dim_name}__{lookup}={_shown(value)}: {_shown(value)!r} is not a valid value for {lookup!r} of "
            f"{dim.model_label} ({_first_line(exc)})."
        )
    except DatabaseError as exc:
        raise ScopeSelectionError(
            f"--{dim_name}__{lookup}={_shown(value)}: the {_vendor(qs)} database could not run this lookup with "
            f"that value ({_first_line(exc)}), so no tenant was chosen. Check the value: a valid regular "
            "expression for __regex, a value of a sensible length, the right type for the field."
        )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        try:
            near = search_tenants(dim, value, limit=5, alias=alias)
            if not near and dim.search_fields:
                near = _closest_by_name(dim, value, alias)
        except DatabaseError:  # a value the database cannot search for (too long for LIKE): no hint
            near = []
        hint = f" Closest tenants: {', '.join(h.label for h in near)}." if near else ""
        raise (
            ScopeSelectionError(f"--{dim_name}__{lookup}={_shown(value)}: no {dim.model_label} matches.{hint}")
            if lookup != "pk"
            else ScopeSelectionError(
                f"--{dim_name}={_shown(value)}: there is no {dim.model_label} with primary key "
                f"{_shown(value)!r}.{hint}"
            )
        )
    raise ScopeSelectionError(
        f"--{dim_name}__{lookup}={_shown(value)}: several {dim.model_label} rows match; use a unique field "
        f"such as --{dim_name}__pk=..."
    )


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _vendor(qs: Any) -> str:
    from django.db import connections

    return str(connections[qs.db].vendor)


def _closest_by_name(dim: Dimension, value: str, alias: str | None) -> list[TenantHit]:
    """Fuzzy suggestions from a bounded sample (only used after an exact lookup failed)."""
    import difflib

    qs = dim.model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    field = dim.search_fields[0]
    names = [str(v) for v in qs.values_list(field, flat=True)[:5000]]
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
    if not close:
        return []
    return [h for name in close for h in search_tenants(dim, name, limit=1, alias=alias)]
