"""Fixtures: the shop-like project seeded on SQLite and on PostgreSQL (once per run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tenancy.shop import Shop


def _shop(request: pytest.FixtureRequest, name: str, plant: bool, empty: bool = False) -> Iterator[Shop]:
    backend = request.param
    if backend == "postgres":
        from tests import conftest

        if conftest.PG_REASON:
            pytest.skip(f"PostgreSQL tests skipped: {conftest.PG_REASON}")
    shop = Shop.create(backend, f"{name}-{backend}", plant=plant, empty=empty)
    try:
        yield shop
    finally:
        shop.drop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    """The seeded shoplike database (no cross-tenant reference)."""
    yield from _shop(request, "clean", plant=False)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def planted_shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    """The seeded shoplike database where one of acme's items points at a category of globex."""
    yield from _shop(request, "planted", plant=True)



@pytest.fixture(scope="session", params=["sqlite"])
def sqlite_shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    """The seeded shoplike database on SQLite only, for checks that do not depend on the database."""
    yield from _shop(request, "sqlite", plant=False)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def empty_shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    """A migrated, empty shoplike database (an import target)."""
    yield from _shop(request, "empty", plant=False, empty=True)
