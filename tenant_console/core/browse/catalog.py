"""The model catalogue: every installed model, grouped by app, with how it is scoped.

Only model metadata is read here (no queries), so it is safe on any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.errors import ConsoleError, did_you_mean


@dataclass(frozen=True)
class ModelInfo:
    """One model as the browser shows it."""

    label: str  # "conference.Submission"
    app_label: str
    name: str
    verbose_name_plural: str
    #: ``{dimension: field path}``; empty for shared (unscoped) models.
    paths: tuple[tuple[str, str], ...]
    #: Dimensions whose tenant model this is (``("event",)`` for conference.Event).
    tenant_of: tuple[str, ...]

    @property
    def scoped(self) -> bool:
        return bool(self.paths)

    def scope_text(self) -> str:
        """``event`` / ``event via submission__event`` / ``tenant: event`` / ``shared``."""
        if self.tenant_of:
            return "tenant: " + ", ".join(self.tenant_of)
        if not self.paths:
            return "shared"
        return ", ".join(dim if path == dim else f"{dim} via {path}" for dim, path in self.paths)


def info(registry: ScopeRegistry, model: type[Model]) -> ModelInfo:
    scope = registry.scope_of(model)
    paths = tuple(sorted(scope.paths.items())) if scope else ()
    return ModelInfo(
        label=model_label(model),
        app_label=model._meta.app_label,
        name=model.__name__,
        verbose_name_plural=str(model._meta.verbose_name_plural),
        paths=paths,
        tenant_of=tuple(registry.tenant_dimensions_of(model)),
    )


def catalog(registry: ScopeRegistry) -> list[ModelInfo]:
    """All concrete, non-proxy models, sorted by app then name (tenant models first in their app)."""
    models = [m for m in apps.get_models() if not m._meta.proxy and not m._meta.abstract]
    infos = [info(registry, m) for m in models]
    return sorted(infos, key=lambda i: (i.app_label, not i.tenant_of, i.name.lower()))


def get_model(label: str) -> type[Model]:
    """The model for ``app.Model``, or a one-paragraph error suggesting the closest labels."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        labels = [model_label(m) for m in apps.get_models()]
        raise ConsoleError(f"There is no model {label!r}.{did_you_mean(label, labels)}")


def resolve_model(text: str) -> str:
    """Accept ``conference.Submission``, ``conference.submission`` or just ``Submission``.

    A bare name must be unique across apps; otherwise the error lists the candidates.
    """
    text = text.strip()
    if not text:
        raise ConsoleError("Name a model, e.g. ':model conference.Submission' or ':model Submission'.")
    models = list(apps.get_models())
    labels = {model_label(m).lower(): model_label(m) for m in models}
    if text.lower() in labels:
        return labels[text.lower()]
    by_name = [model_label(m) for m in models if m.__name__.lower() == text.lower()
               or m._meta.model_name == text.lower()]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise ConsoleError(f"{text!r} is ambiguous: {', '.join(sorted(by_name))}. Use the app label too.")
    names = sorted({*labels.values(), *(m.__name__ for m in models)})
    raise ConsoleError(f"There is no model {text!r}.{did_you_mean(text, names)}")
