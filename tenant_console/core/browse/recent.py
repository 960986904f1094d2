"""Recently used tenants, remembered per project (settings module) and database alias.

A small JSON file in the console's state directory. Only pk and label are kept:
the label is what the user saw, the pk is what is activated (and re-checked).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def remember(self, dimension: str, pk: Any, label: str) -> None:
        data = self._load_all()
        per_project = data.setdefault(self.key, {})
        entries = [e for e in per_project.get(dimension, []) if str(e.get("pk")) != str(pk)]
        value = pk if isinstance(pk, (int, str)) else str(pk)
        per_project[dimension] = [{"pk": value, "label": label}, *entries][:MAX_RECENT]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".recent-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
            os.replace(tmp, self.path)
        except OSError:
            pass  # remembering is a convenience; never fail the console over it
