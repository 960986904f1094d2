"""Importing a tenant as another tenant: a new one in the same database, or an existing one."""

from __future__ import annotations

import datetime as dt

import pytest

from tenant_console.core.importer import ImportInputError, Retarget
from tests.importer.conftest import table_state


def _tenant_counts(importer, slug):
    from django.apps import apps

    registry = importer.project.registry

    def count():
        from conference.models import Event

        pk = Event._base_manager.get(slug=slug).pk
        out = {}
        for model in apps.get_app_config("conference").get_models():
            q = registry.tenant_q(model, {"event": pk})
            if q is not None and model is not Event:
                out[model._meta.label] = model._base_manager.filter(q).count()
        return out

    return importer.run(count)


def _own_references_only(importer, slug):
    """Every scoped row of the tenant references only rows of the same tenant (FK, m2m, GFK)."""
    from conference import models as m

    def check():
        ev = m.Event._base_manager.get(slug=slug)
        subs = set(m.Submission._base_manager.filter(event=ev).values_list("pk", flat=True))
        assert subs
        assert set(m.Review._base_manager.filter(event=ev).values_list("submission_id", flat=True)) <= subs
        assert set(m.SpeakerRole._base_manager.filter(submission__in=subs).values_list("submission_id",
                                                                                       flat=True)) <= subs
        tags = set(m.Tag._base_manager.filter(event=ev).values_list("pk", flat=True))
        links = m.Submission.tags.through._base_manager.filter(submission_id__in=subs)
        assert links.exists() and set(links.values_list("tag_id", flat=True)) <= tags
        assert set(m.ActivityLog._base_manager.filter(event=ev).values_list("object_id", flat=True)) <= subs
        tracks = set(m.Track._base_manager.filter(event=ev).values_list("pk", flat=True))
        used = set(m.Submission._base_manager.filter(event=ev, track__isnull=False).values_list("track_id", flat=True))
        assert used and used <= tracks
        dupes = set(m.Submission._base_manager.filter(event=ev, duplicate_of__isnull=False).values_list(
            "duplicate_of_id", flat=True))
        assert dupes and dupes <= subs
        choice = m.ChoiceQuestion._base_manager.filter(event=ev)
        assert choice.count() == 1 and choice.get().options == ["Day 1", "Day 2", "Either"]
        answers = m.Answer._base_manager.filter(submission__in=subs)
        assert set(answers.values_list("question__event", flat=True)) == {ev.pk}

    importer.run(check)


def test_copy_tenant_into_new_tenant_in_same_database(importer, loaded):
    from conference.models import Event

    before = table_state(importer.alias)
    democon = _tenant_counts(importer, "democon")
    retarget = Retarget.new_tenant({"event": {"slug": "democon-copy", "name": "DemoCon (copy)"}})
    plan = importer.plan(loaded, retarget)
    totals = plan.totals()
    assert totals["key_clash"] + totals["unique_clash"] > 100
    res = importer.resolve(plan)
    # The cross-tenant review's submission is missing in the target: the only thing left to decide.
    assert [u.item.cls for u in res.undecided] == ["missing_ref"]
    from tenant_console.core.importer import Decisions

    d = Decisions()
    d.set_default("skip", "missing_ref")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert report.new_keys
    assert any("code" in v for v in report.renamed.values())
    copy = _tenant_counts(importer, "democon-copy")
    assert copy == democon
    assert importer.run(lambda: Event._base_manager.get(slug="democon-copy").name) == "DemoCon (copy)"
    _own_references_only(importer, "democon-copy")
    # democon itself is untouched.
    after = table_state(importer.alias)
    for label, rows in before.items():
        assert set(rows) <= set(after[label]), label


def test_import_into_existing_tenant(importer, loaded):
    from conference.models import Event

    def staging():
        return Event._base_manager.create(slug="staging", name="Staging", date_from=dt.date(2026, 1, 1),
                                          date_to=dt.date(2026, 1, 2)).pk

    pk = importer.run(staging)
    plan = importer.plan(loaded, Retarget.into_tenant({"event": pk}, {"event": "Staging"}))
    tenant_item = plan.index[("conference.event", plan.export.rows["conference.event"][0].key)]
    assert tenant_item.forced == "use_existing" and tenant_item.target_pk == pk
    from tenant_console.core.importer import Decisions

    d = Decisions()
    d.set_default("skip", "missing_ref")
    importer.apply(plan, importer.resolve(plan, d))
    assert importer.run(lambda: Event._base_manager.get(pk=pk).name) == "Staging"  # the tenant row is not written
    assert _tenant_counts(importer, "staging") == _tenant_counts(importer, "democon")
    _own_references_only(importer, "staging")


def test_retarget_errors(importer, make_export):
    path = make_export(importer.source)
    with pytest.raises(ImportInputError, match="no field 'nope'"):
        importer.plan(path, Retarget.new_tenant({"event": {"nope": "x"}}))
    with pytest.raises(ImportInputError, match="no scope dimension 'organiser'"):
        importer.plan(path, Retarget.new_tenant({"organiser": {"slug": "x"}}))
    # The field's own rules, as the project's forms apply them (pretix: an organizer's slug with a space
    # was created, then refused by pretix's own full_clean).
    with pytest.raises(ImportInputError, match=r"'bad slug!' is not a valid conference.Event.slug: .*slug"):
        importer.plan(path, Retarget.new_tenant({"event": {"slug": "bad slug!"}}))
    with pytest.raises(ImportInputError, match=r"conference.Event.slug: .*at most 50 characters"):
        importer.plan(path, Retarget.new_tenant({"event": {"slug": "x" * 51}}))


def test_new_tenant_slug_taken_is_refused(importer, loaded):
    with pytest.raises(ImportInputError, match="slug='democon' is already held"):
        importer.plan(loaded, Retarget.new_tenant({"event": {"slug": "democon"}}))
