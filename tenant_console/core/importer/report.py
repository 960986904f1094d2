"""What an import did (or, in a dry run, would do): counts per model and decision, new keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    file: str
    sha256: str
    database: str
    vendor: str
    target: dict[str, Any]
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # {label: {decision: n}}
    new_keys: dict[str, str] = field(default_factory=dict)  # {"label:old": "new"}
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)  # {"label:old": {field: new value}}
    dropped_links: list[tuple[str, str, str]] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)  # {label: rows inserted or updated}
    #: Objects imported with references into another tenant (decision ``allow_cross_tenant``).
    cross_tenant: list[dict[str, Any]] = field(default_factory=list)
    #: Objects imported without their references into another tenant (decision ``detach``).
    detached: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    #: What the apply step could not put back (a MariaDB AUTO_INCREMENT after a dry run, say).
    notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.counts.values():
            for d, n in c.items():
                out[d] = out.get(d, 0) + n
        return out

    def as_dict(self, *, keys_limit: int | None = None) -> dict[str, Any]:
        keys = self.new_keys
        if keys_limit is not None:
            keys = dict(list(keys.items())[:keys_limit])
        return {
            "file": self.file, "sha256": self.sha256, "database": self.database, "vendor": self.vendor,
            "target": self.target, "dry_run": self.dry_run, "applied": not self.dry_run,
            "totals": self.totals, "counts": self.counts, "written": self.written,
            "new_keys_count": len(self.new_keys), "new_keys": keys, "renamed": self.renamed,
            "dropped_links": [list(x) for x in self.dropped_links], "seconds": round(self.seconds, 3),
            "cross_tenant_allowed": self.cross_tenant, "detached": self.detached, "notes": self.notes,
        }

    def lines(self, keys_limit: int = 20) -> list[str]:
        """The report as text for a terminal."""
        head = "DRY RUN - nothing was written" if self.dry_run else "Imported"
        out = [f"{head}: {self.file} into {self.database} ({self.vendor}) in {self.seconds:.1f}s"]
        totals = ", ".join(f"{d} {n:,}" for d, n in sorted(self.totals.items()))
        out.append(f"  decisions: {totals}")
        out += [f"  note: {note}" for note in self.notes]
        for label, c in sorted(self.counts.items()):
            out.append(f"  {label:<36} " + ", ".join(f"{d} {n:,}" for d, n in sorted(c.items())))
        if self.new_keys:
            out.append(f"  new keys given: {len(self.new_keys):,}")
            for old, new in list(self.new_keys.items())[:keys_limit]:
                out.append(f"    {old} -> {new}")
            if len(self.new_keys) > keys_limit:
                out.append(f"    ... and {len(self.new_keys) - keys_limit:,} more (--json lists them all)")
        for old, values in list(self.renamed.items())[:keys_limit]:
            out.append(f"  renamed {old}: " + ", ".join(f"{k}={v!r}" for k, v in values.items()))
        if self.dropped_links:
            out.append(f"  many-to-many links dropped (to skipped objects): {len(self.dropped_links):,}")
        if self.detached:
            out.append(f"  detached from another tenant's data (references dropped): {len(self.detached):,}")
            for entry in self.detached[:keys_limit]:
                out.append(f"    {entry['ref']}: {'; '.join(entry['references'])}")
        if self.cross_tenant:
            verb = "would reference" if self.dry_run else "now reference"
            out.append(f"  WARNING: {len(self.cross_tenant):,} imported objects {verb} another tenant's data "
                       "(allow_cross_tenant); `audit` lists them:")
            for entry in self.cross_tenant[:keys_limit]:
                out.append(f"    {entry['ref']}: {'; '.join(entry['references'])}")
            if len(self.cross_tenant) > keys_limit:
                out.append(f"    ... and {len(self.cross_tenant) - keys_limit:,} more (--json lists them all)")
        return out


def import_act(project: Any, plan: Any, decisions: Any, *, dry_run: bool = False) -> Any:
    """Begin the audited act of applying an import (or its dry run), with its decisions.

    Raises :class:`~tenant_console.core.audit.AuditUnavailable` before anything is
    written when the record cannot be written. End it with :func:`end_import` or ``act.fail(exc)``.
    """
    return project.audit.begin("import", file=str(plan.export.data_path), sha256=plan.export.sha256,
                               target=plan.retarget.describe(), dry_run=dry_run,
                               decisions=decisions.to_json(plan), database=plan.alias)


def end_import(act: Any, report: ImportReport) -> None:
    """The outcome record of an import that finished: what it wrote (or, in a dry run, would have)."""
    details: dict[str, Any] = {"report": report.as_dict(keys_limit=1000), "written": not report.dry_run}
    if report.cross_tenant:
        details["cross_tenant_allowed"] = len(report.cross_tenant)
    act.end("ok", **details)
