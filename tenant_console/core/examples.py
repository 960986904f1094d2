"""Examples for the hints of messages, taken from the project at hand.

A hint such as "write app_label.Model.pk (for example conference.Submission.12)" names the demo
project's models; on pretix or pretalx it names nothing the user has. These functions give a model,
a relation and a tenant option of the project that is loaded, or a neutral placeholder where there is
none (``app_label.Model``, ``--DIMENSION__slug=VALUE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Model

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry

#: Apps that are not the project's own (their models make poor examples).
_NOT_OWN = ("django.", "django_scopes", "tenant_console")


def example_model() -> type[Model] | None:
    """A model of the project's own largest app: the one with the most forward relations (pretalx's
    submissions, pretix's orders...); None if the project has no models of its own, or is not loaded
    yet (the console's command line can open while the project is still loading)."""
    if not apps.ready:
        return None
    return _example_model()


def _example_model() -> type[Model] | None:
    best: list[type[Model]] = []
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        if config.name.startswith(_NOT_OWN):
            continue
        models = [m for m in config.get_models() if not m._meta.proxy and not m._meta.auto_created]
        if len(models) > len(best):
            best = models
    if not best:
        return None

    def relations(model: type[Model]) -> int:
        # Forward foreign keys and many-to-many fields (Django 6 no longer calls a many-to-many concrete).
        return sum(1 for f in model._meta.fields if f.is_relation) + len(model._meta.many_to_many)

    return max(sorted(best, key=lambda m: m._meta.label), key=relations)


def model_label() -> str:
    """``app_label.Model`` of :func:`example_model` (``app_label.Model`` itself if there is none)."""
    model = example_model()
    return model._meta.label if model is not None else "app_label.Model"


def model_name() -> str:
    """The bare model name of :func:`example_model` (``Model`` if there is none)."""
    model = example_model()
    return model.__name__ if model is not None else "Model"


def object_spec() -> str:
    """``app_label.Model.PK`` with the example model."""
    return f"{model_label()}.PK"


def relation_label() -> str:
    """``app_label.Model.relation`` with the example model and one of its relations."""
    model = example_model()
    if model is None:
        return "app_label.Model.relation"
    from tenant_console.core.graph.relations import relations_of

    relations = [r for r in relations_of(model) if not r.hidden]
    # a relation to many objects first (what --stop-at is usually for), else any
    names = [r.name for r in relations if r.many and not r.forward] + [r.name for r in relations]
    return f"{model._meta.label}.{names[0] if names else 'relation'}"


def tenant_option(registry: ScopeRegistry | None) -> str:
    """A scope option for the project's first dimension: ``--organizer__slug=SLUG`` where the tenant model
    has a slug, else its first search field, else ``--DIMENSION=PK``."""
    if registry is None or not registry.dimensions:
        return "--DIMENSION__slug=VALUE"
    name, dim = next(iter(registry.dimensions.items()))
    fields = {f.name for f in dim.model._meta.get_fields() if f.concrete}
    lookup = "slug" if "slug" in fields else next((f for f in dim.search_fields if f in fields), None)
    return f"--{name}__{lookup}={lookup.upper()}" if lookup else f"--{name}=PK"
