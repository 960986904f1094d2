"""Each class of conflict and each decision, on SQLite and PostgreSQL, with references remapped
through FKs, many-to-many links and generic relations."""

from __future__ import annotations

import datetime as dt

import pytest

from tenant_console.core.importer import Decisions, TargetChanged
from tests.importer.conftest import table_state


def _m():
    from conference import models as m

    return m


def other_event(alias, slug="other"):
    m = _m()
    return m.Event._base_manager.using(alias).create(slug=slug, name=slug.title(), date_from=dt.date(2026, 1, 1),
                                                     date_to=dt.date(2026, 1, 2))


def democon(alias):
    return _m().Event._base_manager.using(alias).get(slug="democon")


def items(plan, cls):
    return [it for it in plan.all_items() if it.cls == cls]


def test_changed_keep_and_overwrite(importer, loaded):
    m = _m()
    sub = importer.run(lambda: m.Submission._base_manager.filter(event__slug="democon").order_by("pk").first())
    importer.run(lambda: m.Submission._base_manager.filter(pk=sub.pk).update(title="Edited in the target"))
    plan = importer.plan(loaded)
    changed = items(plan, "changed")
    assert [it.key for it in changed] == [sub.pk]
    assert [d.field for d in changed[0].diff] == ["title"]
    assert changed[0].diff[0].existing == "Edited in the target"
    res = importer.resolve(plan)
    assert {u.item.ref for u in res.undecided} >= {changed[0].ref}

    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_object(changed[0].ref, "keep")
    importer.apply(plan, importer.resolve(plan, d))
    assert importer.run(lambda: m.Submission._base_manager.get(pk=sub.pk).title) == "Edited in the target"

    plan = importer.plan(loaded)
    d.set_object(changed[0].ref, None)
    d.set_model("conference.submission", "overwrite", "changed")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert report.counts["conference.submission"]["overwrite"] == 1
    assert importer.run(lambda: m.Submission._base_manager.get(pk=sub.pk).title) == sub.title


def test_changed_m2m_is_a_difference_and_overwrite_restores_links(importer, loaded):
    m = _m()
    sub = importer.run(lambda: m.Submission._base_manager.filter(event__slug="democon").order_by("pk").first())
    tags = importer.run(lambda: sorted(sub.tags.values_list("pk", flat=True)))
    importer.run(lambda: sub.tags.clear())
    plan = importer.plan(loaded)
    it = plan.index[("conference.submission", sub.pk)]
    assert it.cls == "changed" and [d.field for d in it.diff] == ["tags"]
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")
    importer.apply(plan, importer.resolve(plan, d))
    assert importer.run(lambda: sorted(sub.tags.values_list("pk", flat=True))) == tags


def test_key_clash_with_another_tenant_gets_new_key_and_fk_m2m_follow(importer, loaded):
    """A track and a tag whose keys belong to another tenant in the target: never overwritten;
    with new keys, the submissions of the file point at the new rows (FK and m2m)."""
    m = _m()
    alias = importer.alias

    def prepare():
        other = other_event(alias)
        track = m.Track._base_manager.filter(event__slug="democon").order_by("pk").first()
        tag = m.Tag._base_manager.filter(event__slug="democon").order_by("pk").first()
        # The target's rows with those keys now belong to another tenant: delete democon's link to them
        # so they are unrelated rows.
        m.Submission._base_manager.filter(track=track).update(track=None)
        m.Submission.tags.through._base_manager.filter(tag=tag).delete()
        m.Track._base_manager.filter(pk=track.pk).update(event=other, name="Other track")
        m.Tag._base_manager.filter(pk=tag.pk).update(event=other)
        return track.pk, tag.pk, other.pk

    track_pk, tag_pk, other_pk = importer.run(prepare)
    plan = importer.plan(loaded)
    track_item = plan.index[("conference.track", track_pk)]
    tag_item = plan.index[("conference.tag", tag_pk)]
    assert track_item.cls == "key_clash" and track_item.other_tenant
    assert tag_item.cls == "key_clash" and tag_item.other_tenant
    from tenant_console.core.importer import allowed

    assert "overwrite" not in allowed(track_item, plan.infos["conference.track"])
    # Overwriting another tenant's row is refused even when asked for by a blanket default.
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite")
    res = importer.resolve(plan, d)
    assert track_item.ref in {u.item.ref for u in res.undecided}

    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")
    d.set_default("new_key", "key_clash")
    report = importer.apply(plan, importer.resolve(plan, d))
    new_track = int(report.new_keys[track_item.ref])
    new_tag = int(report.new_keys[tag_item.ref])
    assert new_track != track_pk and new_tag != tag_pk

    def check():
        assert m.Track._base_manager.get(pk=track_pk).event_id == other_pk  # untouched
        assert m.Track._base_manager.get(pk=new_track).event.slug == "democon"
        file_subs = [r.key for r in plan.export.rows["conference.submission"] if r.fields.get("track") == track_pk]
        assert file_subs
        assert set(m.Submission._base_manager.filter(pk__in=file_subs).values_list("track_id", flat=True)) == {
            new_track}
        tagged = [r.key for r in plan.export.rows["conference.submission"] if tag_pk in r.fields.get("tags", [])]
        assert tagged
        for pk in tagged:
            tags = set(m.Submission.tags.through._base_manager.filter(submission_id=pk).values_list("tag_id",
                                                                                                  flat=True))
            assert new_tag in tags and tag_pk not in tags
        assert not m.Submission.tags.through._base_manager.filter(tag_id=tag_pk).exists()

    importer.run(check)


def test_new_key_rewrites_generic_relations(importer, loaded):
    """A submission whose key is another tenant's row in the target: with a new key, the activity log
    entries (GenericForeignKey) and every FK to it follow."""
    m = _m()
    alias = importer.alias

    def prepare():
        other = other_event(alias)
        sub = m.Submission._base_manager.filter(event__slug="democon").order_by("pk").first()
        m.Submission._base_manager.filter(duplicate_of=sub).update(duplicate_of=None)
        # Remove democon's dependents of this submission and hand the row to another tenant.
        for model in (m.Review, m.Answer, m.SpeakerRole, m.TalkSlot, m.Resource):
            model._base_manager.filter(submission=sub).delete()
        m.ActivityLog._base_manager.filter(object_id=sub.pk).delete()
        m.Submission.tags.through._base_manager.filter(submission=sub).delete()
        m.Submission._base_manager.filter(pk=sub.pk).update(event=other, code="OTHER-1", title="Another talk")
        return sub.pk

    sub_pk = importer.run(prepare)
    plan = importer.plan(loaded)
    item = plan.index[("conference.submission", sub_pk)]
    assert item.cls == "key_clash" and item.other_tenant
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("new_key", "key_clash")
    d.set_default("overwrite", "changed")  # the duplicates lost their duplicate_of in the set-up
    report = importer.apply(plan, importer.resolve(plan, d))
    new = int(report.new_keys[item.ref])

    def check():
        logs = m.ActivityLog._base_manager.filter(object_id=new, event__slug="democon")
        assert logs.count() == 1
        assert logs.get().content_object.pk == new
        assert m.Submission._base_manager.get(pk=sub_pk).code == "OTHER-1"
        assert m.Review._base_manager.filter(submission_id=new).count() >= 2
        dupes = [r for r in plan.export.rows["conference.submission"] if r.fields.get("duplicate_of") == sub_pk]
        assert dupes
        assert set(m.Submission._base_manager.filter(pk__in=[r.key for r in dupes]).values_list(
            "duplicate_of_id", flat=True)) == {new}

    importer.run(check)


def test_unique_clash_use_existing_repoints_references(importer, loaded):
    m = _m()

    def prepare():
        tag = m.Tag._base_manager.filter(event__slug="democon").order_by("pk").first()
        links = list(m.Submission.tags.through._base_manager.filter(tag=tag).values_list("submission_id", flat=True))
        m.Submission.tags.through._base_manager.filter(tag=tag).delete()
        m.Tag._base_manager.filter(pk=tag.pk).delete()
        same = m.Tag._base_manager.create(event=tag.event, tag=tag.tag, color="#000000")
        return tag.pk, same.pk, links

    old_pk, existing_pk, linked = importer.run(prepare)
    plan = importer.plan(loaded)
    item = plan.index[("conference.tag", old_pk)]
    assert item.cls == "unique_clash" and not item.other_tenant
    assert item.target_pk == existing_pk
    assert "color" in [d.field for d in item.diff]
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")  # the submissions lost their link: changed m2m
    d.set_object(item.ref, "use_existing")
    importer.apply(plan, importer.resolve(plan, d))

    def check():
        assert not m.Tag._base_manager.filter(pk=old_pk).exists()
        assert m.Tag._base_manager.get(pk=existing_pk).color == "#000000"  # used, not overwritten
        for pk in linked:
            assert existing_pk in set(m.Submission.tags.through._base_manager.filter(submission_id=pk).values_list(
                "tag_id", flat=True))

    importer.run(check)


def test_unique_clash_overwrite_and_rename(importer, loaded):
    m = _m()

    def prepare():
        sub = m.Submission._base_manager.filter(event__slug="democon").order_by("-pk").first()
        m.Submission._base_manager.filter(duplicate_of=sub).update(duplicate_of=None)
        for model in (m.Review, m.Answer, m.SpeakerRole, m.TalkSlot, m.Resource):
            model._base_manager.filter(submission=sub).delete()
        m.ActivityLog._base_manager.filter(object_id=sub.pk).delete()
        m.Submission.tags.through._base_manager.filter(submission=sub).delete()
        old = sub.pk
        m.Submission._base_manager.filter(pk=old).delete()
        sub.pk = None
        sub.title = "Re-created by hand"
        sub.save()
        return old, sub.pk, sub.code

    old_pk, new_pk, code = importer.run(prepare)
    plan = importer.plan(loaded)
    item = plan.index[("conference.submission", old_pk)]
    assert item.cls == "unique_clash" and item.target_pk == new_pk and item.clash == ("code",)
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_object(item.ref, "rename")
    report = importer.apply(plan, importer.resolve(plan, d), dry_run=True)
    assert report.renamed[item.ref] == {"code": f"{code}-2"}
    d.set_object(item.ref, "overwrite")
    importer.apply(plan, importer.resolve(plan, d))

    def check():
        row = m.Submission._base_manager.get(pk=new_pk)
        assert row.title != "Re-created by hand" and row.code == code
        # The file's dependents of the old key now hang off the overwritten row.
        assert m.Review._base_manager.filter(submission_id=new_pk).count() >= 2
        assert not m.Submission._base_manager.filter(pk=old_pk).exists()

    importer.run(check)


def test_skip_lists_dependents_which_must_be_decided(importer, make_export):
    path = make_export(importer.source)
    plan = importer.plan(path)
    sub = plan.items["conference.submission"][0]
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_object(sub.ref, "skip")
    res = importer.resolve(plan, d)
    dependents = {u.item.label for u in res.undecided}
    assert {"conference.review", "conference.answer", "conference.speakerrole"} <= dependents
    assert all(u.reason.startswith("depends on") for u in res.undecided)
    d.set_default("skip", "dependent")
    res = importer.resolve(plan, d)
    assert res.complete
    duplicates = [r for r in plan.export.rows["conference.submission"] if r.fields.get("duplicate_of") == sub.key]
    assert duplicates  # a nullable FK to a skipped object still makes a dependent
    report = importer.apply(plan, res)
    m = _m()
    assert not importer.run(lambda: m.Submission._base_manager.filter(pk=sub.key).exists())
    assert not importer.run(lambda: m.ActivityLog._base_manager.filter(object_id=sub.key).exists())
    assert report.counts["conference.submission"]["skip"] == 1 + len(duplicates)


def test_restore_deleted_object_graph(importer, loaded):
    """Delete a submission with everything hanging off it; importing the export brings all back."""
    m = _m()
    before = table_state(importer.alias)

    def delete():
        sub = m.Submission._base_manager.filter(event__slug="democon", duplicate_of__isnull=True).exclude(
            duplicates__isnull=False).order_by("pk")[3]
        pk = sub.pk
        sub.delete()  # cascades: reviews, answers, roles, slots, resources, tag links, activity log
        return pk

    sub_pk = importer.run(delete)
    assert table_state(importer.alias) != before
    plan = importer.plan(loaded)
    totals = plan.totals()
    assert totals["new"] >= 6 and totals["changed"] == 0 and totals["key_clash"] == 0
    assert plan.index[("conference.submission", sub_pk)].cls == "new"
    d = Decisions()
    d.set_default("skip", "missing_ref")
    importer.apply(plan, importer.resolve(plan, d))
    assert table_state(importer.alias) == before


def test_target_changed_since_review_applies_nothing(importer, loaded):
    m = _m()
    sub = importer.run(lambda: m.Submission._base_manager.filter(event__slug="democon").order_by("pk").first())
    importer.run(lambda: m.Submission._base_manager.filter(pk=sub.pk).update(title="Edited"))
    plan = importer.plan(loaded)
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")
    res = importer.resolve(plan, d)
    importer.run(lambda: m.Submission._base_manager.filter(pk=sub.pk).update(title="Edited again"))
    before = table_state(importer.alias)
    with pytest.raises(TargetChanged, match=f"conference.submission {sub.pk}"):
        importer.apply(plan, res)
    assert table_state(importer.alias) == before


def test_a_unique_clash_inside_the_file_is_found_by_the_plan(importer, make_export, tmp_path):
    """Two incoming submissions with the same code (a clash inside the file): the plan names the second
    one as a duplicate, with its line and the first's, and it can only be skipped; the first imports."""
    from tenant_console.core.importer import allowed
    from tests.importer.exports import rewrite

    def edit(objs):
        subs = [o for o in objs if o["model"] == "conference.submission"]
        subs[1]["fields"]["code"] = subs[0]["fields"]["code"]
        return objs

    path = rewrite(make_export(importer.source), tmp_path / "dupe.jsonl.gz", edit)
    plan = importer.plan(path)
    dupes = [it for it in plan.all_items() if it.cls == "duplicate"]
    assert len(dupes) == 1, [it.detail for it in dupes]
    first = plan.items["conference.submission"][0]
    assert f"as line {first.row.line} " in dupes[0].detail and "code=" in dupes[0].detail
    assert allowed(dupes[0], plan.infos["conference.submission"]) == ("skip",)
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "duplicate")
    d.set_default("skip", "dependent")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert report.counts["conference.submission"]["skip"] == 1
