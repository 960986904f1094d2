"""The ``:move`` screen's table: the tenant's rows per model in the source, what the export and the import
have done with each, and at the end the verification (rows in the target, checksum equal)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

COLUMNS = (("model", "model"), ("source", "source"), ("export", "exported"), ("import", "imported"),
           ("target", "target"), ("check", "checksum"))


class ModelProgress(DataTable[Any]):
    """One row per model: the source's count from the plan, then the move's progress, then the check.

    Models of shared rows (users, content types) that the export writes for the tenant's rows appear
    when the move reaches them, marked ``shared``: they are written but not part of the verification.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="none", zebra_stripes=True, **kwargs)
        self._exporting: str | None = None

    def on_mount(self) -> None:
        for key, header in COLUMNS:
            self.add_column(header, key=key)

    def _ensure(self, label: str) -> None:
        if label not in self.rows:
            self.add_row(label, Text("shared", style="dim"), "", "", "", "", key=label)

    def _set(self, label: str, column: str, value: str | Text) -> None:
        self._ensure(label)
        cell = value if isinstance(value, Text) else Text(value, justify="right")
        self.update_cell(label, column, cell, update_width=True)

    def show_source(self, counts: Mapping[str, int]) -> None:
        """The plan: every model the tenant has rows of, with its count in the source."""
        self.clear()
        for label, n in sorted(counts.items()):
            if n:
                self.add_row(label, Text(f"{n:,}", justify="right"), "", "", "", "", key=label)

    def exported(self, model: str) -> None:
        """The export writes ``model`` now (the one before it is finished)."""
        if model == self._exporting:
            return
        if self._exporting is not None:
            self._set(self._exporting, "export", "✓")
        self._exporting = model
        self._set(model, "export", "…")

    def imported(self, model: str, done: int, total: int) -> None:
        self._set(model, "import", f"{done:,}" if done >= total else f"{done:,}/{total:,}")

    def show_journal(self, journal: Any) -> None:
        """What the journal recorded: rows exported and written per model, and the verification."""
        self._exporting = None
        source: Mapping[str, Any] = journal.source_digest or {}
        target: Mapping[str, Any] = journal.target_digest or {}
        written: Mapping[str, Any] = (journal.imported or {}).get("written") or {}
        for label, d in source.items():
            if d["count"] or label in self.rows:
                self._set(label, "export", f"{int(d['count']):,}")
        for label, n in written.items():
            if isinstance(n, int) and (n or label in self.rows):
                self._set(label, "import", f"{n:,}")
        for label, t in target.items():
            d = source.get(label, {})
            if not (t["count"] or d.get("count")):
                continue
            same = (d.get("count"), d.get("links"), d.get("checksum")) == (t["count"], t["links"], t["checksum"])
            self._set(label, "target", f"{int(t['count']):,}")
            self._set(label, "check", Text("equal", style="green") if same else Text("DIFFERS", style="bold red"))

    def show_where(self, journal: Any, where: Any) -> None:
        """An earlier move's status: the tenant's rows in the source and the target now (``where``), what
        the journal says was exported and written, and its verification if the move reached one."""
        self.clear()
        self._exporting = None
        source: Mapping[str, Any] = journal.source_digest or {}
        target: Mapping[str, Any] = journal.target_digest or {}
        written: Mapping[str, Any] = (journal.imported or {}).get("written") or {}
        written = {k: n for k, n in written.items() if isinstance(n, int)}
        now_src: Mapping[str, int] = where.source_counts if where is not None else {}
        now_tgt: Mapping[str, int] = where.target_counts if where is not None else {}
        checked = journal.phase in ("verified", "verify_failed", "deleting", "done")
        labels = ({k for k, d in source.items() if d["count"]} | {k for k, n in now_src.items() if n}
                  | {k for k, n in now_tgt.items() if n} | {k for k, n in written.items() if n})

        def number(n: Any) -> Text:
            return Text("" if n is None else f"{int(n):,}", justify="right")

        for label in sorted(labels):
            shared = label not in now_src and label not in source
            if checked and label in source and label in target:
                d, t = source[label], target[label]
                same = (d["count"], d["links"], d["checksum"]) == (t["count"], t["links"], t["checksum"])
                check = Text("equal", style="green") if same else Text("DIFFERS", style="bold red")
            else:
                check = Text("")
            here = Text("shared", style="dim") if shared else number(now_src.get(label) if now_src else None)
            there = Text("") if shared else number(now_tgt.get(label) if now_tgt else None)
            exported = number(source[label]["count"] if label in source else None)
            self.add_row(label, here, exported, number(written.get(label)), there, check, key=label)
