"""Fixtures for the console tests: the app on the seeded demo databases, and waiting helpers.

The app is built with an already-loaded :class:`Project` (no settings import in
the test), its own empty state directory (so "recent tenants" from other tests
never leak into a snapshot) and no extension packages (so these tests do not
depend on the REPL, graph, export or import screens, which have their own).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tenant_console.ui.app import StartupSpec, TenantConsoleApp

SIZE = (130, 36)


@pytest.fixture
def ui_project(project, db_alias, tmp_path):
    """The demo project on ``db_alias`` with a fresh state directory."""
    return _project_on(project, db_alias, tmp_path)


@pytest.fixture
def sqlite_ui_project(project, tmp_path):
    """The demo project on SQLite only, for flows whose database side is covered on both vendors
    elsewhere (tests/ui/test_browse_core.py), to keep the suite fast."""
    return _project_on(project, "default", tmp_path)


def _project_on(project, alias: str, state_dir):
    from django.db import connections

    config = dataclasses.replace(project.config, state_dir=state_dir)
    return dataclasses.replace(project, alias=alias, vendor=connections[alias].vendor, config=config,
                               warnings=[])


@pytest.fixture
def make_app() -> Iterator[Callable[..., TenantConsoleApp]]:
    apps: list[TenantConsoleApp] = []

    def factory(project: Any, *, scope_flags=(), disabled: bool = False,
                extension_packages=()) -> TenantConsoleApp:
        app = TenantConsoleApp(project, startup=StartupSpec(scope_flags=scope_flags, disabled=disabled),
                               extension_packages=extension_packages)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close_session()


@pytest.fixture
def target(project):
    """The empty ``target`` database (an import's or a move's), emptied again after the test."""
    from tests.conftest import flush

    flush("target")
    yield "target"
    flush("target")


@pytest.fixture
def large_alias(project, target_alias, tmp_path):
    """An empty database seeded with the small demo plus 'megacon' with 2,500 submissions (25 pages)."""
    from conference.seeding import seed
    from django.db import connections

    seed(target_alias, events=2, submissions=5, users=12, large=25_000)
    connections[target_alias].close()
    return _project_on(project, target_alias, tmp_path)


def seed_with_cross_tenant_tag(alias: str) -> tuple[int, str, int, int]:
    """Seed the small demo on an empty ``alias`` and tag the submission that the planted cross-tenant
    review points at with two tags of its own event and one of the other event (3 through rows, one
    into another tenant). Returns (submission pk, its event's slug, the foreign tag pk, the review pk)."""
    from conference.models import Review, Submission, Tag
    from conference.seeding import seed
    from django.db import connections

    seed(alias, events=2, submissions=5, users=12)
    review = Review._base_manager.using(alias).get(text__startswith="Reviewed from the wrong event")
    sub = Submission._base_manager.using(alias).get(pk=review.submission_id)
    own = list(Tag._base_manager.using(alias).filter(event_id=sub.event_id).order_by("pk")[:2])
    other = Tag._base_manager.using(alias).exclude(event_id=sub.event_id).order_by("pk")[0]
    through = sub.tags.through
    through._base_manager.using(alias).filter(submission_id=sub.pk).delete()
    through._base_manager.using(alias).bulk_create([through(submission_id=sub.pk, tag_id=t.pk) for t in [*own, other]])
    slug = sub.event.slug
    connections[alias].close()
    return sub.pk, slug, other.pk, review.pk


async def until(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> None:
    """Let the app run until ``predicate()`` is true (or fail saying what never happened)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def banner_text(app: TenantConsoleApp) -> str:
    from tenant_console.ui.widgets.banner import ScopeBanner

    content = app.screen.query_one(ScopeBanner).content
    return getattr(content, "plain", str(content))


def notifications(app: TenantConsoleApp) -> list[str]:
    return [n.message for n in app._notifications]


async def ready(pilot: Any) -> None:
    await until(pilot, lambda: pilot.app.ready, "the console to start")


async def idle_workers(pilot: Any) -> None:
    """Wait until no worker of the app or its screens is running."""
    await until(pilot, lambda: not [w for w in pilot.app.workers if w.is_running], "workers to finish")
    await pilot.pause()


async def screen_is(pilot: Any, cls: type, timeout: float = 40.0) -> Any:
    """Wait until the current screen is a mounted ``cls``; return it.

    The first screen comes after the whole start-up (Django checks, extension loading), which on a
    loaded two-core machine can take well over the usual wait, so this one waits longer.
    """
    await until(pilot, lambda: isinstance(pilot.app.screen, cls) and pilot.app.screen.is_mounted,
                f"the {cls.__name__} screen", timeout=timeout)
    await pilot.pause()
    return pilot.app.screen


@pytest.fixture(autouse=True)
def no_orm_on_the_event_loop():
    """The whole UI suite fails a test whose console used the database on the event loop (or off the
    session from UI code): tests/ui/loopguard.py."""
    from tests.ui.loopguard import orm_off_the_event_loop

    with orm_off_the_event_loop() as guard:
        yield guard
    assert not guard.violations, "The console used the database off its session thread:\n" + guard.report()


@pytest.fixture
def slow_apply(monkeypatch):
    """Each batch of an import's apply (the import review's, or a move's import) takes 0.2 s longer, so
    that a quit can come while it runs; the event returned is set at the first batch."""
    import threading

    from tenant_console.core.importer.apply import Applier

    started = threading.Event()
    tick = Applier._tick

    def slow_tick(self, label, done, total):
        started.set()
        time.sleep(0.2)
        tick(self, label, done, total)

    monkeypatch.setattr(Applier, "_tick", slow_tick)
    return started
