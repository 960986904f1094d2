from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.core import edge_project


@pytest.fixture(scope="session", autouse=True)
def _drop_edge_databases() -> Iterator[None]:
    yield
    edge_project.drop_databases()


@pytest.fixture(params=edge_project.KINDS)
def edge_db(request: pytest.FixtureRequest) -> dict[str, str]:
    """A seeded edgeproj database of the test's own, on SQLite and on PostgreSQL."""
    return edge_project.fresh(request.param)
