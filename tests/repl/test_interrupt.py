"""ctrl+c: a Python loop and a slow query are interrupted; the session survives."""

from __future__ import annotations

import time

import pytest

from tenant_console.core.repl.runner import ReplRunner

pytestmark = pytest.mark.mariadb

SLOW_SQL = {
    "postgresql": "SELECT pg_sleep(30)",
    # An endless recursive count: SQLite's own interrupt() stops it.
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    # KILL QUERY: SLEEP() fails with 1317 (Query execution was interrupted), as a long query does.
    "mysql": "SELECT SLEEP(30)",
}


def _wait(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_interrupting_a_python_loop(repl: ReplRunner):
    fut = repl.submit("n = 0\nwhile True:\n    n += 1\n")
    _wait(lambda: repl.in_user_code)
    time.sleep(0.05)
    assert repl.interrupt()
    res = fut.result(10)
    assert res.error_kind == "interrupted"
    assert repl.run("n > 0").value.text == "True"
    assert repl.run("Submission.objects.count() > 0").value.text == "True"


def test_interrupting_a_slow_query(repl: ReplRunner):
    sql = SLOW_SQL[repl.vendor]
    started = time.monotonic()
    fut = repl.submit(f"c = connection.cursor()\nc.execute({sql!r})\nc.fetchall()")
    _wait(lambda: repl.in_query)
    time.sleep(0.05)
    assert repl.interrupt()
    res = fut.result(10)
    assert time.monotonic() - started < 10
    assert res.error_kind == "interrupted", res.error
    assert "cancelled on the database" in res.error
    assert repl.run("Submission.objects.count() > 0").value.text == "True"
    assert not repl.interrupt(), "nothing to interrupt when idle"


def test_interrupting_a_query_run_below_django(repl: ReplRunner):
    """A raw driver cursor bypasses Django's wrappers; the grace-time cancel still stops it."""
    sql = SLOW_SQL[repl.vendor]
    started = time.monotonic()
    fut = repl.submit(f"raw = connection.connection.cursor()\nraw.execute({sql!r})")
    _wait(lambda: repl.in_user_code)
    time.sleep(0.2)
    assert repl.interrupt()
    res = fut.result(15)
    assert time.monotonic() - started < 10
    assert res.error_kind == "interrupted", res.error
    assert repl.run("Submission.objects.count() > 0").value.text == "True"
