"""The rules of a walk: which relations to follow, how far, and what to leave out.

The defaults answer "export this object with everything that belongs to it and
everything it needs":

* **Needs** — forward relations (FK, one-to-one, m2m, generic FK, the parent row
  of a multi-table child) are followed from every node: a row cannot be loaded
  without what it points at.
* **Belongs to** — *owning* reverse relations (``on_delete`` CASCADE/PROTECT/
  RESTRICT, generic relations, multi-table children; see
  :mod:`.relations`) are followed only from the roots and from nodes that were
  themselves reached as belonging. A talk's reviews belong to it; its track's
  other talks do not, so reaching the track (needed) does not pull them in.
* Reverse relations are never followed out of shared (unscoped) models or out
  of the tenant model itself unless ``from_shared`` / ``from_tenant`` is set,
  so a talk's speaker does not drag in every other event of that speaker and
  the event does not drag in the whole tenant.
* Rows of another tenant are recorded (and reported) but not walked further
  unless ``enter_other_tenants`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from django.apps import apps

from tenant_console.core.errors import ConsoleError, did_you_mean
from tenant_console.core.graph.relations import Relation, model_key

ReverseMode = Literal["owned", "all", "none"]


@dataclass(frozen=True)
class WalkRules:
    """How far a walk goes. ``exclude`` holds model keys (``auth.permission``),
    ``stop_at`` relation labels (``conference.submission.reviews``); both lower case.
    Build from user input with :meth:`parse`."""

    depth: int | None = None
    exclude: frozenset[str] = frozenset()
    stop_at: frozenset[str] = frozenset()
    #: "owned": owning reverse relations from owned nodes (default); "all": every
    #: reverse relation (including m2m back sides and undeclared generic
    #: back-references) from every node; "none": forward only.
    reverse: ReverseMode = "owned"
    from_shared: bool = False
    from_tenant: bool = False
    enter_other_tenants: bool = False
    #: Stop (and mark the result truncated) after this many nodes.
    max_nodes: int | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def excludes(self, model_label_lower: str) -> bool:
        return model_label_lower in self.exclude

    def stops(self, relation: Relation) -> bool:
        return relation.label in self.stop_at

    def with_(self, **changes: object) -> WalkRules:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def parse(cls, *, depth: int | None = None, exclude: Iterable[str] = (), stop_at: Iterable[str] = (),
              **options: object) -> WalkRules:
        """Rules from CLI-style strings (``app.Model``, ``app.Model.relation``); clear errors for typos."""
        if depth is not None and depth < 0:
            raise ConsoleError(f"--depth must be 0 or more, not {depth}.")
        excluded = frozenset(resolve_model_label(label, "--exclude") for label in exclude)
        stops = frozenset(resolve_relation_label(label) for label in stop_at)
        return cls(depth=depth, exclude=excluded, stop_at=stops, **options)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        return {"depth": self.depth, "exclude": sorted(self.exclude), "stop_at": sorted(self.stop_at),
                "reverse": self.reverse, "from_shared": self.from_shared, "from_tenant": self.from_tenant,
                "enter_other_tenants": self.enter_other_tenants, "max_nodes": self.max_nodes}


def _all_labels() -> list[str]:
    return [m._meta.label for m in apps.get_models()]


def resolve_model_label(label: str, where: str) -> str:
    """``conference.Submission`` (any case) -> ``conference.submission``; ConsoleError if unknown."""
    try:
        app_label, model_name = label.split(".")
        return model_key(apps.get_model(app_label, model_name))
    except (ValueError, LookupError):
        from tenant_console.core.browse.catalog import model_suggestion

        raise ConsoleError(
            f"{where} {label}: there is no model {label!r}; models are named app_label.Model."
            f"{model_suggestion(label)}"
        )


def resolve_relation_label(label: str) -> str:
    from tenant_console.core.graph.relations import relations_of

    parts = label.split(".")
    if len(parts) != 3:
        from tenant_console.core.examples import relation_label

        raise ConsoleError(f"--stop-at {label}: name a relation as app_label.Model.relation "
                           f"(for example {relation_label()}).")
    key = resolve_model_label(".".join(parts[:2]), "--stop-at")
    model = apps.get_model(key)
    names = [r.name for r in relations_of(model)]
    if parts[2] not in names:
        raise ConsoleError(f"--stop-at {label}: {model._meta.label} has no relation {parts[2]!r}."
                           f"{did_you_mean(parts[2], names)} Its relations: {', '.join(names)}.")
    return f"{key}.{parts[2]}".lower()
