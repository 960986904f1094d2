"""Jumping to an object by its primary key or the project's own code (``:Submission CEPRNX``): the code
fields are found from the model alone, the lookup stays inside the scope (the one rule of
core/browse/access.py), and a miss or an ambiguous code is one clear message."""

from __future__ import annotations

import pytest

from tenant_console.core.browse.access import NotVisible, code_fields, find_object
from tenant_console.core.scope import ScopeState

pytestmark = pytest.mark.mariadb


@pytest.fixture
def democon(session, event_pks):
    return session.activate({"event": event_pks["democon"]})


def test_code_fields_are_found_generically():
    from conference.models import Event, Organiser, Review, SpeakerRole, Submission, Tag

    assert code_fields(Submission) == ["code"]  # unique by itself (pretalx Submission.code)
    assert code_fields(Tag) == ["tag"]  # unique together with its event only (pretix Order.code's shape)
    assert code_fields(Event) == ["slug"] and code_fields(Organiser) == ["slug"]
    assert code_fields(Review) == []  # nothing names a review but its pk
    assert code_fields(SpeakerRole) == []  # unique together, but of two foreign keys: no text to type


def test_secret_looking_fields_are_never_code_fields():
    from django.contrib.auth.models import User

    assert "password" not in code_fields(User)
    assert code_fields(User) == ["username"]


def test_find_by_pk_by_code_and_by_code_in_another_case(project, session, democon):
    from conference.models import Submission

    sub = session.run(lambda: Submission.objects.order_by("pk").first())
    registry = project.registry
    by_pk = session.run(find_object, registry, "conference.Submission", str(sub.pk), democon)
    assert (by_pk.label, by_pk.pk, by_pk.field) == ("conference.Submission", sub.pk, "pk")
    by_code = session.run(find_object, registry, "conference.Submission", sub.code, democon)
    assert (by_code.pk, by_code.field) == (sub.pk, "code")
    lower = session.run(find_object, registry, "conference.Submission", f"  {sub.code.lower()} ", democon)
    assert (lower.pk, lower.field) == (sub.pk, "code")
    tag = session.run(find_object, registry, "conference.Tag", "python", democon)
    assert tag.field == "tag"
    from conference.models import Tag

    assert session.run(lambda: Tag.objects.get(pk=tag.pk).event.slug) == "democon"


def test_another_tenants_code_is_refused_naming_the_owner(project, session, democon, event_pks):
    from conference.models import Submission

    other = session.run(lambda: Submission._base_manager.exclude(event_id=event_pks["democon"])
                        .select_related("event").order_by("pk").first())
    with pytest.raises(NotVisible) as err:
        session.run(find_object, project.registry, "conference.Submission", other.code, democon)
    message = str(err.value)
    assert "does not exist in the scope" in message and other.event.slug in message


def test_a_miss_and_an_ambiguous_code_are_clear_messages(project, session, democon, db_alias):
    with pytest.raises(NotVisible, match=r"There is no conference.Submission with primary key or code 'NOPE' "
                                         r"in the scope event=DemoCon"):
        session.run(find_object, project.registry, "conference.Submission", "NOPE", democon)
    with pytest.raises(NotVisible, match="it has no unique code field: give the primary key"):
        session.run(find_object, project.registry, "conference.Review", "great", democon)
    every = session.disable_scopes("test: a tag name in every event")
    with pytest.raises(NotVisible) as err:
        session.run(find_object, project.registry, "conference.Tag", "python", every)
    message = str(err.value)
    assert "'python' matches" in message and "conference.Tag objects by primary key or tag" in message
    assert "(tag)" in message and ":Tag " in message


def test_no_tenant_chosen_is_the_browse_message(project, session):
    from tenant_console.core.browse.queryset import NeedsTenant

    with pytest.raises(NeedsTenant):
        session.run(find_object, project.registry, "conference.Submission", "X", ScopeState())
