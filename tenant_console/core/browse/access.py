"""May the console open this object? One rule for every path that opens one object.

The detail view, the related-object graph, the export of objects and "use in the REPL"
all ask :func:`check_objects` (on the session thread) before they open anything, and a jump
by the project's own code (``:Submission CEPRNX``, :func:`find_object`) looks only among the
same rows, so an
object of another tenant is refused the same way on each of them, with the same message:
an object is opened when the queryset that lists and counts use (:func:`scoped_queryset`:
the scope's manager *and* the registry's explicit tenant filter) contains it, or when
scopes are disabled, which is a deliberate act that the audit trail records. Shared
(unscoped) models are visible in every scope. Relations *from* a visible object into
another tenant are shown and flagged where they appear (detail, graph), not refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Model, Q

from tenant_console.core.browse.catalog import get_model
from tenant_console.core.browse.queryset import scoped_queryset
from tenant_console.core.discovery import ScopeRegistry, looks_secret
from tenant_console.core.errors import ConsoleError
from tenant_console.core.scope import ScopeState


class NotVisible(ConsoleError):
    """The object does not exist, or not in the active scope."""


def visible_object(registry: ScopeRegistry, label: str, pk: Any, scope: ScopeState,
                   alias: str | None = None) -> Model:
    """The object, fetched through the scoped queryset, or :class:`NotVisible` saying why not."""
    model = get_model(label)
    qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
    if alias:
        qs = qs.using(alias)
    try:
        return qs.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotVisible(_why_not(registry, model, label, pk, scope, qs.db)) from None


def check_objects(registry: ScopeRegistry, objects: Iterable[tuple[str, Any]], scope: ScopeState,
                  alias: str | None = None) -> None:
    """Raise :class:`NotVisible` for the first object (``(app.Model, pk)``) not visible in ``scope``."""
    for label, pk in objects:
        model = get_model(label)
        qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
        if alias:
            qs = qs.using(alias)
        try:
            found = qs.filter(pk=pk).exists()
        except (ValueError, TypeError):
            found = False
        if not found:
            raise NotVisible(_why_not(registry, model, label, pk, scope, qs.db))


def check_specs(registry: ScopeRegistry, specs: Iterable[str], scope: ScopeState, alias: str | None = None) -> None:
    """:func:`check_objects` for ``app.Model.pk`` specs (the export's and the graph's syntax)."""
    from tenant_console.core.graph.objects import parse_object_spec

    objects = []
    for spec in specs:
        model, pk = parse_object_spec(spec)
        objects.append((model._meta.label, pk))
    check_objects(registry, objects, scope, alias)


#: How many matches an ambiguous code lists.
SHOWN_MATCHES = 5


@dataclass(frozen=True)
class Found:
    """The one object a jump found: its label, pk, and the field that matched (``pk``, ``code``)."""

    label: str
    pk: Any
    field: str


def code_fields(model: type[Model]) -> list[str]:
    """The text fields that name one object of ``model`` in a tenant, found from the model alone.

    A non-pk ``CharField`` (slugs included) that is unique by itself (pretalx ``Submission.code``), or
    unique together with foreign keys only (pretix ``Order.code`` with its event, a tag per event),
    which the scope fixes. Secret-looking fields (``secret``, ``token``...) are never looked up: a jump
    must not confirm a guessed secret.
    """
    opts = model._meta
    sets: list[tuple[str, ...]] = [tuple(names) for names in opts.unique_together]
    sets += [tuple(c.fields) for c in opts.constraints
             if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None and not c.expressions]
    names: list[str] = []
    for f in opts.concrete_fields:
        if (not isinstance(f, models.CharField) or f.primary_key or f.is_relation or looks_secret(f.name)
                or f.name in names):
            continue
        together = any(f.name in s and all(n == f.name or opts.get_field(n).is_relation for n in s) for s in sets)
        if f.unique or together:
            names.append(f.name)
    return names


def find_object(registry: ScopeRegistry, label: str, text: str, scope: ScopeState,
                alias: str | None = None) -> Found:
    """The one object of ``label`` in ``scope`` whose primary key or code (:func:`code_fields`) is ``text``.

    Exact matches first; only when there is none, codes compared without case (``ceprnx``). Not found
    in the scope, or more than one match: :class:`NotVisible` saying so (and whose it is, when the
    object belongs to another tenant). Call on the session thread.
    """
    model = get_model(label)
    text = text.strip()
    qs = scoped_queryset(registry, model, scope.pks(), scope.disabled)
    if alias:
        qs = qs.using(alias)
    fields = code_fields(model)
    by_pk = _pk_value(model, text)
    exact = Q(pk=by_pk) if by_pk is not None else Q()
    for name in fields:
        exact |= Q(**{name: text})
    matches = _matches(qs, exact, fields, by_pk, text) if exact else []
    if not matches and fields:
        loose = Q()
        for name in fields:
            loose |= Q(**{f"{name}__iexact": text})
        matches = _matches(qs, loose, fields, None, text)
    keys = "primary key" + "".join(f" or {name}" for name in fields)
    if len(matches) == 1:
        return Found(label, *matches[0])
    if matches:
        shown = ", ".join(f"#{pk} ({field})" for pk, field in matches[:SHOWN_MATCHES])
        more = f" and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
        raise NotVisible(f"{text!r} matches {len(matches)} {label} objects by {keys} in the scope "
                         f"{scope.describe()}: {shown}{more}. Open one by its primary key (:{model.__name__} "
                         f"{matches[0][0]}).")
    elsewhere = model._base_manager.using(qs.db).filter(exact).values_list("pk", flat=True)[:2] if exact else []
    elsewhere = list(elsewhere)
    if len(elsewhere) == 1 and not scope.disabled:
        raise NotVisible(_why_not(registry, model, label, elsewhere[0], scope, qs.db))
    codes = f" (codes: {', '.join(fields)})" if fields else " (it has no unique code field: give the primary key)"
    raise NotVisible(f"There is no {label} with {keys} {text!r} in the scope {scope.describe()}{codes}.")


def _pk_value(model: type[Model], text: str) -> Any:
    """``text`` as the model's primary key, or None when it cannot be one (``CEPRNX`` for an integer pk)."""
    try:
        return model._meta.pk.to_python(text)
    except (ValidationError, ValueError, TypeError):
        return None


def _matches(qs: Any, where: Q, fields: list[str], by_pk: Any, text: str) -> list[tuple[Any, str]]:
    """(pk, the field that matched) of the rows ``where`` selects, a few more than are ever listed."""
    rows = qs.filter(where).order_by("pk").values_list("pk", *fields)[: SHOWN_MATCHES + 1]
    try:
        found = list(rows)
    except (ValueError, TypeError, ValidationError):
        return []
    out = []
    for pk, *codes in found:
        matched = "pk" if by_pk is not None and str(pk) == str(by_pk) else next(
            (name for name, value in zip(fields, codes, strict=True)
             if value is not None and str(value).lower() == text.lower()), "pk")
        out.append((pk, matched))
    return out


def _why_not(registry: ScopeRegistry, model: type[Model], label: str, pk: Any, scope: ScopeState,
             alias: str) -> str:
    from tenant_console.core.graph.classify import tenant_labels

    try:
        exists = model._base_manager.using(alias).filter(pk=pk).exists()
    except (ValueError, TypeError):
        exists = False
    if not exists:
        return f"There is no {label} with primary key {pk!r}."
    owner = ""
    paths = registry.owner_paths(model)  # the registry's one answer for a row's tenants
    if paths:
        row = model._base_manager.using(alias).filter(pk=pk).values_list(*[p for _, p in paths]).first()
        if row is not None:
            wanted = {dim: [value] for (dim, _), value in zip(paths, row, strict=True) if value is not None}
            names = tenant_labels(registry, wanted, alias)
            parts = [f"{dim} {names.get(dim, {}).get(str(v[0]), v[0])}" for dim, v in wanted.items()
                     if str(v[0]) != str(scope.pks().get(dim, object()))]
            owner = f" (it belongs to {', '.join(parts)})" if parts else ""
    return (f"{label} #{pk} does not exist in the scope {scope.describe()}{owner}. Another tenant's objects "
            "are not opened, exported or used from here: choose that tenant (t), or disable scopes "
            "deliberately (:disable, audited).")
