"""Fixtures for the graph tests: the planted cross-tenant review and a pycon-nordic talk."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections


@pytest.fixture
def planted(db_alias) -> Any:
    """The seeded Review in ``democon`` that points at a ``pycon-nordic`` submission."""
    from conference.models import Review

    review = Review._base_manager.using(db_alias).select_related("submission", "event").get(
        text__startswith="Reviewed from the wrong event")
    yield review
    connections[db_alias].close()
