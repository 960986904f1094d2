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

A generic foreign key (``content_type`` + ``object_id``) is different: the database
does not check it, so ``loaddata`` loads a row whose generic FK points at an object
that no longer exists, as it is; ``import`` does the same and flags the row. Such
references are counted apart and do not make the file "need" anything.
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
    generic: int = 0  # generic FKs to objects that no longer exist (loaded as they are)

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
        if self.generic:
            parts.append(f"{self.generic:,} generic foreign key(s) to objects that no longer exist (not checked by "
                         "the database: loaded as they are)")
        return ", ".join(parts)

    def where(self) -> str:
        """Where a person can read them."""
        listed = self.cross_tenant + self.missing + self.generic
        if listed and self.excluded:
            return f'listed under "dangling" (and counted under "excluded_references") in {self.manifest}'
        if listed:
            return f'listed under "dangling" in {self.manifest}'
        return f'counted per relation under "excluded_references" in {self.manifest}'

    def summary(self) -> str:
        """One line: how many, of which kind, where to see them."""
        return f"{self.total + self.generic:,} dangling reference(s): {self.breakdown()}; {self.where()}."

    def advice(self, data_name: str = "FILE") -> str:
        """What this means for loading the file, plainly."""
        if not self.total:
            return (f"`manage.py loaddata` loads this file: the database does not check generic foreign keys, so the "
                    "rows that point at objects that no longer exist are loaded as they are (their generic reference "
                    f"leads nowhere, as it did in the source). `tenant-console import {data_name}` does the same and "
                    "lists them.")
        return (f"This file keeps rows that reference rows it does not contain: `manage.py loaddata` will fail "
                f"(IntegrityError on the dangling foreign keys) unless the target database already has those rows. "
                f"Load it with `tenant-console import {data_name}` instead: it classifies each such row "
                "(cross_tenant_reference when the target has the row, missing_ref when it does not) and lets you "
                "decide before anything is written.")

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.total, "cross_tenant": self.cross_tenant, "missing": self.missing,
                "generic": self.generic,
                "excluded": self.excluded, "manifest": self.manifest, "summary": self.summary(),
                "advice": self.advice()}


def loading_needs(manifest: Mapping[str, Any], manifest_path: str) -> LoadingNeeds | None:
    """The dangling references recorded in ``manifest``, or None when the file loads on its own."""
    dangling = [d for d in manifest.get("dangling") or [] if isinstance(d, dict)]
    generic = sum(1 for d in dangling if d.get("reason") == "missing" and _is_generic(d))
    cross = sum(1 for d in dangling if d.get("reason", "cross-tenant") == "cross-tenant")
    missing = sum(1 for d in dangling if d.get("reason") == "missing") - generic
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
    needs = LoadingNeeds(cross, missing, excluded, manifest_path, generic)
    return needs if needs.total or needs.generic else None


def _is_generic(entry: Mapping[str, Any]) -> bool:
    """Whether a dangling reference of the manifest is a generic foreign key (``from`` is ``app.model.pk``)."""
    from django.apps import apps
    from django.contrib.contenttypes.fields import GenericForeignKey

    label = str(entry.get("from") or "").rsplit(".", 1)[0]
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return False
    return any(isinstance(f, GenericForeignKey) and f.name == entry.get("field") for f in model._meta.private_fields)
