"""Scope discovery on demo_project, with no configuration, and with TENANT_CONSOLE overrides.

The expected table below is written from reading ``conference/models.py``, not
from discovery's output: every ScopedManager, its dimension and field path.
"""

from __future__ import annotations

import pytest
from conference import models as m
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from tenant_console.core.backends import DjangoScopesBackend, scoped_manager_paths
from tenant_console.core.config import parse_config
from tenant_console.core.discovery import discover
from tenant_console.core.errors import ConsoleError

EXPECTED_PATHS = {
    m.Track: "event",
    m.Tag: "event",
    m.Room: "event",
    m.SpeakerProfile: "event",
    m.Submission: "event",
    m.SpeakerRole: "submission__event",
    m.Resource: "submission__event",
    m.Review: "event",
    m.Question: "event",
    m.ChoiceQuestion: "event",
    m.Answer: "question__event",
    m.TalkSlot: "event",
    m.ActivityLog: "event",
}


def test_one_dimension_event_ending_at_the_event_model(project):
    registry = project.registry
    assert set(registry.dimensions) == {"event"}
    dim = registry.dimensions["event"]
    assert dim.model is m.Event
    assert dim.model_label == "conference.Event"
    assert isinstance(dim.backend, DjangoScopesBackend)
    assert registry.backends == [dim.backend]
    assert dim.implies == {}  # the organiser is shared, not a dimension
    assert project.warnings == []


def test_every_scoped_model_with_its_path(project):
    registry = project.registry
    assert {model: s.paths for model, s in registry.scoped.items()} == {
        model: {"event": path} for model, path in EXPECTED_PATHS.items()
    }
    for model, scope in registry.scoped.items():
        assert scope.dimensions == ("event",)
        assert scope.backend is registry.dimensions["event"].backend
        assert registry.is_scoped(model)


def test_shared_models_are_not_scoped(project):
    registry = project.registry
    shared = [m.Event, m.Organiser, get_user_model(), ContentType, m.Submission.tags.through,
              m.Organiser.members.through]
    for model in shared:
        assert not registry.is_scoped(model), model
    every = set(apps.get_models(include_auto_created=True))
    assert set(registry.scoped) == set(EXPECTED_PATHS)
    assert len(every - set(registry.scoped)) >= len(shared)


def test_paths_are_read_from_the_managers_themselves():
    """Independent of the registry: what the ScopedManager closure says, model by model."""
    for model, path in EXPECTED_PATHS.items():
        assert scoped_manager_paths(model._default_manager) == {"event": path}, model
    assert scoped_manager_paths(m.Organiser._default_manager) is None
    assert scoped_manager_paths(m.Event._default_manager) is None


def test_search_fields_and_label_are_guessed(project, session, event_pks):
    dim = project.registry.dimensions["event"]
    assert dim.search_fields[:2] == ("slug", "name")
    assert "settings" not in dim.search_fields  # a JSONField is no search column
    assert set(dim.label_fields()) >= {"pk", "slug", "name"}
    labels = session.run(lambda: {e.slug: dim.label(e) for e in m.Event.objects.all()}, scoped=False)
    assert labels["democon"] == "DemoCon 2026 (democon)"
    assert labels["pycon-nordic"] == "PyCon Nordic (pycon-nordic)"


def test_tenant_q_selects_one_tenant_and_is_none_for_shared_models(project):
    registry = project.registry
    assert registry.tenant_q(m.Answer, {"event": 7}) == Q(question__event=7)
    assert registry.tenant_q(m.SpeakerRole, {"event": 7}) == Q(submission__event=7)
    assert registry.tenant_q(m.Event, {"event": 7}) == Q(pk=7)
    assert registry.tenant_q(m.Organiser, {"event": 7}) is None
    assert registry.tenant_q(get_user_model(), {"event": 7}) is None


def test_inherited_scope_is_found_for_the_child_model(project):
    scope = project.registry.scope_of(m.ChoiceQuestion)
    assert scope is not None and scope.paths == {"event": "event"}
    assert project.registry.tenant_dimensions_of(m.Event) == ["event"]
    assert project.registry.tenant_dimensions_of(m.Submission) == []


# -- TENANT_CONSOLE overrides on the demo ------------------------------------------------------------
def test_overrides_replace_the_guesses(project):
    config = parse_config({"DIMENSIONS": {"event": {"search_fields": ["slug"], "label": "{name} [#{pk}]"}}})
    registry = discover(config)
    dim = registry.dimensions["event"]
    assert dim.search_fields == ("slug",)
    event = m.Event(pk=3, name="Demo", slug="demo")
    assert dim.label(event) == "Demo [#3]"
    assert set(registry.scoped) == set(EXPECTED_PATHS)  # scoping itself is unchanged


def test_override_naming_the_tenant_model_explicitly(project):
    registry = discover(parse_config({"DIMENSIONS": {"event": {"model": "conference.Event"}}}))
    assert registry.dimensions["event"].model is m.Event


@pytest.mark.parametrize("raw,message", [
    ({"DIMENSIONS": {"event": {"search_fields": ["titel"]}}}, "has no such field"),
    ({"DIMENSIONS": {"event": {"search_fields": ["organiser"]}}}, "relation"),
    ({"DIMENSIONS": {"event": {"label": "{nmae}"}}}, "nmae"),
    ({"DIMENSIONS": {"event": {"model": "conference.Evnt"}}}, "does not exist"),
    ({"DIMENSIONS": {"evnt": {"search_fields": ["slug"]}}}, "evnt"),
    ({"DIMENSIONS": {"event": {"serch_fields": ["slug"]}}}, "unknown key"),
    ({"AUDITLOG": "/tmp/x"}, "unknown key"),
    (["not", "a", "dict"], "must be a dict"),
])
def test_bad_overrides_are_one_clear_error(project, raw, message):
    with pytest.raises(ConsoleError, match=message) as info:
        discover(parse_config(raw))
    text = str(info.value)
    assert "TENANT_CONSOLE" in text
    assert "\n" not in text.strip()  # one paragraph
