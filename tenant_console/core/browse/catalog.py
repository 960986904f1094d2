"""The model catalogue: every installed model, grouped by app, with how it is scoped.

Only model metadata is read here (no queries), so it is safe on any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry, model_label
from tenant_console.core.errors import ConsoleError


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
    #: The registry's verdict: tenant, scoped, owned, ambiguous or shared (see docs/tenancy.md).
    kind: str = "shared"
    #: For owned models: the chain of links to the tenant (``order__event__organizer``).
    via: str = ""

    @property
    def scoped(self) -> bool:
        return bool(self.paths)

    def scope_text(self) -> str:
        """``event`` / ``event via submission__event`` / ``owned via order__event`` / ``tenant: event`` / ``shared``."""
        if self.tenant_of:
            return "tenant: " + ", ".join(self.tenant_of)
        if self.kind == "owned":
            return f"owned via {self.via}"
        if not self.paths:
            return "ambiguous (shared)" if self.kind == "ambiguous" else "shared"
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
        kind=registry.verdict(model).kind.value,
        via=scope.via if scope is not None and scope.owned else "",
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
        raise ConsoleError(f"There is no model {label!r}.{model_suggestion(label)}")


#: How similar (difflib ratio) a name must be to be suggested, and how far behind the best it may be.
CLOSE_ENOUGH = 0.6
NEAR_BEST = 0.1


def closest_models(text: str, limit: int = 3) -> list[str]:
    """The labels of the models ``text`` most probably meant, best first (empty when none is close).

    ``text`` may be ``app.Model`` or a bare model name, in any case. The model-name part is
    compared with each model's name, so the shared ``conference.`` prefix does not make
    ``conference.Nope`` look like ``conference.Room``; the app part only breaks ties. A
    name that the text starts (``subm``) counts as close.
    """
    import difflib

    typed = text.strip().lower()
    app_part, _, name_part = typed.rpartition(".")
    if not name_part:
        return []
    scored: list[tuple[float, str]] = []
    for model in apps.get_models():
        name = model.__name__.lower()
        score = difflib.SequenceMatcher(None, name_part, name).ratio()
        if len(name_part) >= 3 and name.startswith(name_part):
            score = max(score, 0.8)
        if app_part:
            if app_part == model._meta.app_label.lower():
                score += 0.02
            elif difflib.SequenceMatcher(None, app_part, model._meta.app_label.lower()).ratio() < CLOSE_ENOUGH:
                score -= 0.1  # another app: only a much better name match is worth naming
        if score >= CLOSE_ENOUGH:
            scored.append((score, model_label(model)))
    if not scored:
        return []
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    best = scored[0][0]
    return [label for score, label in scored if best - score <= NEAR_BEST][:limit]


def model_suggestion(text: str) -> str:
    """`` Did you mean 'conference.Submission'?``; when nothing is close but the app exists,
    the models it has; else ``""``. Ready to append to an error message."""
    close = closest_models(text)
    if close:
        if len(close) == 1:
            return f" Did you mean {close[0]!r}?"
        return " Did you mean " + ", ".join(repr(c) for c in close[:-1]) + f" or {close[-1]!r}?"
    app_part = text.strip().rpartition(".")[0].lower()
    in_app = sorted(m.__name__ for m in apps.get_models() if m._meta.app_label.lower() == app_part)
    if app_part and in_app:
        return f" The models of {app_part!r} are: {', '.join(in_app)}."
    return ""


def resolve_model(text: str) -> str:
    """Accept ``conference.Submission``, ``conference.submission`` or just ``Submission``.

    A bare name must be unique across apps; otherwise the error lists the candidates.
    """
    text = text.strip()
    if not text:
        from tenant_console.core import examples

        raise ConsoleError(f"Name a model, e.g. ':model {examples.model_label()}' or ':model "
                           f"{examples.model_name()}'.")
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
    hint = model_suggestion(text) or " ':model' without a name lists every model (/ filters the list)."
    raise ConsoleError(f"There is no model {text!r}.{hint}")
