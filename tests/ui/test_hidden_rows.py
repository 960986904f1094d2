"""Rows the project's default manager hides (pretalx's ``Submission.objects`` hides drafts): the object list
counts every row of the tenant and says how many of them the project's own code does not see, and the
detail view of such a row says so (operator trial on pretalx: 79 rows in the list, 78 in the REPL).

No demo model has such a manager, so the shoplike project is driven (``Question.objects`` hides inactive
questions), in a child process as every check of that project is (tests/tenancy/shop.py).
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from tests.tenancy.shop import PROJECTS, ROOT, Shop


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shop(request):
    if request.param == "postgres":
        from tests import conftest

        if conftest.PG_REASON:
            pytest.skip(f"PostgreSQL tests skipped: {conftest.PG_REASON}")
    shop = Shop.create(request.param, f"ui-hidden-{request.param}")
    try:
        yield shop
    finally:
        shop.drop()


def test_the_list_and_the_detail_say_what_the_default_manager_hides(shop):
    env = {"PYTHONPATH": os.pathsep.join([str(PROJECTS), str(ROOT)])}
    done = shop.run([sys.executable, "-m", "shoplike.uiprobe"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    rows, active = seen["rows"], seen["active"]
    assert 0 < active < rows
    assert f"· {rows:,} rows ({rows - active:,} hidden by Question.objects) ·" in seen["footer"]
    # filtered to the rows the manager shows: nothing of the list is hidden, so nothing is said
    assert f"· {active:,} rows ·" in seen["footer_filtered"] and "hidden" not in seen["footer_filtered"]
    assert "⚠ hidden by Question.objects: the project's own code" in seen["detail_hidden"]
    assert "hidden" not in seen["detail_shown"]
