"""The walker's query count does not grow with the number of related objects.

Data is seeded into the empty ``target`` databases at 1x, 10x and 100x, and
the same walk is measured with Django's ``CaptureQueriesContext``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tenant_console.core.graph import WalkRules, walk
from tests.conftest import flush


def _measure(project, alias: str, roots, rules: WalkRules | None = None):
    ContentType.objects.clear_cache()
    for model in ("conference.submission", "conference.review"):  # warm the content type cache
        ContentType.objects.db_manager(alias).get_by_natural_key(*model.split("."))
    with CaptureQueriesContext(connections[alias]) as captured:
        result = walk(project.registry, roots, rules, alias=alias)
    assert len(captured.captured_queries) == result.queries
    return result


def test_whole_tenant_walk_is_constant_in_queries(project, target_alias) -> None:
    from conference import models as m
    from conference.seeding import seed

    counts, sizes = [], []
    for submissions in (5, 50, 500):
        flush(target_alias)
        seed(target_alias, events=2, submissions=submissions)
        event = m.Event._base_manager.using(target_alias).get(slug="democon")
        result = _measure(project, target_alias, [event], WalkRules(from_tenant=True))
        assert result.counts()["conference.submission"] == submissions + 1  # + the planted foreign talk
        assert len(result.cross_tenant) == 1
        counts.append(result.queries)
        sizes.append(len(result.nodes))
    assert sizes[2] > 50 * sizes[0] / 2  # the data really grew (about 100x)
    assert counts[0] == counts[1] == counts[2], (counts, sizes)


def test_one_object_with_many_children_is_constant_in_queries(project, target_alias) -> None:
    from conference import models as m
    from conference.seeding import seed
    from django.contrib.auth import get_user_model

    seed(target_alias, events=1, submissions=3)
    sub = m.Submission._base_manager.using(target_alias).order_by("pk").first()
    users = list(get_user_model()._base_manager.using(target_alias).order_by("pk"))
    counts = []
    before = m.Review._base_manager.using(target_alias).filter(submission=sub).count()
    added = 0
    for total in (20, 200, 2000):
        extra = [m.Review(event_id=sub.event_id, submission=sub, user=users[i % len(users)], score=5,
                          created=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)) for i in range(total - added)]
        m.Review._base_manager.using(target_alias).bulk_create(extra)
        added = total
        result = _measure(project, target_alias, [sub])
        assert result.counts()["conference.review"] == before + total
        counts.append(result.queries)
    assert counts[0] == counts[1] == counts[2], counts


def test_queries_grow_with_levels_not_objects(project, target_alias) -> None:
    """Sanity bound: a whole tenant in a few dozen statements (models x relations), never per object."""
    from conference import models as m
    from conference.seeding import seed

    seed(target_alias, events=2, submissions=200)
    event = m.Event._base_manager.using(target_alias).get(slug="democon")
    result = _measure(project, target_alias, [event], WalkRules(from_tenant=True))
    assert len(result.nodes) > 1500
    assert result.queries < 60
