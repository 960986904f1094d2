"""The graph browser driven with the pilot on the seeded demo data (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.graph import marks
from tenant_console.ui.graph.screen import GraphScreen
from tenant_console.ui.graph.tree import MoreData, ObjectData, RelationData
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tests.ui.conftest import SIZE, banner_text, notifications, ready, screen_is, until

GRAPH = ("tenant_console.ui.graph",)


async def _planted(alias: str) -> tuple[int, int, int]:
    """(review pk, its foreign submission pk, number of reviews of that submission)."""

    def find():
        from conference.models import Review
        from django.db import connections

        review = Review._base_manager.using(alias).get(text__startswith="Reviewed from the wrong event")
        n = Review._base_manager.using(alias).filter(submission_id=review.submission_id).count()
        connections[alias].close()
        return review.pk, review.submission_id, n

    return await asyncio.to_thread(find)


async def _own_review(alias: str, sub_pk: int) -> int:
    """A review of ``sub_pk`` in its own tenant (not the planted one)."""

    def find():
        from conference.models import Review
        from django.db import connections

        pk = (Review._base_manager.using(alias).filter(submission_id=sub_pk)
              .exclude(text__startswith="Reviewed from the wrong event").order_by("pk").values_list("pk", flat=True)[0])
        connections[alias].close()
        return pk

    return await asyncio.to_thread(find)


def _plain(renderable, width: int) -> str:
    from io import StringIO

    from rich.console import Console

    console = Console(width=width, record=True, file=StringIO())
    console.print(renderable)
    return console.export_text()


async def until_screen(pilot, test):
    await until(pilot, lambda: test(pilot.app.screen) and pilot.app.screen.is_mounted, "the screen")
    await pilot.pause()
    return pilot.app.screen


def _child(node, name: str):
    for child in node.children:
        if isinstance(child.data, RelationData) and child.data.info.name == name:
            return child
    raise AssertionError(f"no relation {name!r} under {node.label}")


async def _open(pilot, sub_pk: int, page_size: int = 2) -> GraphScreen:
    pilot.app.open_screen("graph", model_label="conference.Submission", pk=sub_pk, page_size=page_size)
    screen = await screen_is(pilot, GraphScreen)
    await until(pilot, lambda: screen.tree.loads >= 1 and screen.tree.root.children, "the root to load")
    return screen


async def _expand(pilot, screen: GraphScreen, node) -> None:
    before = screen.tree.loads
    screen.tree.move_cursor(node)
    await pilot.press("space")
    await until(pilot, lambda: screen.tree.loads > before, f"{node.label} to load")
    await pilot.pause()


@pytest.fixture
def scoped_app(ui_project, make_app):
    return make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "pycon-nordic")], extension_packages=GRAPH)


async def test_expand_page_and_cross_tenant_highlight(ui_project, scoped_app):
    review_pk, sub_pk, n_reviews = await _planted(ui_project.alias)
    app = scoped_app
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _open(pilot, sub_pk, page_size=2)
        tree = screen.tree
        root = tree.root
        assert "conference.Submission" in root.label.plain
        reviews = _child(root, "reviews")
        assert reviews.data.info.count == n_reviews == 3
        assert "reverse fk → conference.Review" in reviews.label.plain and reviews.label.plain.endswith("3")
        assert not _child(root, "slots").allow_expand or _child(root, "slots").data.info.count > 0
        await _expand(pilot, screen, reviews)
        objects = [c for c in reviews.children if isinstance(c.data, ObjectData)]
        more = [c for c in reviews.children if isinstance(c.data, MoreData)]
        assert len(objects) == 2 and len(more) == 1
        assert more[0].label.plain == "… 1 more"
        # Enter on "… 1 more" loads the next page in the background.
        before = tree.loads
        tree.move_cursor(more[0])
        await pilot.press("enter")
        await until(pilot, lambda: tree.loads > before, "the next page")
        objects = [c for c in reviews.children if isinstance(c.data, ObjectData)]
        assert [c.data.pk for c in objects] == sorted(c.data.pk for c in objects) and len(objects) == 3
        assert not [c for c in reviews.children if isinstance(c.data, MoreData)]
        foreign = next(c for c in objects if c.data.pk == review_pk)
        # the marker is text right after the id (visible without colour, before the long label)
        assert foreign.label.plain.startswith(f"conference.Review #{review_pk}  ⚠ other tenant: event=DemoCon 2026 "
                                              "(democon)")
        assert any("red" in str(span.style) for span in foreign.label.spans)
        own = next(c for c in objects if c.data.pk != review_pk)
        assert "other tenant" not in own.label.plain
        # Expanding an object shows its own relations, loaded lazily.
        before = tree.loads
        tree.move_cursor(own)
        await pilot.press("space")
        await until(pilot, lambda: tree.loads > before, "the review's relations")
        assert {c.data.info.name for c in own.children} >= {"submission", "event", "user"}
        # Shared objects are marked as shared.
        speakers = _child(root, "speakers")
        await _expand(pilot, screen, speakers)
        assert all("· shared" in c.label.plain for c in speakers.children)
        # The summary walks the whole closure in the background.
        await until(pilot, lambda: screen.summary.runs >= 1, "the closure summary")
        result = screen.summary.result
        assert result is not None and len(result.cross_tenant) == 1
        assert result.cross_tenant[0].edge.target == ("conference.review", review_pk)
        # the panel names both ends and both tenants on short lines of their own (they wrap readably)
        shown = _plain(screen.summary.query_one("#summary-body").content, width=200)
        assert f"⚠ conference.Submission #{sub_pk}" in shown
        assert f"—reviews→ conference.Review #{review_pk}" in shown
        assert "into event: DemoCon 2026 (democon)" in shown
        assert "from event: PyCon Nordic (pycon-nordic)" in shown
        narrow = _plain(screen.summary.query_one("#summary-body").content, width=30).splitlines()
        wrapped = narrow.index(next(line for line in narrow if "from event:" in line)) + 1
        assert narrow[wrapped].startswith("    ") and narrow[wrapped].strip(), "a wrapped line keeps its indent"


async def test_reroot_mark_and_open_detail(ui_project, scoped_app):
    review_pk, sub_pk, _ = await _planted(ui_project.alias)
    app = scoped_app
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await _open(pilot, sub_pk, page_size=50)
        tree = screen.tree
        reviews = _child(tree.root, "reviews")
        await _expand(pilot, screen, reviews)
        foreign = next(c for c in reviews.children if c.data.pk == review_pk)
        tree.move_cursor(foreign)
        await pilot.press("m")
        assert marks.marked_specs(app) == [f"conference.Review.{review_pk}"]
        assert foreign.label.plain.startswith("● ")
        assert any("1 marked for export" in n for n in notifications(app))
        # Re-rooting on the foreign review is opening another tenant's object: refused, the tree stays.
        await until(pilot, lambda: screen.summary.runs >= 1, "the first summary")
        await pilot.press("r")
        await until(pilot, lambda: any("does not exist in the scope" in n for n in notifications(app)),
                    "the refusal")
        assert tree.root.data.pk == sub_pk
        # Re-root on a review of this tenant: the tree and the summary start again from it.
        own = next(c for c in reviews.children if isinstance(c.data, ObjectData) and c.data.pk != review_pk)
        own_pk = own.data.pk
        tree.move_cursor(own)
        await pilot.press("m")
        before = tree.loads
        await pilot.press("r")
        await until(pilot, lambda: tree.loads > before and tree.root.children, "the new root")
        assert tree.root.data.pk == own_pk and screen.crumb == f"graph conference.Review #{own_pk}"
        assert "other tenant" not in tree.root.label.plain
        assert tree.root.label.plain.startswith("● ")  # marks survive re-rooting
        await until(pilot, lambda: screen.summary.runs >= 2, "the summary of the new root")
        assert ("conference.review", own_pk) in screen.summary.result.roots
        # Enter on an object opens its detail.
        submission = _child(tree.root, "submission")
        await _expand(pilot, screen, submission)
        tree.move_cursor(submission.children[0])
        await pilot.press("enter")
        detail = await screen_is(pilot, ObjectDetailScreen)
        assert (detail.model_label, detail.pk) == ("conference.Submission", sub_pk)
        await pilot.press("escape")
        await screen_is(pilot, GraphScreen)


async def test_graph_command_and_bad_spec(ui_project, scoped_app):
    _, sub_pk, _ = await _planted(ui_project.alias)
    app = scoped_app
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.run_command_line(f":graph conference.Submission.{sub_pk}")
        screen = await screen_is(pilot, GraphScreen)
        assert screen.pk == sub_pk
        # a graph opened over a graph: the banner's trail ends with the new one (older crumbs give way)
        review_pk = await _own_review(ui_project.alias, sub_pk)
        app.run_command_line(f":graph conference.Review.{review_pk}")
        second = await until_screen(pilot, lambda s: isinstance(s, GraphScreen) and s is not screen)
        assert banner_text(app).endswith(f"graph conference.Review #{review_pk}")
        assert "│  … › graph" in banner_text(app) or f"graph conference.Submission #{sub_pk} ›" in banner_text(app)
        await pilot.press("escape")
        await until_screen(pilot, lambda s: s is screen)
        assert banner_text(app).endswith(f"graph conference.Submission #{sub_pk}")
        assert second.pk == review_pk
        await pilot.press("escape")
        app.run_command_line(":graph conference.Submision.1")
        await pilot.pause()
        assert any("Did you mean 'conference.Submission'" in n for n in notifications(app))
        # an object that does not exist is refused before any screen opens (the rule of every path that
        # opens an object, tenant_console.core.browse.access)
        before = app.screen
        app.open_screen("graph", model_label="conference.Submission", pk=999999)
        await until(pilot, lambda: any("There is no conference.Submission with primary key 999999" in n
                                       for n in notifications(app)), "the refusal")
        assert app.screen is before


async def test_summary_of_a_large_closure_reports_progress(large_alias, make_app):
    from tenant_console.core.graph import WalkRules

    app = make_app(large_alias, scope_flags=[ScopeFlag("event__slug", "megacon")], extension_packages=GRAPH)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        event_pk = app.scope.pks()["event"]
        app.open_screen("graph", model_label="conference.Event", pk=event_pk)
        screen = await screen_is(pilot, GraphScreen)
        await until(pilot, lambda: screen.summary.runs >= 1, "the default summary")
        assert set(screen.summary.result.counts()) <= {"conference.event", "conference.organiser", "auth.user"}
        seen = []
        original = screen.summary._show_progress

        def record(generation, progress):
            seen.append(progress)
            original(generation, progress)

        screen.summary._show_progress = record
        screen.summary.compute("conference.Event", event_pk, app.scope.pks(), WalkRules(from_tenant=True))
        await until(pilot, lambda: screen.summary.runs >= 2, "the whole-tenant summary", timeout=60)
        assert seen and seen[0].queries >= 1
        result = screen.summary.result
        assert result.counts()["conference.submission"] == 2500
        assert not screen.query_one("#summary-bar").display  # the progress bar goes away when done
