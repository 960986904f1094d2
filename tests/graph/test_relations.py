"""Every relation kind is enumerated with its kind, target and ownership."""

from __future__ import annotations

import pytest

from tenant_console.core.graph.relations import Kind, relation_named, relations_of


def _kinds(model) -> dict[str, tuple[Kind, str, bool]]:
    return {r.name: (r.kind, r.target_label, r.owning) for r in relations_of(model)}


def test_submission_relations(project) -> None:
    from conference.models import Submission

    rels = _kinds(Submission)
    assert rels["event"] == (Kind.FK, "conference.Event", False)
    assert rels["duplicate_of"] == (Kind.FK, "conference.Submission", False)
    assert rels["tags"][0] is Kind.M2M
    assert rels["speakers"][0] is Kind.M2M
    assert relation_named(Submission, "tags").auto_through
    assert not relation_named(Submission, "speakers").auto_through  # explicit through SpeakerRole
    assert rels["reviews"] == (Kind.REVERSE_FK, "conference.Review", True)  # CASCADE: belongs to it
    assert rels["duplicates"] == (Kind.REVERSE_FK, "conference.Submission", False)  # SET_NULL: does not
    assert rels["speaker_roles"] == (Kind.REVERSE_FK, "conference.SpeakerRole", True)
    assert rels["logged_actions"] == (Kind.GENERIC_RELATION, "conference.ActivityLog", True)
    # The auto-created m2m table is not a relation of its own.
    assert not any("submission_tags" in name for name in rels)
    # Forward relations come first.
    kinds = [r.kind.forward for r in relations_of(Submission)]
    assert kinds == sorted(kinds, reverse=True)


def test_inheritance_links(project) -> None:
    from conference.models import ChoiceQuestion, Question

    child = _kinds(ChoiceQuestion)
    assert child["question_ptr"] == (Kind.PARENT, "conference.Question", False)
    assert "event" not in child  # inherited fields belong to the parent row
    parent = _kinds(Question)
    assert parent["choicequestion"] == (Kind.CHILD, "conference.ChoiceQuestion", True)
    assert parent["answers"][0] is Kind.REVERSE_FK


def test_generic_and_shared(project) -> None:
    from conference.models import ActivityLog, Review
    from django.contrib.auth import get_user_model

    assert _kinds(ActivityLog)["content_object"][:2] == (Kind.GFK, "(any)")
    # A model without a GenericRelation still lists the generic FK that may point at it.
    assert _kinds(Review)["activitylog_content_object"][0] is Kind.GENERIC_REVERSE
    user = _kinds(get_user_model())
    assert user["submissions"][0] is Kind.REVERSE_M2M
    assert user["groups"][0] is Kind.M2M


def test_relation_named_unknown(project) -> None:
    from conference.models import Submission

    with pytest.raises(KeyError, match="known: duplicate_of"):
        relation_named(Submission, "nope")
