"""The session's FK label cache: fewer queries per page, never another tenant's label, never a stale one
after a write made in the console; and deep pages read in one query still equal OFFSET's."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tenant_console.core.browse import catalog, paging
from tenant_console.core.browse.labels import LabelCache, caching, labels_for
from tenant_console.core.browse.paging import ListSpec

SUBMISSIONS = ListSpec("conference.Submission")


def cells(rows, model="conference.Submission"):
    names = [c.name for c in paging.columns(catalog.get_model(model))]
    return [dict(zip(names, (c.text for c in row.cells), strict=True)) for row in rows]


def planted(db_alias):
    """The planted review's submission (another event's) and the two events' pks."""
    from conference.models import Review

    review = Review._base_manager.using(db_alias).select_related("submission").get(text__contains="planted")
    connections[db_alias].close()
    return review.submission_id, review.event_id, review.submission.event_id


def test_labels_are_fetched_once_per_session_and_tenant(project, session, event_pks):
    scope = session.activate({"event": event_pks["democon"]})
    reg = project.registry

    def page_queries(position):
        with CaptureQueriesContext(connections[session.alias]) as q:
            rows = paging.page_at(reg, SUBMISSIONS, scope, position, 10, 40, {})
        return rows, len(q.captured_queries)

    (first, n_first), (again, n_again) = session.run(page_queries, 0), session.run(page_queries, 0)
    assert cells(again) == cells(first)
    assert n_again == 1 < n_first  # the page itself; its event and track labels are known
    # a new scope (even the same tenant chosen again) starts with no labels
    scope = session.activate({"event": event_pks["democon"]})
    assert session.run(page_queries, 0)[1] == n_first


def test_a_label_never_crosses_tenants(project, session, db_alias):
    """The same target is foreign in one tenant and not in its own: the flag (and the text's warning)
    follow the active tenant, whichever tenant's label was fetched first."""
    from conference.models import Submission

    target, review_event, own_event = planted(db_alias)
    reg = project.registry

    def label():
        return labels_for(Submission, [target], reg, session.scope.pks())[target]

    for order in ((own_event, review_event), (review_event, own_event)):
        seen = {}
        for event in order * 2:
            session.activate({"event": event})
            seen[event] = session.run(label)
            assert seen[event].foreign is (event == review_event)
        reviews = ListSpec("conference.Review", filter_text="planted")
        scope = session.activate({"event": review_event})
        row = cells(session.run(paging.page_after, reg, reviews, scope, None, 5), "conference.Review")[0]
        assert "other tenant" in row["submission"]
    session.disable_scopes("test")
    assert session.run(label, scoped=False).foreign is False


def test_a_write_in_the_console_is_seen_on_the_next_page(project, session, event_pks):
    """A track renamed in a writable call shows its new name on the next page; a rename seen inside a
    writable call and rolled back is not shown after it (the labels are dropped around every write)."""
    from conference.models import Submission, Track
    from django.db import transaction

    scope = session.activate({"event": event_pks["democon"]})
    reg = project.registry
    rows = session.run(paging.page_after, reg, SUBMISSIONS, scope, None, 40)
    sub = next(r for r in rows if cells([r])[0]["track"] != "∅")
    track_id, old = session.run(lambda: Submission.objects.values_list("track_id", "track__name").get(pk=sub.pk))

    def track_label():
        text = cells(paging.page_after(reg, SUBMISSIONS, scope, sub.key, 1, inclusive=True))[0]["track"]
        assert text.startswith(f"#{track_id} ")
        return text.removeprefix(f"#{track_id} ")

    def rename(name):
        Track.objects.filter(pk=track_id).update(name=name)

    def rename_look_and_roll_back():
        with transaction.atomic(using=session.alias):
            rename("Never committed")
            seen = track_label()
            transaction.set_rollback(True, using=session.alias)
        return seen

    assert session.run(track_label) == old
    try:
        assert session.run(rename_look_and_roll_back, readonly=False) == "Never committed"
        assert session.run(track_label) == old
        session.run(rename, "Renamed in the console", readonly=False)
        assert session.run(track_label) == "Renamed in the console"
    finally:
        session.run(rename, old, readonly=False)
    assert session.run(track_label) == old


def _a_submissions_track(project, session, event_pks):
    """(track id, its name, a call reading the track's label on the page of a democon submission that shows
    it, a call renaming the track): for the tests whose writes come from another session."""
    from conference.models import Submission, Track

    scope = session.activate({"event": event_pks["democon"]})
    reg = project.registry
    sub_pk, track_id, old = session.run(
        lambda: Submission.objects.filter(track__isnull=False).values_list("pk", "track_id", "track__name")[0])

    def track_label():
        return cells(paging.page_after(reg, SUBMISSIONS, scope, (sub_pk,), 1, inclusive=True))[0]["track"]

    def rename(name):
        Track._base_manager.filter(pk=track_id).update(name=name)

    return track_id, old, track_label, rename


def test_a_write_in_another_session_is_seen_too(project, session, event_pks):
    """The console's saves and deletes run in sessions of their own: a rename there is on the console
    session's next page, though its labels were cached before."""
    track_id, old, track_label, rename = _a_submissions_track(project, session, event_pks)
    assert session.run(track_label) == f"#{track_id} {old}"
    writer = project.session("writer", alias=session.alias, readonly=False)
    try:
        writer.run(rename, "Renamed elsewhere", scoped=False)
        assert session.run(track_label) == f"#{track_id} Renamed elsewhere"
    finally:
        writer.run(rename, old, scoped=False)
        writer.close()
    assert session.run(track_label) == f"#{track_id} {old}"


def test_a_label_read_in_a_snapshot_older_than_a_write_is_not_kept(project, session, event_pks):
    """A page read while a save in another session commits reads the old label (its snapshot began before
    the save): shown on that page, it must not be kept for the pages after it."""
    if connections[session.alias].vendor == "sqlite":
        pytest.skip("SQLite: a write waits for the reading call's transaction to end (no older snapshot)")
    track_id, old, track_label, rename = _a_submissions_track(project, session, event_pks)
    writer = project.session("writer", alias=session.alias, readonly=False)

    def read_while_renamed_elsewhere():
        writer.run(rename, "Renamed meanwhile", scoped=False)  # commits after this call's snapshot began
        return track_label()

    try:
        assert session.run(read_while_renamed_elsewhere) == f"#{track_id} {old}"
        assert session.run(track_label) == f"#{track_id} Renamed meanwhile"
    finally:
        writer.run(rename, old, scoped=False)
        writer.close()
    assert session.run(track_label) == f"#{track_id} {old}"


def test_the_cache_expires_and_is_only_used_inside_a_session(project, session, event_pks):
    from conference.models import Track

    scope = session.activate({"event": event_pks["democon"]})
    pks = session.run(lambda: list(Track.objects.values_list("pk", flat=True)))
    cache = LabelCache(max_age=0.0)

    def fetches(use_cache):
        with CaptureQueriesContext(connections[session.alias]) as q:
            if use_cache:
                with caching(cache):
                    labels_for(Track, pks, project.registry, scope.pks(), session.alias)
            else:
                labels_for(Track, pks, project.registry, scope.pks(), session.alias)
        return len(q.captured_queries)

    # expired at once: every call fetches
    assert session.run(fetches, True) == session.run(fetches, True) > 0
    # outside a session's call (here: the test's own thread) nothing is cached
    try:
        assert fetches(False) == fetches(False) > 0
    finally:
        connections[session.alias].close()


@pytest.mark.parametrize("seek_skip", [0, 1000])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_pages_from_anchors_equal_offset_either_way(project, session, event_pks, seek_skip, descending,
                                                    monkeypatch):
    """With the skip and the page in one query (an anchor just before) or a key-only locate first
    (``SEEK_SKIP`` 0), from an anchor before or after the page, the rows are OFFSET's."""
    monkeypatch.setattr(paging, "SEEK_SKIP", seek_skip)
    scope = session.activate({"event": event_pks["democon"]})
    reg = project.registry
    spec = ListSpec("conference.Submission", order="track", descending=descending)
    reference = [r.pk for r in session.run(paging.page_by_offset, reg, spec, scope, 0, 100)]
    total = len(reference)
    anchors = session.run(paging.walk_anchors, reg, spec, scope, None, 9, 10)
    for position in (1, 5, 12, 17, 26, total - 8):
        rows = session.run(paging.page_at, reg, spec, scope, position, 5, total, anchors)
        assert [r.pk for r in rows] == reference[position:position + 5], position
