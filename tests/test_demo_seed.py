"""The demo seeder: deterministic, consistent, and its fast large-tenant path keeps the data valid."""

from __future__ import annotations

import pytest
from conference import models as m
from conference.seeding import seed
from django.db import connections
from django.db.models import F
from django_scopes import scopes_disabled

pytestmark = pytest.mark.mariadb


def _fingerprint(alias: str) -> list[tuple]:
    return list(m.Submission._base_manager.using(alias).order_by("code").values_list("code", "title", "state"))


def test_seed_is_deterministic_and_plants_the_cross_tenant_review(target_alias):
    seed(target_alias, events=2, submissions=10, users=12)
    first = _fingerprint(target_alias)
    seed(target_alias, events=2, submissions=10, users=12, flush=True)
    assert _fingerprint(target_alias) == first
    with scopes_disabled():
        planted = m.Review.objects.using(target_alias).exclude(event=F("submission__event"))
        assert planted.count() == 1
        assert planted.get().event.slug == "democon"


def test_large_tenant_rows_are_valid_and_sequences_continue(target_alias):
    report = seed(target_alias, events=1, submissions=5, users=10, large=3000)
    megacon = m.Event._base_manager.using(target_alias).get(slug="megacon")
    subs = m.Submission._base_manager.using(target_alias).filter(event=megacon)
    assert subs.count() == 300
    assert m.Review._base_manager.using(target_alias).filter(submission__event=megacon).count() == 600
    assert m.Submission.tags.through._base_manager.using(target_alias).filter(submission__event=megacon).count() == 600
    assert report.rows["conference.Submission"] == 305
    conn = connections[target_alias]
    if conn.vendor == "sqlite":
        with conn.cursor() as cur:
            cur.execute("PRAGMA foreign_key_check")
            assert cur.fetchall() == []
    # Explicit keys were written: the next ordinary insert must still get a fresh key.
    highest = max(subs.values_list("pk", flat=True))
    extra = m.Submission._base_manager.db_manager(target_alias).create(
        event=megacon, code="AFTER-LARGE", title="after", created=subs.first().created
    )
    assert extra.pk > highest


def test_many_small_tenants(target_alias):
    seed(target_alias, events=1, submissions=1, users=2, tenants=250)
    assert m.Event._base_manager.using(target_alias).count() == 251
    slugs = set(m.Event._base_manager.using(target_alias).values_list("slug", flat=True))
    assert {"tenant-000001", "tenant-000250"} <= slugs and "tenant-000251" not in slugs
    assert m.Track._base_manager.using(target_alias).filter(event__slug__startswith="tenant-").count() == 250
