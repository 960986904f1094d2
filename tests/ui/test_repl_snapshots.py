"""SVG snapshots of the REPL pane (SQLite demo data; stable: no blink, no timings)."""

from __future__ import annotations

import dataclasses

import pytest

from tenant_console.ui.repl.dialogs import WritableDialog
from tests.ui.test_repl_pane import ReplApp, ready, run, scope_of, wait_for

SIZE = (110, 34)
MARK = "tc-repl-snapshot"


@pytest.fixture
def sqlite_project(project, tmp_path):
    config = dataclasses.replace(project.config, state_dir=tmp_path)
    return dataclasses.replace(project, config=config, warnings=[])


@pytest.fixture
def make(sqlite_project):
    def factory() -> ReplApp:
        return ReplApp(sqlite_project, scope_of(sqlite_project, "default", "democon"), "default")

    return factory


def test_snapshot_output(make, snap_compare):
    async def before(pilot):
        await ready(pilot)
        await run(pilot, "Submission.objects.count()")
        await run(pilot, "Submission.objects.order_by('pk').values('id', 'code', 'state')")
        await run(pilot, "for s in Track.objects.order_by('pk')[:2]:\n    print(s.name)")
        await pilot.press(*"event.na")

    assert snap_compare(make(), terminal_size=SIZE, run_before=before)


def test_snapshot_error(make, snap_compare):
    async def before(pilot):
        await ready(pilot)
        await run(pilot, "def first_of(slug):\n    return Submission.objects.get(code=slug)")
        await run(pilot, "first_of('nope')")
        await run(pilot, "Submission.objects.update(state='accepted')")

    assert snap_compare(make(), terminal_size=SIZE, run_before=before)



def test_snapshot_writable_banner(make, snap_compare, marked_tags_removed):
    async def before(pilot):
        pane = await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        await run(pilot, f"Tag.objects.create(event=event, tag='{MARK}').tag")
        await pilot.pause()

    assert snap_compare(make(), terminal_size=SIZE, run_before=before)


def test_snapshot_cross_tenant_warning(make, snap_compare):
    """A forward FK out of the scope: the value is shown, with the red warning under it."""
    async def before(pilot):
        await ready(pilot)
        await run(pilot, "Review.objects.filter(submission__event__slug='pycon-nordic').get().submission")

    assert snap_compare(make(), terminal_size=SIZE, run_before=before)


@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
def test_snapshot_repl_table(make, snap_compare, size):
    """A model queryset's table: the id and the first-read columns whole at 80 columns, the rest named
    under it; at 140 columns more of them, dates written as the object table writes them."""
    async def before(pilot):
        await ready(pilot)
        await run(pilot, "Submission.objects.order_by('-pk')[:6]")

    assert snap_compare(make(), terminal_size=size, run_before=before)
