"""Saving what a list shows (its model, filter and order, in the tenant) as CSV or JSON.

The rows are the object list's own (:mod:`tenant_console.core.browse.paging`):
the same scope, filter and order, the same cells (foreign keys by their labels,
choices by their display value), read in keyset pages so memory stays flat on a
list of millions. The file holds customer data, so it is created ``0600``
(:mod:`tenant_console.core.private`), written to a temporary name and moved into
place when complete. CSV cells that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@`` first) are written with a leading ``'``.
Call on a session thread, inside the session's scope.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tenant_console.core.browse.paging import ListSpec, page_after, plan
from tenant_console.core.browse.rows import Row
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.private import open_private
from tenant_console.core.scope import ScopeState

FORMATS = ("csv", "json")
PAGE = 2000
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class SavedList:
    path: Path
    rows: int
    format: str


def format_of(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format asked for, or the file's extension (``.csv``, ``.json``)."""
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise ConsoleError(f"Save as CSV or JSON: name the file NAME.csv or NAME.json (not {Path(path).name!r}).")
    return chosen


def _rows(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState) -> Iterator[Row]:
    key = None
    while True:
        page = page_after(registry, spec, scope, key, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        key = page[-1].key


def _safe(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA) else text


def save_list(registry: ScopeRegistry, spec: ListSpec, scope: ScopeState, path: str | os.PathLike[str],
              fmt: str | None = None, *, overwrite: bool = False) -> SavedList:
    """Write every row of the list to ``path``; returns where and how many."""
    target = Path(path).expanduser().absolute()
    chosen = format_of(target, fmt)
    if target.exists() and not overwrite:
        raise ConsoleError(f"{target} already exists; choose another name (or overwrite it explicitly).")
    if not target.parent.is_dir():
        raise ConsoleError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    cols = plan(registry, spec, scope).cols
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    n = 0
    try:
        with open_private(tmp, "w", encoding="utf-8") as fh:
            n = (_write_csv if chosen == "csv" else _write_json)(fh, cols, _rows(registry, spec, scope))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return SavedList(path=target, rows=n, format=chosen)


def _write_csv(fh: IO[str], cols: Any, rows: Iterator[Row]) -> int:
    writer = csv.writer(fh)
    writer.writerow(["pk", *[c.name for c in cols]])
    n = 0
    for row in rows:
        writer.writerow([_safe(str(row.pk)), *[_safe(cell.text if not cell.null else "") for cell in row.cells]])
        n += 1
    return n


def _write_json(fh: IO[str], cols: Any, rows: Iterator[Row]) -> int:
    fh.write("[")
    n = 0
    for row in rows:
        record = {"pk": row.pk, **{c.name: (None if cell.null else cell.text) for c, cell in zip(cols, row.cells,
                                                                                                 strict=True)}}
        fh.write(("\n" if n == 0 else ",\n") + json.dumps(record, ensure_ascii=False, default=str))
        n += 1
    fh.write("\n]\n")
    return n
