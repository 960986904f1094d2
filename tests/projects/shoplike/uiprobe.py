"""Test helper: the object list's footer and the detail view where the default manager hides rows.

Run as ``python -m shoplike.uiprobe`` (``tests/projects`` and the repository root on ``PYTHONPATH``)
against a seeded shoplike database: ``Question.objects`` hides inactive questions. Drives the console
with ``run_test`` in acme's scope and prints what the screens say, as JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


def _text(widget: Any) -> str:
    content = widget.content
    return getattr(content, "plain", str(content))


def facts() -> tuple[Any, dict[str, Any]]:
    """The project, and acme's questions as the database has them (read here, before the event loop)."""
    from django.db import connections
    from django_scopes import scopes_disabled

    from tenant_console.core.project import load_project

    project = load_project("shoplike.settings")
    from shoplike.shop.models import Question

    with scopes_disabled():
        acme = Question._base_manager.filter(event__organizer__slug="acme")
        found = {"rows": acme.count(), "active": acme.filter(active=True).count(),
                 "hidden_pk": acme.filter(active=False).values_list("pk", flat=True).first(),
                 "shown_pk": acme.filter(active=True).values_list("pk", flat=True).first()}
    connections.close_all()
    return project, found


async def probe(project: Any, result: dict[str, Any]) -> dict[str, Any]:
    from tenant_console.cli.scopeflags import ScopeFlag
    from tenant_console.ui.app import StartupSpec, TenantConsoleApp
    from tenant_console.ui.screens.detail import ObjectDetailScreen
    from tenant_console.ui.screens.objects import ObjectListScreen
    from tests.ui.conftest import SIZE, ready, screen_is, until

    hidden_pk, shown_pk = result.pop("hidden_pk"), result.pop("shown_pk")
    app = TenantConsoleApp(project, startup=StartupSpec(scope_flags=[ScopeFlag("organizer__slug", "acme")]))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            app.open_model("shop.Question")
            screen = await screen_is(pilot, ObjectListScreen)
            status = screen.query_one("#object-status")
            await until(pilot, lambda: "hidden by" in _text(status), "the hidden rows in the footer", timeout=40)
            result["footer"] = _text(status)
            await pilot.press("slash", *"active=yes", "enter")  # a filter: the remark counts the list's rows
            await until(pilot, lambda: screen.table.spec.filter_text == "active=yes" and "rows" in _text(status)
                        and "counting" not in _text(status), "the filtered count", timeout=40)
            await pilot.pause(1.0)  # the remark would come after the count
            result["footer_filtered"] = _text(status)
            for name, pk in (("detail_hidden", hidden_pk), ("detail_shown", shown_pk)):
                app.open_object("shop.Question", pk)
                detail = await screen_is(pilot, ObjectDetailScreen)
                await until(pilot, lambda d=detail: d.loaded > 0, "the object", timeout=40)
                result[name] = _text(detail.query_one("#detail-title"))
                await pilot.press("escape")
                await screen_is(pilot, ObjectListScreen)
    finally:
        app.close_session()
    return result


def main() -> None:
    project, found = facts()
    print(json.dumps(asyncio.run(probe(project, found))))


if __name__ == "__main__":
    main()
