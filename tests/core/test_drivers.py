"""Which PostgreSQL driver this run uses: psycopg 3 by default (Django prefers it), psycopg2
under ``TC_PSYCOPG2=1`` (``make test`` runs the PostgreSQL read-only tests both ways)."""

from __future__ import annotations

import importlib.util
import os

import pytest
from django.db import connections


def test_the_run_uses_the_driver_it_says(db_alias):
    if connections[db_alias].vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    driver = connections[db_alias].Database.__name__
    if os.environ.get("TC_PSYCOPG2") == "1":
        assert driver == "psycopg2"
    elif importlib.util.find_spec("psycopg") is not None:
        assert driver == "psycopg"
    else:
        pytest.fail("psycopg (3) is a dev dependency; install it (make venv)")
