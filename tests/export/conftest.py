from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A fresh directory for export files."""
    d = tmp_path / "exports"
    d.mkdir()
    return d


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())
