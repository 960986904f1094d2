"""Paged access to one relation of one object (what the graph browser expands)."""

from __future__ import annotations

import pytest

from tenant_console.core.graph import Classification, related_page, relation_counts
from tenant_console.core.graph.objects import parse_object_spec, spec_of

pytestmark = pytest.mark.mariadb


def test_counts_and_keyset_pages(project, db_alias, planted) -> None:
    from conference import models as m

    sub = planted.submission
    counts = relation_counts(sub, db_alias)
    assert counts["reviews"] == m.Review._base_manager.using(db_alias).filter(submission=sub).count()
    assert counts["event"] == 1 and counts["duplicate_of"] == (1 if sub.duplicate_of_id else 0)
    seen, after = [], None
    while True:
        page = related_page(project.registry, sub, "reviews", db_alias, after_pk=after, limit=1,
                            reference={"event": sub.event_id}, with_total=True)
        assert page.total == counts["reviews"]
        seen += page.items
        after = page.next_after
        if after is None:
            break
    assert [i.pk for i in seen] == sorted(
        m.Review._base_manager.using(db_alias).filter(submission=sub).values_list("pk", flat=True))
    foreign = next(i for i in seen if i.pk == planted.pk)
    assert foreign.classification is Classification.OTHER and foreign.tenant == {"event": planted.event_id}
    speakers = related_page(project.registry, sub, "speakers", db_alias)
    assert speakers.items and all(i.classification is Classification.SHARED for i in speakers.items)


def test_generic_and_inheritance_pages(project, db_alias) -> None:
    from conference import models as m

    log = m.ActivityLog._base_manager.using(db_alias).order_by("pk").first()
    page = related_page(project.registry, log, "content_object", db_alias)
    assert [(i.model, i.pk) for i in page.items] == [("conference.submission", log.object_id)]
    sub = m.Submission._base_manager.using(db_alias).get(pk=log.object_id)
    assert log.pk in [i.pk for i in related_page(project.registry, sub, "logged_actions", db_alias).items]
    choice = m.ChoiceQuestion._base_manager.using(db_alias).order_by("pk").first()
    parent = related_page(project.registry, choice, "question_ptr", db_alias)
    assert [(i.model, i.pk) for i in parent.items] == [("conference.question", choice.pk)]
    question = m.Question._base_manager.using(db_alias).get(pk=choice.pk)
    child = related_page(project.registry, question, "choicequestion", db_alias)
    assert [i.model for i in child.items] == ["conference.choicequestion"]


def test_object_specs_round_trip(project, db_alias) -> None:
    from conference import models as m

    res = m.Resource._base_manager.using(db_alias).order_by("pk").first()
    model, pk = parse_object_spec(spec_of(res))
    assert model is m.Resource and pk == res.pk
