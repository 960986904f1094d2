"""Importing a tenant into an empty database, and again (everything identical)."""

from __future__ import annotations

import pytest
from django.db import connections

from tests.importer.conftest import table_state

pytestmark = pytest.mark.mariadb


def _counts(alias, slug="democon"):
    from conference.models import Event
    from django.apps import apps
    from django_scopes import scopes_disabled

    from tenant_console.core.project import load_project

    registry = load_project("tests.settings").registry
    with scopes_disabled():
        pk = Event._base_manager.using(alias).get(slug=slug).pk
        out = {}
        for model in apps.get_app_config("conference").get_models():
            q = registry.tenant_q(model, {"event": pk})
            if q is not None:
                out[model._meta.label] = model._base_manager.using(alias).filter(q).count()
    connections[alias].close()
    return out


def test_import_into_empty_database(db_alias, importer, make_export):
    path = make_export(db_alias)
    plan = importer.plan(path)
    totals = plan.totals()
    # The planted cross-tenant review points at another event's submission: missing in an empty target.
    assert totals["missing_ref"] == 1
    # Content types exist in every migrated database: identical by natural key.
    cts = len(plan.items.get("contenttypes.contenttype", []))
    assert totals["identical"] == cts
    assert totals["new"] == plan.export.count - 1 - cts
    res = importer.resolve(plan)
    assert [u.item.label for u in res.undecided] == ["conference.review"]
    from tenant_console.core.importer import Decisions

    d = Decisions()
    d.set_default("skip", "missing_ref")
    res = importer.resolve(plan, d)
    assert res.complete
    report = importer.apply(plan, res)
    assert not report.dry_run
    src = _counts(db_alias)
    dst = _counts(importer.alias)
    src["conference.Review"] -= 1  # the skipped cross-tenant review
    assert src == dst

    # The same file again: everything is identical now, nothing to decide but the review.
    again = importer.plan(path)
    t = again.totals()
    assert t["identical"] == plan.export.count - 1, t
    assert t["missing_ref"] == 1


def test_dry_run_writes_nothing(importer, make_export):
    from tenant_console.core.importer import Decisions

    path = make_export(importer.source)
    before = table_state(importer.alias)
    plan = importer.plan(path)
    d = Decisions()
    d.set_default("skip", "missing_ref")
    report = importer.apply(plan, importer.resolve(plan, d), dry_run=True)
    assert report.dry_run
    assert sum(report.written.values()) == plan.totals()["new"]
    assert table_state(importer.alias) == before
