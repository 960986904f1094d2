"""Conditional and expression unique constraints (#12), on SQLite, PostgreSQL and MariaDB.

The demo models carry one of each kind: ``SpeakerRole.one_primary_speaker`` (``fields=["submission"],
condition=Q(is_primary=True)``, the shape of pretix's ``TaxRule.one_default_per_event``),
``Tag.unique_tag_per_event_ci`` (``Lower("tag"), "event"``: evaluated by the plan) and
``Submission.submission_code_ci`` (``Upper(Trim("code"))``: not evaluable, so the plan says so and the
database decides at the insert). The plan checks the first two on every database, MariaDB included,
where neither is created (no partial or expression indexes) but the project's validation enforces them.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Upper
from django.test.utils import isolate_apps

from tenant_console.core.importer import ApplyFailed, Decisions, allowed
from tenant_console.core.importer.constraints import condition_holds, condition_text
from tenant_console.core.importer.meta import model_info
from tenant_console.core.readonly import read_only
from tests.importer.conftest import table_state
from tests.importer.exports import rewrite

pytestmark = pytest.mark.mariadb


def _m():
    from conference import models as m

    return m


def _replace_first_tag(m, *values):
    """In the target: remove democon's first tag (and its links) and create tags with ``values`` made from
    its name (``str.format``: ``{tag}`` the name, ``{TAG}`` upper-cased), so the incoming tag clashes on
    lower(tag). Returns (its pk, its name)."""
    tag = m.Tag._base_manager.filter(event__slug="democon").order_by("pk").first()
    m.Submission.tags.through._base_manager.filter(tag=tag).delete()
    m.Tag._base_manager.filter(pk=tag.pk).delete()
    for value in values:
        m.Tag._base_manager.create(event=tag.event, tag=value.format(tag=tag.tag, TAG=tag.tag.upper()))
    return tag.pk, tag.tag


@pytest.fixture(scope="module")
def shapes():
    """pretix's shapes, in an isolated app (no table)."""
    with isolate_apps("conference"):
        class Shape(models.Model):
            organizer = models.ForeignKey(_m().Organiser, on_delete=models.CASCADE)
            secret = models.CharField(max_length=20)
            mode = models.CharField(max_length=20)
            default = models.BooleanField(default=False)
            points = models.IntegerField(null=True)

            class Meta:
                app_label = "conference"
                managed = False
                constraints = [
                    # OrderPosition: positional strings are expressions (F), but plain columns: a plain set
                    models.UniqueConstraint("organizer", "secret", name="shape_organizer_secret"),
                    # KnownDomain
                    models.UniqueConstraint(fields=["organizer"], condition=Q(mode="organizer"), name="shape_domain"),
                    models.UniqueConstraint(Upper("secret"), "organizer", condition=Q(default=True),
                                            name="shape_upper_default"),
                    models.UniqueConstraint(Lower("secret") + Value("x"), name="shape_arith"),
                ]

        yield Shape


def test_rules_are_read_from_the_constraints(shapes):
    info = model_info(shapes)
    assert ("organizer_id", "secret") in info.unique_sets
    rules = {r.name: r for r in info.unique_rules}
    assert set(rules) == {"shape_domain", "shape_upper_default", "shape_arith"}
    assert rules["shape_domain"].names == ("organizer_id",) and rules["shape_domain"].functions == (None,)
    assert rules["shape_upper_default"].parts() == "upper(secret), organizer_id"
    assert not rules["shape_arith"].checkable and "Lower" in rules["shape_arith"].expression
    assert condition_text(rules["shape_domain"].condition) == "mode='organizer'"
    either = ~Q(mode="a") | Q(default=True, points=None)
    assert condition_text(either) == "not (mode='a') or (default=True and points=None)"
    m = _m()
    demo = {r.name: r for model in (m.Tag, m.SpeakerRole, m.Submission) for r in model_info(model).unique_rules}
    assert demo["one_primary_speaker"].condition == Q(is_primary=True)
    assert demo["unique_tag_per_event_ci"].parts() == "lower(tag), event_id"
    assert not demo["submission_code_ci"].checkable


def test_a_condition_binds_only_rows_it_is_true_for(db_alias, shapes):
    """Unknown (a NULL compared) leaves the row out, as a partial index's WHERE does; what Python cannot
    decide, the database does (inside the plan's read-only block)."""
    with read_only(db_alias):
        assert condition_holds(shapes, Q(mode="organizer"), {"mode": "organizer"}, db_alias) is True
        assert condition_holds(shapes, Q(mode="organizer"), {"mode": "event"}, db_alias) is False
        assert condition_holds(shapes, Q(points__gt=1), {"points": None}, db_alias) is False
        assert condition_holds(shapes, Q(points__lte=Value(5) + Value(5)), {"points": 10}, db_alias) is True
        assert condition_holds(shapes, Q(points__lte=Value(5) + Value(5)), {"points": 11}, db_alias) is False
        assert condition_holds(shapes, Q(points__lte=F("points") - 1), {"points": 3}, db_alias) is False
    connections[db_alias].close()


def test_conditional_clash_with_the_target(importer, loaded):
    """The target's submission has another primary speaker: the incoming primary role clashes (a boolean and
    a foreign key: no rename); an incoming non-primary role of a submission does not."""
    m = _m()

    def prepare():
        roles = m.SpeakerRole._base_manager.filter(submission__event__slug="democon")
        primary = roles.filter(is_primary=True).order_by("pk").first()
        taken = set(roles.filter(submission_id=primary.submission_id).values_list("user_id", flat=True))
        other_user = get_user_model()._base_manager.exclude(pk__in=taken).order_by("pk").first()
        m.SpeakerRole._base_manager.filter(pk=primary.pk).delete()
        holder = m.SpeakerRole._base_manager.create(submission_id=primary.submission_id, user=other_user,
                                                    is_primary=True, position=9)
        plain = roles.filter(is_primary=False).order_by("pk").first()
        m.SpeakerRole._base_manager.filter(pk=plain.pk).delete()
        return primary.pk, holder.pk, plain.pk

    primary_pk, holder_pk, plain_pk = importer.run(prepare)
    plan = importer.plan(loaded)
    item = plan.index[("conference.speakerrole", primary_pk)]
    assert item.cls == "unique_clash", item.detail
    assert item.target_pk == holder_pk and item.clash == ("submission_id",)
    assert "one_primary_speaker" in item.detail and "is_primary=True" in item.detail
    assert allowed(item, plan.infos["conference.speakerrole"]) == ("use_existing", "overwrite", "skip")
    assert plan.index[("conference.speakerrole", plain_pk)].cls == "new"
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_object(item.ref, "skip")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert report.counts["conference.speakerrole"]["skip"] == 1

    def check():
        assert m.SpeakerRole._base_manager.filter(pk=plain_pk).exists()
        assert m.SpeakerRole._base_manager.get(pk=holder_pk).is_primary
        assert not m.SpeakerRole._base_manager.filter(pk=primary_pk).exists()

    importer.run(check)


def test_conditional_clash_inside_the_file(importer, make_export, tmp_path):
    """Two primary roles of one submission in the file: the second is a duplicate naming the constraint;
    two non-primary roles of another submission are not (the condition leaves them out)."""

    def edit(objs):
        by_sub: dict = {}
        for o in objs:
            if o["model"] == "conference.speakerrole":
                by_sub.setdefault(o["fields"]["submission"], []).append(o)
        pairs = [g for g in by_sub.values() if len(g) == 2]
        for o in pairs[0]:
            o["fields"]["is_primary"] = True
        for o in pairs[1]:
            o["fields"]["is_primary"] = False
        return objs

    path = rewrite(make_export(importer.source), tmp_path / "two-primaries.jsonl.gz", edit)
    plan = importer.plan(path)
    dupes = [it for it in plan.all_items() if it.cls == "duplicate"]
    assert [it.label for it in dupes] == ["conference.speakerrole"], [it.detail for it in dupes]
    assert "one_primary_speaker" in dupes[0].detail and "is_primary=True" in dupes[0].detail
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "duplicate")
    d.set_default("skip", "dependent")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert report.counts["conference.speakerrole"]["skip"] == 1


def test_expression_clash_with_the_target_is_found_and_renamed(importer, loaded):
    """The target holds "PYTHON" in the event; the incoming "python" clashes on lower(tag): a rename writes
    "python-2", and the database accepts it."""
    m = _m()

    def prepare():
        tag = m.Tag._base_manager.filter(event__slug="democon").order_by("pk").first()
        m.Submission.tags.through._base_manager.filter(tag=tag).delete()
        m.Tag._base_manager.filter(pk=tag.pk).delete()
        upper = m.Tag._base_manager.create(event=tag.event, tag=tag.tag.upper())
        return tag.pk, upper.pk, tag.tag

    old_pk, upper_pk, name = importer.run(prepare)
    plan = importer.plan(loaded)
    item = plan.index[("conference.tag", old_pk)]
    assert item.cls == "unique_clash" and item.target_pk == upper_pk, item.detail
    if plan.vendor != "mysql":  # MariaDB's collation finds it by the plain set already: one clash, not two
        assert "unique_tag_per_event_ci over lower(tag), event_id" in item.detail
    assert len(item.clash_sets) == 1
    assert "rename" in allowed(item, plan.infos["conference.tag"])
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")  # the submissions lost their link to the tag
    d.set_object(item.ref, "rename")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert report.renamed[item.ref] == {"tag": f"{name}-2"}

    def check():
        tags = set(m.Tag._base_manager.filter(event__slug="democon").values_list("tag", flat=True))
        assert {name.upper(), f"{name}-2"} <= tags and name not in tags

    importer.run(check)


def test_a_rename_under_an_expression_constraint_avoids_the_targets_values_in_any_case(importer, loaded):
    """The target holds "PYTHON" and "PYTHON-2" in the event: the incoming "python" renamed must not become
    "python-2", which lower(tag) makes the same as "PYTHON-2" (the database would refuse the whole import)."""
    m = _m()

    old_pk, name = importer.run(lambda: _replace_first_tag(m, "{TAG}", "{TAG}-2"))
    plan = importer.plan(loaded)
    item = plan.index[("conference.tag", old_pk)]
    assert item.cls == "unique_clash", item.detail
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")
    d.set_object(item.ref, "rename")
    report = importer.apply(plan, importer.resolve(plan, d))
    new = report.renamed[item.ref]["tag"]
    assert new.lower() not in {name.lower(), f"{name}-2".lower()}

    def check():
        tags = [t.lower() for t in m.Tag._base_manager.filter(event__slug="democon").values_list("tag", flat=True)]
        assert new.lower() in tags and len(tags) == len(set(tags))

    importer.run(check)


def test_a_rename_past_a_long_run_of_numbered_values_takes_a_random_suffix(importer, loaded):
    """The target already holds "python", "python-2" ... "python-21" (a tenant imported again and again):
    the rename stops counting after 20 numbers and takes a random suffix, in a few queries, not thousands."""
    import re

    from tenant_console.core.importer.apply import SEQUENTIAL_ROUNDS

    m = _m()

    numbered = [f"{{tag}}-{n}" for n in range(2, SEQUENTIAL_ROUNDS + 2)]
    old_pk, name = importer.run(lambda: _replace_first_tag(m, "{TAG}", *numbered))
    plan = importer.plan(loaded)
    item = plan.index[("conference.tag", old_pk)]
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")
    d.set_object(item.ref, "rename")
    report = importer.apply(plan, importer.resolve(plan, d))
    new = report.renamed[item.ref]["tag"]
    assert re.fullmatch(re.escape(name) + "-[0-9a-f]{6}", new), new

    def check():
        tags = [t.lower() for t in m.Tag._base_manager.filter(event__slug="democon").values_list("tag", flat=True)]
        assert new.lower() in tags and len(tags) == len(set(tags))

    importer.run(check)


@pytest.mark.parametrize("max_length", [None, 1, 2, 3, 6, 7, 8, 16, 50])
def test_a_rename_candidate_never_exceeds_the_field(max_length):
    """Numbered and random suffixes are cut to the room the field leaves; a suffix that cannot fit gives no
    candidate (the rename then ends with "No free value was found"), never a value longer than the field."""
    from tenant_console.core.importer.apply import _suffixed, random_suffix

    for value in ("", "A", "ABC123", "x" * 60):
        for n in (2, 21, random_suffix(max_length)):
            got = _suffixed(value, n, max_length)
            if got is None:
                assert max_length is not None and (n == "" or len(f"-{n}") > max_length)
                continue
            assert got.endswith(f"-{n}") and (max_length is None or len(got) <= max_length), (value, n, got)
            assert value.startswith(got[: -len(f"-{n}")])
    suffix = random_suffix(max_length)
    assert len(suffix) == (6 if max_length is None else max(0, min(6, max_length - 1)))
    assert _suffixed("ABC123", "a1b2c3", 6) is None  # 7 characters: skipped, not cut to 12
    assert len(_suffixed("ABC123", random_suffix(6), 6) or "") == 6


def test_a_rename_that_finds_no_free_value_fails_and_writes_nothing(importer, loaded, monkeypatch):
    """With the search cut to one round (the target holds "name-2"), the rename has no value left: the
    import stops with one paragraph naming the model and field, and the target is as it was."""
    from tenant_console.core.importer import apply as apply_module
    from tenant_console.core.importer.errors import ApplyFailed

    monkeypatch.setattr(apply_module, "SEQUENTIAL_ROUNDS", 1)
    monkeypatch.setattr(apply_module, "RANDOM_ROUNDS", 0)
    m = _m()

    old_pk, _name = importer.run(lambda: _replace_first_tag(m, "{TAG}", "{tag}-2"))
    before = importer.run(lambda: m.Tag._base_manager.count())
    plan = importer.plan(loaded)
    item = plan.index[("conference.tag", old_pk)]
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("overwrite", "changed")
    d.set_object(item.ref, "rename")
    with pytest.raises(ApplyFailed, match=r"No free value was found to rename 1 row\(s\) of conference.tag "
                                          r"\(field 'tag'.*Nothing was written"):
        importer.apply(plan, importer.resolve(plan, d))
    assert importer.run(lambda: m.Tag._base_manager.count()) == before


def test_expression_clash_inside_the_file(importer, make_export, tmp_path):
    def edit(objs):
        tags = [o for o in objs if o["model"] == "conference.tag"]
        tags[1]["fields"]["tag"] = tags[0]["fields"]["tag"].upper()
        return objs

    path = rewrite(make_export(importer.source), tmp_path / "tag-case.jsonl.gz", edit)
    plan = importer.plan(path)
    dupes = [it for it in plan.all_items() if it.cls == "duplicate"]
    assert [it.label for it in dupes] == ["conference.tag"], [it.detail for it in dupes]
    if plan.vendor != "mysql":
        assert "unique_tag_per_event_ci" in dupes[0].detail


def test_an_expression_the_plan_cannot_evaluate_is_named_and_a_refusal_writes_nothing(importer, make_export,
                                                                                     tmp_path):
    """Upper(Trim(code)): the plan says it was not checked; the database refuses " zztop1" beside "ZZTOP1" at
    the insert (on SQLite and PostgreSQL; MariaDB cannot create the constraint and takes the row), and the
    import fails with one paragraph, having written nothing."""
    import datetime as dt

    m = _m()

    def edit(objs):
        next(o for o in objs if o["model"] == "conference.submission")["fields"]["code"] = "ZZTOP1"
        return objs

    path = rewrite(make_export(importer.source), tmp_path / "zztop.jsonl.gz", edit)

    def prepare():
        # keys the file does not hold, so that nothing but the code clashes
        other = m.Event._base_manager.create(pk=990001, slug="other", name="Other", date_from=dt.date(2026, 1, 1),
                                             date_to=dt.date(2026, 1, 2))
        m.Submission._base_manager.create(pk=990001, event=other, code=" zztop1", title="Spaced",
                                          created=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))

    importer.run(prepare)
    plan = importer.plan(path)
    item = next(it for it in plan.items["conference.submission"] if it.row.fields["code"] == "ZZTOP1")
    assert item.cls == "new"
    assert [line for line in plan.unchecked if "submission_code_ci" in line]
    assert plan.as_dict(conflicts=False)["unchecked_constraints"] == plan.unchecked
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "dependent")
    res = importer.resolve(plan, d)
    assert res.complete, [u.reason for u in res.undecided]
    if plan.vendor == "mysql":
        importer.apply(plan, res)
        return
    before = table_state(importer.alias)
    with pytest.raises(ApplyFailed) as failed:
        importer.apply(plan, res)
    text = str(failed.value)
    assert "nothing was written" in text and "could not check" in text and "submission_code_ci" in text
    assert "\n" not in text
    assert table_state(importer.alias) == before
