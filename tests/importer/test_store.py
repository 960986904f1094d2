"""The rows of an import wait on disk (``core.importer.store``): read back as the file has them,
in file order and at random, from several threads, and nothing of them is left on disk."""

from __future__ import annotations

import json
import os
import tempfile
import threading

import pytest

from tenant_console.core.importer import read_export
from tenant_console.core.importer.store import CACHE, WINDOW, RowStore


def _lines(n: int) -> list[bytes]:
    return [json.dumps({"model": "a.b", "pk": i, "fields": {"n": i, "text": f"row {i}"}}).encode() + b"\n"
            for i in range(n)]


def _leftovers() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("tc-import-")}


def test_rows_read_back_in_order_and_at_random_and_nothing_is_left_on_disk():
    before = _leftovers()
    store = RowStore()
    assert _leftovers() == before  # unlinked at once: only the open connection reaches the data
    count = 3 * CACHE + 7
    for n, line in enumerate(_lines(count), start=1):  # line numbers start at 1; gaps are allowed
        store.add(n * 2, line)
    store.finish()
    for n in range(1, count + 1):  # a pass in file order (windows of lines)
        assert store.fields(n * 2) == {"n": n - 1, "text": f"row {n - 1}"}
    for n in (count, 1, count // 2, 17, count - WINDOW):  # random access
        assert store.fields(n * 2)["n"] == n - 1
    assert len(store._new) + len(store._old) <= 2 * CACHE + WINDOW  # bounded, whatever the count
    with pytest.raises(KeyError):
        store.fields(3)
    store.close()


def test_threads_share_one_store():
    store = RowStore()
    for n, line in enumerate(_lines(5000), start=1):
        store.add(n, line)
    store.finish()
    errors: list[BaseException] = []

    def read(offset: int) -> None:
        try:
            for n in range(1 + offset, 5001, 3):
                assert store.fields(n)["n"] == n - 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_an_export_keeps_its_rows_in_the_store(make_export):
    export = read_export(make_export("default"))
    rows = [r for rows in export.rows.values() for r in rows]
    assert rows and export.store is not None and export.store.count == len(rows)
    assert all(r._src is export.store for r in rows)  # no parsed fields held per row
    import gzip

    with gzip.open(export.data_path, "rt") as fh:
        by_line = {n: json.loads(line) for n, line in enumerate(fh, start=1) if line.strip()}
    for r in rows:
        assert r.fields == by_line[r.line]["fields"]
        assert r.label == by_line[r.line]["model"].lower()
