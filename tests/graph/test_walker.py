"""Correctness of the walker on the seeded demo data, on SQLite and PostgreSQL.

Every expectation is checked against the database itself (through base
managers), not against numbers copied from a run.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.graph import Classification, Edge, WalkRules, walk
from tenant_console.core.graph.relations import model_key

pytestmark = pytest.mark.mariadb


def _base(model, alias):
    return model._base_manager.using(alias)


def _pks(result, model) -> set:
    return {pk for (label, pk) in result.nodes if label == model_key(model)}


def test_submission_closure_has_what_belongs_and_what_it_needs(project, db_alias, planted) -> None:
    from conference import models as m

    sub = planted.submission  # a pycon-nordic talk with the planted foreign review
    result = walk(project.registry, [sub], alias=db_alias)
    # Belongs to it: every owning reverse relation, complete.
    assert _pks(result, m.Review) == set(_base(m.Review, db_alias).filter(submission=sub).values_list("pk", flat=True))
    assert _pks(result, m.Answer) == set(_base(m.Answer, db_alias).filter(submission=sub).values_list("pk", flat=True))
    assert _pks(result, m.SpeakerRole) == set(
        _base(m.SpeakerRole, db_alias).filter(submission=sub).values_list("pk", flat=True))
    assert _pks(result, m.Resource) == set(
        _base(m.Resource, db_alias).filter(submission=sub).values_list("pk", flat=True))
    ct = ContentType.objects.db_manager(db_alias).get_for_model(m.Submission)
    assert _pks(result, m.ActivityLog) == set(
        _base(m.ActivityLog, db_alias).filter(content_type=ct, object_id=sub.pk).values_list("pk", flat=True))
    # Needs: forward FKs and m2m.
    assert (model_key(m.Event), sub.event_id) in result.nodes
    tags = set(_base(m.Submission.tags.through, db_alias).filter(submission=sub).values_list("tag_id", flat=True))
    assert _pks(result, m.Tag) == tags
    for tag in tags:
        assert Edge((model_key(m.Submission), sub.pk), "tags", (model_key(m.Tag), tag)) in result.edges
    # Not pulled in: other talks of the same track or event (needed objects are not expanded backwards).
    assert _pks(result, m.Submission) == {sub.pk}
    # The explicit through model leads to the speakers.
    for role in _base(m.SpeakerRole, db_alias).filter(submission=sub):
        assert Edge((model_key(m.SpeakerRole), role.pk), "user", ("auth.user", role.user_id)) in result.edges
    # Classification relative to the root's tenant: the planted review is another tenant's.
    assert result.reference == {"event": sub.event_id}
    review = result.nodes[(model_key(m.Review), planted.pk)]
    assert review.classification is Classification.OTHER
    assert review.tenant == {"event": planted.event_id}
    assert result.nodes[("auth.user", planted.user_id)].classification is Classification.SHARED
    cross = [c for c in result.cross_tenant if c.edge.target == (model_key(m.Review), planted.pk)]
    assert len(cross) == 1 and cross[0].dimensions == ("event",)
    assert cross[0].source_tenant == {"event": sub.event_id}
    assert cross[0].target_tenant == {"event": planted.event_id}
    # Not walked into: the foreign review's own event is not in the closure.
    assert (model_key(m.Event), planted.event_id) not in result.nodes
    assert result.queries > 0 and not result.missing


def test_planted_reference_from_the_review_side(project, db_alias, planted) -> None:
    from conference import models as m

    result = walk(project.registry, [planted], alias=db_alias)
    target = (model_key(m.Submission), planted.submission_id)
    assert result.nodes[target].classification is Classification.OTHER
    assert [c.edge for c in result.cross_tenant] == [Edge((model_key(m.Review), planted.pk), "submission", target)]
    # Other tenants are not walked into by default, and are with enter_other_tenants.
    assert (model_key(m.Event), planted.submission.event_id) not in result.nodes
    deeper = walk(project.registry, [planted], WalkRules(enter_other_tenants=True), alias=db_alias)
    assert (model_key(m.Event), planted.submission.event_id) in deeper.nodes


def test_reference_tenant_can_be_given(project, db_alias, planted) -> None:
    from conference import models as m

    result = walk(project.registry, [planted.submission], alias=db_alias, tenant={"event": planted.event_id})
    root = result.nodes[(model_key(m.Submission), planted.submission_id)]
    assert root.classification is Classification.OTHER
    assert result.nodes[(model_key(m.Review), planted.pk)].classification is Classification.TENANT


def test_cycles_through_duplicate_of(project, db_alias) -> None:
    from conference import models as m

    dupe = _base(m.Submission, db_alias).filter(duplicate_of__isnull=False).order_by("pk").first()
    original = dupe.duplicate_of_id
    result = walk(project.registry, [dupe], alias=db_alias)
    assert Edge((model_key(m.Submission), dupe.pk), "duplicate_of", (model_key(m.Submission), original)) in result.edges
    # The original is needed, not owned: its own reviews are not part of the duplicate's closure.
    original_reviews = set(_base(m.Review, db_alias).filter(submission_id=original).values_list("pk", flat=True))
    assert not original_reviews & _pks(result, m.Review)
    # Following every reverse relation walks the whole duplicate cluster and still terminates.
    everything = walk(project.registry, [(m.Submission, original)], WalkRules(reverse="all"), alias=db_alias)
    cluster = set(_base(m.Submission, db_alias).filter(duplicate_of_id=original).values_list("pk", flat=True))
    assert cluster | {original} <= _pks(everything, m.Submission)
    for pk in cluster:
        edge = Edge((model_key(m.Submission), original), "duplicates", (model_key(m.Submission), pk))
        assert edge in everything.edges


def test_null_fks_are_normal(project, db_alias) -> None:
    from conference import models as m

    slot = _base(m.TalkSlot, db_alias).filter(submission__isnull=True).order_by("pk").first()
    result = walk(project.registry, [slot], alias=db_alias)
    assert not result.missing
    assert {label for label, _ in result.nodes} >= {"conference.talkslot", "conference.event", "conference.room"}
    assert not any(e.relation == "submission" for e in result.edges)


def test_generic_foreign_key_and_generic_relation(project, db_alias) -> None:
    from conference import models as m

    log = _base(m.ActivityLog, db_alias).order_by("pk").first()
    result = walk(project.registry, [log], alias=db_alias)
    target = (model_key(m.Submission), log.object_id)
    assert Edge((model_key(m.ActivityLog), log.pk), "content_object", target) in result.edges
    assert result.nodes[("contenttypes.contenttype", log.content_type_id)].classification is Classification.SHARED
    back = walk(project.registry, [(m.Submission, log.object_id)], alias=db_alias)
    assert Edge(target, "logged_actions", (model_key(m.ActivityLog), log.pk)) in back.edges


def test_multi_table_inheritance(project, db_alias) -> None:
    from conference import models as m

    choice = _base(m.ChoiceQuestion, db_alias).order_by("pk").first()
    result = walk(project.registry, [choice], alias=db_alias)
    parent = (model_key(m.Question), choice.pk)
    assert Edge((model_key(m.ChoiceQuestion), choice.pk), "question_ptr", parent) in result.edges
    assert (model_key(m.Event), choice.event_id) in result.nodes  # reached through the parent row
    from_parent = walk(project.registry, [(m.Question, choice.pk)], alias=db_alias)
    assert Edge(parent, "choicequestion", (model_key(m.ChoiceQuestion), choice.pk)) in from_parent.edges


def test_uuid_primary_key(project, db_alias) -> None:
    from conference import models as m

    res = _base(m.Resource, db_alias).order_by("pk").first()
    result = walk(project.registry, [("conference.Resource", str(res.pk))], alias=db_alias)
    assert result.roots == [(model_key(m.Resource), res.pk)]
    assert Edge((model_key(m.Resource), res.pk), "submission", (model_key(m.Submission), res.submission_id)) \
        in result.edges
    assert result.as_dict()["roots"] == [f"conference.resource:{res.pk}"]


def test_tenant_model_is_not_expanded_backwards_unless_asked(project, db_alias, event_pks) -> None:
    from conference import models as m

    event = _base(m.Event, db_alias).get(slug="democon")
    plain = walk(project.registry, [event], alias=db_alias)
    assert set(plain.counts()) <= {"conference.event", "conference.organiser", "auth.user"}
    whole = walk(project.registry, [event], WalkRules(from_tenant=True), alias=db_alias)
    for model in (m.Submission, m.Review, m.Track, m.Room, m.TalkSlot, m.SpeakerProfile, m.ActivityLog):
        in_db = set(_base(model, db_alias).filter(event=event).values_list("pk", flat=True))
        assert in_db <= _pks(whole, model), model
    answers = set(_base(m.Answer, db_alias).filter(question__event=event).values_list("pk", flat=True))
    assert answers == _pks(whole, m.Answer)
    # Exactly one reference leaves the tenant: the planted review.
    assert len(whole.cross_tenant) == 1
    assert whole.cross_tenant[0].edge.relation == "submission"
    assert whole.cross_tenant[0].target_tenant == {"event": event_pks["pycon-nordic"]}


def test_depth_exclude_and_stop_at(project, db_alias, planted) -> None:
    from conference import models as m

    sub = planted.submission
    one = walk(project.registry, [sub], WalkRules(depth=1), alias=db_alias)
    assert one.levels == 1 and one.unexpanded > 0
    assert max(n.depth for n in one.nodes.values()) == 1
    assert "conference.question" not in one.counts()  # two steps away (answer -> question)
    zero = walk(project.registry, [sub], WalkRules(depth=0), alias=db_alias)
    assert list(zero.nodes) == [(model_key(m.Submission), sub.pk)]
    no_users = walk(project.registry, [sub], WalkRules.parse(exclude=["auth.User"]), alias=db_alias)
    assert "auth.user" not in no_users.counts()
    stopped = walk(project.registry, [sub], WalkRules.parse(stop_at=["conference.Submission.reviews"]),
                   alias=db_alias)
    assert "conference.review" not in stopped.counts()
    with pytest.raises(ConsoleError, match=r"Did you mean 'conference\.Submission'"):
        WalkRules.parse(exclude=["conference.Submision"])
    with pytest.raises(ConsoleError, match="has no relation 'review'"):
        WalkRules.parse(stop_at=["conference.Submission.review"])


def test_several_roots_and_missing_root(project, db_alias) -> None:
    from conference import models as m

    subs = list(_base(m.Submission, db_alias).order_by("pk")[:3])
    result = walk(project.registry, subs, alias=db_alias)
    assert result.roots == [(model_key(m.Submission), s.pk) for s in subs]
    assert all(result.nodes[k].root for k in result.roots)
    with pytest.raises(ConsoleError, match=r"No such object: conference\.Submission\.999999"):
        walk(project.registry, [(m.Submission, 999999)], alias=db_alias)


def test_progress_and_cancel(project, db_alias, planted) -> None:
    seen = []
    result = walk(project.registry, [planted.submission], alias=db_alias, progress=seen.append)
    assert len(seen) == result.queries and seen[-1].queries == result.queries

    def stop(p) -> None:
        if p.queries >= 3:
            raise Cancelled("stopped by the test")

    with pytest.raises(Cancelled):
        walk(project.registry, [planted.submission], alias=db_alias, progress=stop)


def test_walk_in_a_read_only_session(project, session, planted) -> None:
    """The walk runs where the UI and CLI run it: on a session thread, inside the read-only layer."""
    result = session.run(walk, project.registry, [("conference.Submission", planted.submission_id)],
                         None, session.alias, scoped=False)
    assert len(result.cross_tenant) == 1
    assert result.as_dict()["counts"]["conference.review"] >= 1


def test_chunking_gives_the_same_graph(project, db_alias, monkeypatch) -> None:
    """Frontiers larger than one IN list are split into chunks; the graph is the same."""
    from conference import models as m

    from tenant_console.core.graph import walker

    event = _base(m.Event, db_alias).get(slug="opsfest")
    whole = walk(project.registry, [event], WalkRules(from_tenant=True), alias=db_alias)
    monkeypatch.setattr(walker, "batch_size", lambda alias, n: 7)
    chunked = walk(project.registry, [event], WalkRules(from_tenant=True), alias=db_alias)
    assert chunked.nodes.keys() == whole.nodes.keys()
    assert chunked.edges == whole.edges
    assert chunked.queries > whole.queries


def test_batch_size_follows_the_backend(db_alias) -> None:
    from django.db import connections

    from tenant_console.core.graph.walker import batch_size
    from tenant_console.core.tenancy.rows import MAX_IN

    limit = connections[db_alias].features.max_query_params
    size = batch_size(db_alias, 100_000)
    assert size == (min(MAX_IN, limit - 20) if limit else MAX_IN)
    assert batch_size(db_alias, 7) == 7  # never more than needed


def test_missing_targets_are_reported_not_fatal(project, target_alias) -> None:
    import datetime as dt

    from conference import models as m
    from conference.seeding import seed

    seed(target_alias, events=1, submissions=2)
    event = _base(m.Event, target_alias).get()
    ct = ContentType.objects.db_manager(target_alias).get_for_model(m.Submission)
    log = _base(m.ActivityLog, target_alias).create(event=event, content_type=ct, object_id=987654,
                                                    action_type="x", timestamp=dt.datetime.now(dt.timezone.utc))
    result = walk(project.registry, [log], alias=target_alias)
    assert [(mt.source, mt.relation, mt.target_model, mt.value) for mt in result.missing] == [
        ((model_key(m.ActivityLog), log.pk), "content_object", "conference.submission", 987654)]
    assert result.as_dict()["missing_targets"][0]["to_model"] == "conference.submission"


def test_reverse_modes_shared_models_and_node_limit(project, db_alias, planted) -> None:
    from conference import models as m
    from django.contrib.auth import get_user_model

    sub = planted.submission
    forward_only = walk(project.registry, [sub], WalkRules(reverse="none"), alias=db_alias)
    assert "conference.review" not in forward_only.counts()
    assert "conference.event" in forward_only.counts()
    user = get_user_model()._base_manager.using(db_alias).get(pk=planted.user_id)
    plain = walk(project.registry, [user], alias=db_alias)
    assert set(plain.counts()) == {"auth.user"}  # a shared root: no reverse relations
    assert plain.reference == {}
    owned = walk(project.registry, [user], WalkRules(from_shared=True), alias=db_alias)
    profiles = set(_base(m.SpeakerProfile, db_alias).filter(user=user).values_list("pk", flat=True))
    assert profiles and profiles <= _pks(owned, m.SpeakerProfile)
    # Relative to no tenant: scoped rows are "scoped", and rows of different events are still cross-tenant
    # only where an edge joins two tenants.
    assert {n.classification for n in owned.nodes.values()} <= {Classification.SCOPED, Classification.SHARED}
    capped = walk(project.registry, [sub], WalkRules(max_nodes=3), alias=db_alias)
    assert capped.truncated and capped.unexpanded > 0
