"""What loading an export needs from the target database, said in the same words everywhere.

A fixture loads with ``manage.py loaddata`` only if every row it references is in
the file or already in the target. Some exports keep rows whose references lead
out of the file on purpose: ``--cross-tenant omit`` leaves the other tenant's
rows out but keeps the rows that point at them, ``--exclude`` leaves whole models
out, and a reference may point at a row that did not exist in the source either.
``loaddata`` inserts such rows and the database rejects the dangling foreign keys
(IntegrityError: at the insert on PostgreSQL, at loaddata's closing constraint
check on SQLite), after a summary that only said "dangling references: 1".

``tenant-console import`` classifies each of those rows (``cross_tenant_reference``
when the target holds the row, ``missing_ref`` when it does not) instead of
failing, so the export, ``verify`` and the console all point there, computed from
the manifest alone (no database needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LoadingNeeds:
    """The references of an export that lead to rows the file does not contain."""

    cross_tenant: int  # rows of another tenant left out (--cross-tenant omit)
    missing: int  # targets that did not exist in the source either
    excluded: int  # references into models left out with --exclude (counted, not listed)
    manifest: str  # where the listed ones are

    @property
    def total(self) -> int:
        return self.cross_tenant + self.missing + self.excluded

    def breakdown(self) -> str:
        """``1 into another tenant (left out by --cross-tenant omit), 2 into excluded models``."""
        parts = []
        if self.cross_tenant:
            parts.append(f"{self.cross_tenant:,} into another tenant (left out by --cross-tenant omit)")
        if self.missing:
            parts.append(f"{self.missing:,} to rows that did not exist in the source")
        if self.excluded:
            parts.append(f"{self.excluded:,} into models left out with --exclude")
        return ", ".join(parts)

    def where(self) -> str:
        """Where a person can read them."""
        listed = self.cross_tenant + self.missing
        if listed and self.excluded:
            return f'listed under "dangling" (and counted under "excluded_references") in {self.manifest}'
        if listed:
            return f'listed under "dangling" in {self.manifest}'
        return f'counted per relation under "excluded_references" in {self.manifest}'

    def summary(self) -> str:
        """One line: how many, of which kind, where to see them."""
        return f"{self.total:,} dangling reference(s): {self.breakdown()}; {self.where()}."

    def advice(self, data_name: str = "FILE") -> str:
        """What this means for loading the file, plainly."""
        return (f"This file keeps rows that reference rows it does not contain: `manage.py loaddata` will fail "
                f"(IntegrityError on the dangling foreign keys) unless the target database already has those rows. "
                f"Load it with `tenant-console import {data_name}` instead: it classifies each such row "
                "(cross_tenant_reference when the target has the row, missing_ref when it does not) and lets you "
                "decide before anything is written.")

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.total, "cross_tenant": self.cross_tenant, "missing": self.missing,
                "excluded": self.excluded, "manifest": self.manifest, "summary": self.summary(),
                "advice": self.advice()}


def loading_needs(manifest: Mapping[str, Any], manifest_path: str) -> LoadingNeeds | None:
    """The dangling references recorded in ``manifest``, or None when the file loads on its own."""
    dangling = manifest.get("dangling") or []
    cross = sum(1 for d in dangling if isinstance(d, dict) and d.get("reason", "cross-tenant") == "cross-tenant")
    missing = sum(1 for d in dangling if isinstance(d, dict) and d.get("reason") == "missing")
    recorded = manifest.get("cross_tenant")
    if isinstance(recorded, dict) and recorded.get("policy") == "omit":
        # "dangling" lists at most plan.MAX_REFERENCES of them; the count is complete.
        try:
            cross = max(cross, int(recorded.get("count") or 0))
        except (TypeError, ValueError):
            pass
    excluded = 0
    for item in manifest.get("excluded_references") or []:
        if isinstance(item, dict):
            try:
                excluded += int(item.get("count") or 0)
            except (TypeError, ValueError):
                continue
    needs = LoadingNeeds(cross, missing, excluded, manifest_path)
    return needs if needs.total else None
