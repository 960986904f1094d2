"""The delete screen driven as a user does: d on an object, the preview tree, the typed confirmation (typed at
full speed), the backup; a cascade into another tenant needs both tenants typed; snapshots at 80x24 and wide."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conference.models import Review, Submission

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.delete.screen import DeleteScreen, TypedConfirm
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.objects import ObjectListScreen
from tests.ui.conftest import SIZE, _project_on, notifications, ready, screen_is, until

DELETE = ("tenant_console.ui.delete",)
#: SQLite only: the delete core runs on SQLite, PostgreSQL and MariaDB in tests/delete.
ON_SQLITE = pytest.mark.parametrize("target_alias", ["target"], indirect=True)


@pytest.fixture
def seeded(project, target_alias, tmp_path):
    """The demo data in the (flushed) target database, so deleting does not change the shared seed."""
    from conference.seeding import seed
    from django.db import connections

    seed(target_alias)
    connections[target_alias].close()
    return _project_on(project, target_alias, tmp_path)


def _count(alias: str, model, **filters) -> int:
    from django.db import connections

    try:
        return model._base_manager.using(alias).filter(**filters).count()
    finally:
        connections[alias].close()


async def _db(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


async def _preview(pilot, model: str, pk) -> DeleteScreen:
    pilot.app.open_object(model, pk)
    await screen_is(pilot, ObjectDetailScreen)
    await pilot.press("d")
    screen = await screen_is(pilot, DeleteScreen)
    await until(pilot, lambda: screen.loaded >= 1, "the preview", timeout=30)
    return screen


@ON_SQLITE
async def test_d_previews_then_a_typed_confirmation_deletes_with_a_backup(seeded, make_app) -> None:
    alias = seeded.alias
    pk = await _db(lambda: Submission._base_manager.using(alias).filter(event__slug="democon", reviews__isnull=False)
                   .order_by("pk").values_list("pk", flat=True).first())
    reviews = await _db(_count, alias, Review, submission_id=pk)
    app = make_app(seeded, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=DELETE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _preview(pilot, "conference.Submission", pk)
        assert screen.state == "ready", str(screen.query_one("#delete-status").render())
        labels = [str(n.label) for n in screen.query_one("Tree").root.children]
        assert any(label.startswith("conference.review") and f"{reviews} row" in label for label in labels)
        assert screen.preview.counts()["conference.submission"] == 1
        await pilot.press("y")
        dialog = await screen_is(pilot, TypedConfirm)
        assert dialog.phrase == "delete" or dialog.phrase.startswith("delete ")
        await pilot.press(*"nope", "enter")  # a wrong phrase deletes nothing
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirm)
        assert await _db(_count, alias, Submission, pk=pk) == 1
        dialog.query_one("Input").value = ""
        await pilot.press(*dialog.phrase, "enter")  # typed at full speed
        await until(pilot, lambda: screen.state in ("done", "ready"), "the delete", timeout=30)
        assert screen.state == "done", str(screen.query_one("#delete-status").render())
        assert await _db(_count, alias, Submission, pk=pk) == 0
        assert await _db(_count, alias, Review, submission_id=pk) == 0
        backup = Path(screen.report.backup)
        assert backup.exists() and backup.parent == seeded.config.state_dir / "deleted"
        assert any(n.startswith("Deleted") for n in notifications(app))
        await pilot.press("escape")  # the detail beneath re-read its object: it is gone
        detail = await screen_is(pilot, ObjectDetailScreen)
        await until(pilot, lambda: detail.view is None and detail.loaded >= 2, "the detail's reload")
        records = [r for r in seeded.audit.read() if r["action"] == "delete"]
        assert [r["outcome"] for r in records[-2:]] == ["started", "ok"]
        assert records[-1]["backup"] == str(backup) and records[-1]["source"] == "console"


@ON_SQLITE
async def test_a_cascade_into_another_tenant_needs_both_tenants_typed(seeded, make_app) -> None:
    alias = seeded.alias
    review = await _db(lambda: Review._base_manager.using(alias).get(text__contains="planted cross-tenant"))
    app = make_app(seeded, scope_flags=[ScopeFlag("event__slug", "pycon-nordic")], extension_packages=DELETE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _preview(pilot, "conference.Submission", review.submission_id)
        assert [c.pk for c in screen.preview.cross_tenant] == [review.pk]
        labels = [str(n.label) for n in screen.query_one("Tree").root.children]
        assert "Another tenant (1 row)" in labels
        assert any("⚠ 1 of another tenant" in label for label in labels)
        await pilot.press("y")
        dialog = await screen_is(pilot, TypedConfirm)
        assert "across" in dialog.phrase and "democon" in dialog.phrase and "pycon-nordic" in dialog.phrase
        await pilot.press(*"delete", "enter")  # the plain word is not enough here
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirm)
        await pilot.press("escape")
        await screen_is(pilot, DeleteScreen)
        assert await _db(_count, alias, Review, pk=review.pk) == 1


@ON_SQLITE
async def test_another_tenants_object_cannot_be_deleted_from_the_list(seeded, make_app) -> None:
    alias = seeded.alias
    other = await _db(lambda: Submission._base_manager.using(alias).filter(event__slug="pycon-nordic")
                      .values_list("pk", flat=True).first())
    app = make_app(seeded, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=DELETE)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *f"delete conference.Submission.{other}", "enter")
        await pilot.pause()
        await until(pilot, lambda: not isinstance(app.screen, DeleteScreen) and notifications(app), "refusal")
        assert not isinstance(app.screen, DeleteScreen)
        assert await _db(_count, alias, Submission, pk=other) == 1
        # D on a filtered list previews every row of the filter
        app.open_model("conference.Submission", "state=withdrawn")
        lst = await screen_is(pilot, ObjectListScreen)
        await until(pilot, lambda: lst.table.cache.row(0) is not None, "rows")
        await pilot.press("D")
        screen = await screen_is(pilot, DeleteScreen)
        await until(pilot, lambda: screen.loaded >= 1, "the preview", timeout=30)
        withdrawn = await _db(_count, alias, Submission, event__slug="democon", state="withdrawn")
        assert screen.preview.counts()["conference.submission"] == withdrawn


@ON_SQLITE
@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
def test_snapshot_delete_preview_into_another_tenant(snap_compare, seeded, make_app, size) -> None:
    from tests.ui.test_snapshots import settle

    review = Review._base_manager.using(seeded.alias).get(text__contains="planted cross-tenant")
    from django.db import connections

    connections[seeded.alias].close()
    app = make_app(seeded, scope_flags=[ScopeFlag("event__slug", "pycon-nordic")], extension_packages=DELETE)

    async def run_before(pilot) -> None:
        await ready(pilot)
        await _preview(pilot, "conference.Submission", review.submission_id)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
