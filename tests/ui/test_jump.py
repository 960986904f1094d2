"""``:Submission CEPRNX``: open an object by its primary key or the project's own code, typed at speed.

The lookup itself (code fields found generically, the scope, the messages) is tested on SQLite,
PostgreSQL and MariaDB in tests/core/test_find_object.py; here the console's side, on SQLite.
"""

from __future__ import annotations

import asyncio

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.models import ModelBrowser
from tenant_console.ui.screens.objects import ObjectListScreen
from tests.ui.conftest import SIZE, notifications, ready, screen_is, until
from tests.ui.test_console_safety import burst


async def _codes(alias: str) -> tuple[int, str, str]:
    """(pk, code) of democon's first submission, and the code of another event's submission."""
    def read():
        from conference.models import Submission
        from django.db import connections

        ours = Submission._base_manager.using(alias).filter(event__slug="democon").order_by("pk").first()
        other = Submission._base_manager.using(alias).exclude(event__slug="democon").order_by("pk").first()
        connections[alias].close()
        return ours.pk, ours.code, other.code

    return await asyncio.to_thread(read)


async def test_jump_by_code_and_by_pk_at_typing_speed(sqlite_ui_project, make_app):
    pk, code, _other = await _codes(sqlite_ui_project.alias)
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        await burst(pilot, ":", *f"Submission {code.lower()}", "enter")  # a bare model name, any case
        detail = await screen_is(pilot, ObjectDetailScreen)
        assert (detail.model_label, str(detail.pk)) == ("conference.Submission", str(pk))
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *f"conference.Submission {pk}", "enter")  # the label and the pk
        detail = await screen_is(pilot, ObjectDetailScreen)
        assert str(detail.pk) == str(pk)
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"open Tag python", "enter")  # unique together with the event: one per tenant
        detail = await screen_is(pilot, ObjectDetailScreen)
        assert detail.model_label == "conference.Tag"
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"Submission", "enter")  # no key: the model's list
        listing = await screen_is(pilot, ObjectListScreen)
        assert listing.model_label == "conference.Submission"


async def test_jump_refuses_another_tenants_code_and_says_what_was_not_found(sqlite_ui_project, make_app):
    _pk, _code, other = await _codes(sqlite_ui_project.alias)
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        browser = await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *f"Submission {other}", "enter")
        await until(pilot, lambda: any("does not exist in the scope" in n for n in notifications(app)),
                    "the refusal")
        await pilot.press(":", *"Submission NOPE", "enter")
        await until(pilot, lambda: any("There is no conference.Submission with primary key or code 'NOPE'" in n
                                       for n in notifications(app)), "the miss")
        await pilot.press(":", *"Nonsense 4", "enter")  # neither a command nor a model
        await until(pilot, lambda: any("Unknown command :Nonsense" in n for n in notifications(app)),
                    "the unknown command")
        assert app.screen is browser  # nothing was opened
