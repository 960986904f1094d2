"""The plan's summary table: objects per model and class, conflicts in colour (the import review's, and
the ``:move`` screen's for the import into the target)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

#: The plan's classes (core.importer.plan.CLASSES; not imported here because that module needs Django's
#: app registry at import time, and this screen is importable before it).
CLASSES = ("new", "identical", "changed", "key_clash", "unique_clash", "missing_ref", "cross_tenant_reference",
           "schema", "invalid_value", "duplicate")
CONFLICTS = ("changed", "key_clash", "unique_clash", "missing_ref", "cross_tenant_reference", "schema",
             "invalid_value", "duplicate")
#: Short headers for the summary table (the class names are long for a terminal column).
HEADERS = {"unique_clash": "unique clash", "key_clash": "key clash", "missing_ref": "missing ref",
           "cross_tenant_reference": "cross-tenant", "invalid_value": "invalid", "duplicate": "dup"}


def add_summary_columns(table: DataTable[Any]) -> None:
    table.add_columns("model", *[HEADERS.get(c, c) for c in CLASSES])


def fill_summary(table: DataTable[Any], plan: Any) -> None:
    """One row per model of ``plan`` (its objects per class) and a total row."""
    table.clear()
    for label, counts in sorted(plan.summary().items()):
        table.add_row(label, *[count_cell(counts.get(c, 0), c) for c in CLASSES])
    totals = plan.totals()
    table.add_row(Text("total", style="bold"), *[count_cell(totals.get(c, 0), c, bold=True) for c in CLASSES])


def count_cell(n: int, cls: str, bold: bool = False) -> Text:
    if not n:
        return Text("")
    style = "bold " if bold else ""
    if cls == "cross_tenant_reference":
        style += "red"
    elif cls in CONFLICTS:
        style += "yellow"
    return Text(f"{n:,}", style=style, justify="right")
