"""Recently used tenants, remembered per project (settings module) and database alias.

A small JSON file in the console's state directory. Only pk and label are kept:
the label is what the user saw, the pk is what is activated. A database can be
re-seeded or restored under the same alias, so remembered entries are checked
against it before they are shown (:func:`check_recent`, one query per
dimension): missing tenants are dropped, labels refreshed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenant_console.core.private import replace_private

if TYPE_CHECKING:
    from tenant_console.core.discovery import Dimension
    from tenant_console.core.tenants import TenantSearch

MAX_RECENT = 8


@dataclass(frozen=True)
class RecentTenant:
    dimension: str
    pk: Any
    label: str


class RecentTenants:
    def __init__(self, state_dir: Path, settings_module: str, alias: str) -> None:
        self.path = state_dir / "recent-tenants.json"
        self.key = f"{settings_module}|{alias}"

    def _load_all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, dimension: str) -> list[RecentTenant]:
        entries = self._load_all().get(self.key, {}).get(dimension, [])
        out = []
        for e in entries:
            if isinstance(e, dict) and "pk" in e:
                out.append(RecentTenant(dimension, e["pk"], str(e.get("label", e["pk"]))))
        return out

    def replace(self, dimension: str, entries: list[RecentTenant]) -> None:
        """Store ``entries`` (already checked) as the dimension's list, most recent first."""
        data = self._load_all()
        per_project = data.setdefault(self.key, {})
        per_project[dimension] = [{"pk": _json_pk(e.pk), "label": e.label} for e in entries][:MAX_RECENT]
        self._save(data)

    def remember(self, dimension: str, pk: Any, label: str) -> None:
        data = self._load_all()
        per_project = data.setdefault(self.key, {})
        entries = [e for e in per_project.get(dimension, []) if str(e.get("pk")) != str(pk)]
        per_project[dimension] = [{"pk": _json_pk(pk), "label": label}, *entries][:MAX_RECENT]
        self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        try:
            with replace_private(self.path) as fh:
                json.dump(data, fh, indent=1)
        except OSError:
            pass  # remembering is a convenience; never fail the console over it


def _json_pk(pk: Any) -> Any:
    return pk if isinstance(pk, (int, str)) else str(pk)


def check_recent(dim: Dimension, entries: list[RecentTenant], alias: str | None = None) -> list[RecentTenant]:
    """The entries whose tenant still exists, in the same order, with today's labels.

    One query (``pk__in``, base manager: the tenant model is not scoped by
    itself). A pk that no longer parses for the pk field counts as missing.
    Call on a session thread.
    """
    from django.core.exceptions import ValidationError

    if not entries:
        return []
    pk_field = dim.model._meta.pk
    wanted: dict[str, Any] = {}
    for e in entries:
        try:
            wanted[str(e.pk)] = pk_field.to_python(e.pk)
        except (ValidationError, ValueError, TypeError):
            continue
    qs = dim.model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    fields = [f for f in dim.label_fields() if f != "pk"]
    found = {str(obj.pk): obj for obj in qs.filter(pk__in=list(wanted.values())).only(*fields)}
    return [RecentTenant(dim.name, found[str(e.pk)].pk, dim.label(found[str(e.pk)]))
            for e in entries if str(e.pk) in found]


def search_with_recent(dim: Dimension, text: str, limit: int, alias: str | None,
                       recent: list[RecentTenant]) -> tuple[TenantSearch, list[RecentTenant]]:
    """What the tenant picker shows for one dimension, in one session call: the search (its hits and
    how the database found them) and the remembered tenants that still exist (checked only when the
    box is empty)."""
    from tenant_console.core.tenants import find_tenants

    found = find_tenants(dim, text, limit, alias)
    checked = check_recent(dim, recent, alias) if recent and not text.strip() else []
    return found, checked
