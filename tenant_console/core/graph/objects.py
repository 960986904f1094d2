"""``app_label.Model.pk`` object specs (gestore's syntax), checked with clear messages.

Used by the ``graph`` command, the export of objects, and the console's
re-rooting. Parsing needs no database; :func:`fetch_object` does (call it on a
session thread). Lookups use the base manager, so a scope never hides a root.
"""

from __future__ import annotations

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
        raise ConsoleError(f"{label!r} is not a model name; write app_label.Model (for example "
                           f"conference.Submission).{did_you_mean(label, _labels())}")
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        from tenant_console.core.browse.catalog import model_suggestion

        # compared on the model name, so the shared app prefix does not suggest unrelated models
        raise ConsoleError(f"There is no model {label!r} in this project.{model_suggestion(label)}")


def parse_object_spec(spec: str) -> tuple[type[Model], Any]:
    """``conference.Submission.12`` -> (Submission, 12); the pk is converted by the pk field."""
    parts = spec.split(".", 2)
    if len(parts) != 3 or not all(parts):
        raise ConsoleError(
            f"{spec!r} is not an object; write app_label.Model.pk, for example conference.Submission.12."
        )
    model = resolve_model(f"{parts[0]}.{parts[1]}")
    pk_field = concrete(model)._meta.pk
    try:
        pk = pk_field.to_python(parts[2])
    except (ValidationError, ValueError, TypeError):
        raise ConsoleError(
            f"{spec!r}: {parts[2]!r} is not a valid primary key for {model._meta.label} "
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
