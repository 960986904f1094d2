"""Counts in words: one helper, the singular for exactly one."""

from __future__ import annotations

from tenant_console.core.plural import counted, plural


def test_singular_for_one_plural_otherwise():
    assert [counted(n, "row") for n in (0, 1, 2, 1204)] == ["0 rows", "1 row", "2 rows", "1,204 rows"]
    assert counted(1, "speaker profile", "speaker profiles") == "1 speaker profile"
    assert counted(3, "speaker profile", "speaker profiles") == "3 speaker profiles"
    assert plural(2, "category", "categories") == "categories" and plural(-1, "ref") == "refs"
