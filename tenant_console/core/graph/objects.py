"""Object specs: ``app_label.Model.pk`` (gestore's syntax) and every form the console prints.

Used by the ``graph`` command, the export of objects, and the console's
re-rooting. Parsing needs no database; :func:`fetch_object` does (call it on a
session thread). Lookups use the base manager, so a scope never hides a root.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model

from tenant_console.core.errors import ConsoleError, did_you_mean
from tenant_console.core.graph.relations import concrete


def _labels() -> list[str]:
    return sorted(m._meta.label for m in apps.get_models())


def resolve_model(label: str) -> type[Model]:
    """``conference.Submission`` or ``conference.submission`` -> the model class."""
    app_label, _, model_name = label.partition(".")
    if not model_name:
        from tenant_console.core import examples

        raise ConsoleError(f"{label!r} is not a model name; write app_label.Model (for example "
                           f"{examples.model_label()}).{did_you_mean(label, _labels())}")
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        from tenant_console.core.browse.catalog import model_suggestion

        # compared on the model name, so the shared app prefix does not suggest unrelated models
        raise ConsoleError(f"There is no model {label!r} in this project.{model_suggestion(label)}")


#: ``conference.Submission #12``, ``Submission #12`` (breadcrumbs, detail titles, graph labels) and
#: ``conference.submission:12`` (graph node keys); ``app_label.Model.pk`` is split by hand below.
_HASH_FORM = re.compile(r"^(?P<model>[A-Za-z_][\w.]*?)\s*#\s*(?P<pk>\S.*)$")
_KEY_FORM = re.compile(r"^(?P<model>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?):(?P<pk>\S.*)$")


def parse_object_spec(spec: str) -> tuple[type[Model], Any]:
    """An object in any form the console prints -> (model, pk); the pk is converted by the pk field.

    ``conference.Submission.12`` (the command-line form), ``conference.submission:12`` (graph
    keys), ``conference.Submission #12`` and ``Submission #12`` (titles and breadcrumbs; a bare
    model name must be unique across apps). Model labels are case-insensitive.
    """
    text = spec.strip()
    match = _HASH_FORM.match(text) or _KEY_FORM.match(text)
    if match:
        model_text, raw_pk = match["model"], match["pk"].strip()
        if "." not in model_text:
            from tenant_console.core.browse.catalog import resolve_model as resolve_name

            model_text = resolve_name(model_text)
    else:
        parts = text.split(".", 2)
        if len(parts) != 3 or not all(parts):
            from tenant_console.core import examples

            example = examples.model_label()
            raise ConsoleError(
                f"{spec!r} is not an object; write app_label.Model.pk ({example}.PK), or as the console shows "
                f"it: {example.lower()}:PK or {example} #PK."
            )
        model_text, raw_pk = f"{parts[0]}.{parts[1]}", parts[2]
    model = resolve_model(model_text)
    pk_field = concrete(model)._meta.pk
    try:
        pk = pk_field.to_python(raw_pk)
    except (ValidationError, ValueError, TypeError):
        raise ConsoleError(
            f"{spec!r}: {raw_pk!r} is not a valid primary key for {model._meta.label} "
            f"(its primary key is a {pk_field.get_internal_type()})."
        )
    return model, pk


def fetch_object(model: type[Model], pk: Any, alias: str) -> Model:
    """The object through the base manager, or a ConsoleError saying it is not there."""
    try:
        return concrete(model)._base_manager.db_manager(alias).get(pk=pk)
    except model.DoesNotExist:
        raise ConsoleError(f"There is no {model._meta.label} with primary key {pk!r} on database {alias!r} "
                           "(looked up without any scope).")


def spec_of(obj: Model) -> str:
    """The spec of an object, the inverse of :func:`parse_object_spec`."""
    return f"{concrete(type(obj))._meta.label}.{obj.pk}"
