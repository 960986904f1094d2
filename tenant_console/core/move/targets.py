"""Where a tenant can move to, and what the move of it would take: the checks before a move starts.

The CLI (``move``) and the console's ``:move`` screen ask the same questions here: which aliases of
``DATABASES`` are another database than the source, whether the tenant already exists there (a move
never merges), and the tenant's label, slug and rows per model in the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenant_console.core.errors import ConsoleError

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry


def move_targets(source: str) -> list[str]:
    """The aliases a tenant in ``source`` can move to: every other alias of ``DATABASES`` that does not lead
    to the same database (vendor, host, port and name)."""
    from django.conf import settings

    from tenant_console.core.audit import database_identity

    here = database_identity(source)
    out = []
    for alias in settings.DATABASES:
        if alias == source:
            continue
        there = database_identity(alias)
        if here.get("vendor") and there == here:
            continue
        out.append(str(alias))
    return out


def check_target(source: str, target: str) -> None:
    """Refuse, in one paragraph that names the aliases a move can go to, a target that is not one of them."""
    from django.conf import settings

    from tenant_console.core.errors import did_you_mean

    targets = move_targets(source)
    offered = (f"A tenant in {source!r} can move to: {', '.join(targets)}." if targets else
               f"This project has no other database than {source!r} in DATABASES: there is nowhere to move to.")
    if target == source:
        raise ConsoleError(f"The tenant is in {source!r} already: a move needs another database. {offered} "
                           "Nothing was done.")
    if target not in settings.DATABASES:
        raise ConsoleError(f"{target!r} is not a database alias in DATABASES.{did_you_mean(target, targets)} "
                           f"{offered} Nothing was done.")
    if target not in targets:
        raise ConsoleError(f"{target!r} and {source!r} are the same database (vendor, host, port and name); a move "
                           f"needs two databases. {offered} Nothing was done.")


def tenant_exists(registry: ScopeRegistry, alias: str, tenant: Mapping[str, Any]) -> bool:
    """Whether the tenant object(s) are in ``alias`` (call on a session thread)."""
    return all(registry.dimensions[d].model._base_manager.db_manager(alias).filter(pk=pk).exists()
               for d, pk in tenant.items())


def label_and_slug(registry: ScopeRegistry, selection: Mapping[str, Any], alias: str) -> tuple[str, str]:
    """The tenant's label (as the console shows it) and slug (what confirms deleting it; the key when it
    has no slug), read in ``alias`` (call on a session thread)."""
    from tenant_console.core.errors import ScopeSelectionError

    labels, slugs = [], []
    for dim, pk in selection.items():
        d = registry.dimensions[dim]
        obj = d.model._base_manager.db_manager(alias).filter(pk=pk).first()
        if obj is None:
            raise ScopeSelectionError(f"The tenant {dim}={pk} is not in the database {alias!r}; nothing was done.")
        labels.append(d.label(obj))
        slugs.append(str(getattr(obj, "slug", None) or pk))
    return ", ".join(labels), "-".join(slugs)


@dataclass
class MovePreview:
    """What a move of the tenant would take from the source, read before anything is written."""

    source: str
    label: str
    slug: str
    counts: dict[str, int] = field(default_factory=dict)
    vendor: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def preview_move(registry: ScopeRegistry, source: str, tenant: Mapping[str, Any]) -> MovePreview:
    """The tenant's label, slug and rows per model in ``source`` (call on a session thread)."""
    from tenant_console.core.audit import database_identity
    from tenant_console.core.move.digest import count_rows

    label, slug = label_and_slug(registry, tenant, source)
    return MovePreview(source=source, label=label, slug=slug, counts=count_rows(registry, source, tenant),
                       vendor=str(database_identity(source).get("vendor") or ""))


def check_target_database(registry: ScopeRegistry, target: str, tenant: Mapping[str, Any]) -> list[str]:
    """The target's warnings (unapplied migrations...); refuses a target that holds the tenant already
    (call on a session of ``target``, ``readonly=False`` as the start-up checks are)."""
    from tenant_console.core.checks import check_database

    warnings = list(check_database(target))
    if tenant_exists(registry, target, tenant):
        raise ConsoleError(f"The tenant already exists in {target!r}: a move creates the tenant there and never "
                           f"merges into an existing one. Nothing was done. Use import to merge, or remove the "
                           f"tenant from {target!r} first.")
    return warnings
