"""Tenant search strategies (core/tenants.py): which one the database can answer with, and that its
hits are the ones a scan of the whole table finds.

The strategies (prefix on the indexed slug, pg_trgm trigram index, scan) are checked on SQLite,
PostgreSQL (without pg_trgm, with it but without a covering index, with trigram indexes on both
search fields) and MariaDB. Extra tenants are written inside a transaction that is rolled back;
the search runs on the same connection, so it sees them (and the indexes made for the test).
"""

from __future__ import annotations

import pytest
from django.db import connections, transaction

from tenant_console.core.tenants import find_tenants, forget_search_plans, search_plan

TEXTS = ("tenant-01", "Tenant-01", "summit", "SUMMIT", "Lake", "tenant-0999", "x", "ab", "demo", "%", "_1",
         "no-such-tenant", "t", "nordic", "Düs")
WORDS = ("lake", "river", "summit", "harbour", "valley")


@pytest.fixture
def many_events(db_alias):
    """150 extra events (rolled back afterwards): slugs tenant-0000..0149, names with a word each."""
    import datetime as dt

    from conference.models import Event

    forget_search_plans()
    day = dt.date(2026, 1, 1)
    with transaction.atomic(using=db_alias):
        Event._base_manager.using(db_alias).bulk_create([
            Event(slug=f"tenant-{i:04d}", name=f"Tenant {i:04d} {WORDS[i % 5].title()} Summit", date_from=day,
                  date_to=day) for i in range(150)
        ] + [Event(slug="Mixed-Case", name="Düsseldorf 100% Days", date_from=day, date_to=day),
             Event(slug="under_score", name="Under_1 Fest", date_from=day, date_to=day)])
        try:
            yield db_alias
        finally:
            transaction.set_rollback(True, using=db_alias)
            forget_search_plans()


def _dim(project):
    return project.registry.dimensions["event"]


def _python_matches(alias: str, text: str) -> set:
    """Every tenant a case-insensitive containment over the search fields (or the pk) finds, read in Python."""
    from conference.models import Event

    needle = text.lower()
    return {pk for pk, slug, name in Event._base_manager.using(alias).values_list("pk", "slug", "name")
            if needle in slug.lower() or needle in name.lower() or str(pk) == text}


def _check_against_scan(project, alias: str, texts=TEXTS) -> dict[str, str]:
    """Every text, at several limits: the chosen strategy's hits equal the scan's, and (unlimited) the
    set a Python scan finds. Returns the strategy chosen per text at limit 5."""
    dim = _dim(project)
    chosen = {}
    for text in texts:
        for limit in (1, 5, 30):
            ours = find_tenants(dim, text, limit, alias)
            scan = find_tenants(dim, text, limit, alias, strategy="scan")
            assert [h.pk for h in ours.hits] == [h.pk for h in scan.hits], (text, limit, ours.strategy)
            if limit == 5:
                chosen[text] = ours.strategy
        everything = find_tenants(dim, text, 10_000, alias)
        assert {h.pk for h in everything.hits} == _python_matches(alias, text), text
    return chosen


def test_slug_is_the_key_field(project, db_alias):
    plan = search_plan(_dim(project), db_alias)
    assert plan.key == "slug"
    assert plan.vendor == connections[db_alias].vendor


def test_strategies_equal_the_scan(project, event_pks, many_events):
    alias = many_events
    chosen = _check_against_scan(project, alias, (*TEXTS, str(event_pks["opsfest"])))
    assert chosen["tenant-01"] == "prefix"  # tenant-0100..0149 and tenant-0010..0019 fill the page
    assert chosen["Tenant-01"] == "prefix"  # typed in capitals: the lower-case slug prefix
    assert chosen["t"] == "prefix"
    assert chosen["summit"] == "scan"  # only inside names, and no trigram index here
    assert chosen["nordic"] == "scan"
    dim = _dim(project)
    # the order: exact pk first, then slug prefix by slug, then the rest by slug
    assert find_tenants(dim, str(event_pks["opsfest"]), 3, alias).hits[0].pk == event_pks["opsfest"]
    assert [h.fields["slug"] for h in find_tenants(dim, "tenant-00", 3, alias).hits] == [
        "tenant-0000", "tenant-0001", "tenant-0002"]
    lake = find_tenants(dim, "lake", 3, alias)
    assert [h.fields["slug"] for h in lake.hits] == ["tenant-0000", "tenant-0005", "tenant-0010"]
    # LIKE's wildcards are text here
    assert [h.fields["slug"] for h in find_tenants(dim, "100%", 5, alias).hits] == ["Mixed-Case"]
    assert [h.fields["slug"] for h in find_tenants(dim, "r_1", 5, alias).hits] == ["under_score"]
    # the empty box lists by the key, in index order
    empty = find_tenants(dim, "", 3, alias)
    assert empty.strategy == "list" and empty.describe() == "by slug (index)"
    from conference.models import Event

    by_slug = list(Event._base_manager.using(alias).order_by("slug", "pk").values_list("slug", flat=True)[:3])
    assert [h.fields["slug"] for h in empty.hits] == by_slug


def test_describe_says_what_answered(project, many_events):
    dim = _dim(project)
    alias = many_events
    vendor = connections[alias].vendor
    assert find_tenants(dim, "tenant-01", 5, alias).describe() == "slug prefix (index)"
    scan = find_tenants(dim, "summit", 5, alias).describe()
    why = "pg_trgm is not installed" if vendor == "postgresql" else f"{vendor} has no trigram index"
    assert scan == f"slug prefix (index), then full scan ({why})"


@pytest.mark.parametrize("db_alias", ["postgres"], indirect=True)
def test_trigram_indexes_answer_and_equal_the_scan(project, many_events):
    """With pg_trgm and a trigram index on every search field the inside-the-name part is an index
    search; its hits equal the scan's. With only one of the two fields indexed it stays a scan."""
    alias = many_events
    dim = _dim(project)
    with connections[alias].cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before CREATE INDEX
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cur.execute("CREATE INDEX tc_test_event_name_trgm ON conference_event USING gin (name gin_trgm_ops)")
    forget_search_plans()
    assert search_plan(dim, alias).trigram_fields == ("name",)
    partial = find_tenants(dim, "summit", 5, alias)
    assert partial.strategy == "scan"
    assert partial.describe() == "slug prefix (index), then full scan (no trigram index on slug)"
    with connections[alias].cursor() as cur:
        cur.execute("CREATE INDEX tc_test_event_slug_trgm ON conference_event USING gin (slug gin_trgm_ops)")
    forget_search_plans()
    assert search_plan(dim, alias).trigram_fields == ("name", "slug")
    chosen = _check_against_scan(project, alias)
    assert chosen["summit"] == "trigram" and chosen["Lake"] == "trigram" and chosen["nordic"] == "trigram"
    assert chosen["tenant-01"] == "prefix"
    assert chosen["ab"] == "scan"  # shorter than a trigram: pg_trgm cannot look it up
    assert find_tenants(dim, "summit", 5, alias).describe() == "slug prefix (index), then trigram index (slug, name)"
    assert "fewer than 3 characters" in find_tenants(dim, "ab", 5, alias).describe()
    # the query is one the trigram indexes can answer (the planner is told not to read the table, nor
    # the slug index from end to end)
    with connections[alias].cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
    qs_sql = _explain(dim, alias, "summit")
    assert "tc_test_event_name_trgm" in qs_sql and "tc_test_event_slug_trgm" in qs_sql, qs_sql


def _explain(dim, alias: str, text: str) -> str:
    from conference.models import Event

    from tenant_console.core.tenants import _contains_filter

    qs = Event._base_manager.using(alias).filter(_contains_filter(dim, search_plan(dim, alias), text, alias))
    return qs.order_by("slug", "pk")[:5].explain()


@pytest.mark.parametrize("db_alias", ["postgres", "default"], indirect=True)
def test_prefix_is_an_index_range(project, many_events):
    """The prefix part reads the slug's index in order, never the whole table."""
    from conference.models import Event

    from tenant_console.core.tenants import _prefix_filter

    alias = many_events
    dim = _dim(project)
    if connections[alias].vendor == "postgresql":
        with connections[alias].cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
    plan = Event._base_manager.using(alias).filter(_prefix_filter(search_plan(dim, alias), "tenant-01")).order_by(
        "slug", "pk")[:5].explain()
    assert "slug" in plan and ("Index" in plan or "INDEX" in plan), plan
    assert "SCAN conference_event\n" not in plan + "\n" and "Seq Scan" not in plan, plan
