"""Counts in words: ``1 row``, ``2 rows``, ``1 speaker profile``: one helper for every message."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``word`` when ``n`` is 1, else ``many`` (by default ``word`` + "s")."""
    return word if n == 1 else (many if many is not None else word + "s")


def counted(n: int, word: str, many: str | None = None) -> str:
    """``n`` (with thousands separators) and the word in the right number: ``1 row``, ``1,204 rows``."""
    return f"{n:,} {plural(n, word, many)}"
