"""The runtime check behind the whole UI suite (tests/ui/loopguard.py) catches what it is for."""

from __future__ import annotations

import asyncio

from tests.ui.conftest import ready, until
from tests.ui.loopguard import orm_off_the_event_loop


def _count_submissions(alias: str = "default") -> int:
    from conference.models import Submission

    return Submission._base_manager.using(alias).count()


async def test_a_query_on_the_event_loop_is_caught_before_django_refuses_it():
    with orm_off_the_event_loop() as guard:
        try:
            _count_submissions()  # Django refuses it too (SynchronousOnlyOperation), but only after the check
        except Exception as exc:
            assert type(exc).__name__ == "SynchronousOnlyOperation"
    assert len(guard.violations) == 1
    assert "on the event loop" in guard.violations[0] and "_count_submissions" in guard.violations[0]


async def test_a_query_on_a_session_thread_or_a_test_thread_is_fine(sqlite_ui_project):
    with orm_off_the_event_loop() as guard:
        assert await asyncio.to_thread(_count_submissions) > 0  # the test's own check, not the console's
        session = sqlite_ui_project.session("guard-test")
        try:
            assert await session.call(_count_submissions, scoped=False) > 0
        finally:
            session.close()
    assert guard.violations == []


async def test_a_console_handler_that_queries_on_the_loop_fails_the_check(sqlite_ui_project, make_app):
    """What the suite-wide fixture would report: an app handler that calls the ORM itself."""
    app = make_app(sqlite_ui_project)
    with orm_off_the_event_loop() as guard:
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(pilot)

            def handler() -> None:  # what a careless handler would do: the console reports the error
                try:
                    app.notify(str(_count_submissions()))
                except Exception as exc:
                    app.report(exc)

            app.call_later(handler)
            await until(pilot, lambda: guard.violations, "the guard to see the query on the loop")
    assert "on the event loop" in guard.violations[0]
