"""Fixtures for the REPL core: a runner on its own session, scoped to a seeded event."""

from __future__ import annotations

import pytest

from tenant_console.core.repl.runner import ReplRunner


@pytest.fixture
def repl(project, db_alias, event_pks):
    """A read-only REPL on ``db_alias`` with the event ``democon`` active."""
    session = project.session("repl-test", alias=db_alias)
    runner = ReplRunner(project, session)
    runner.set_scope({"event": event_pks["democon"]})
    yield runner
    if runner.writable:
        runner.rollback().result(10)
    runner.close()


@pytest.fixture
def other_session(project, db_alias):
    """A second connection to the same database, to see what others see."""
    session = project.session("observer", alias=db_alias)
    yield session
    session.close()
