"""The TENANT_CONSOLE setting: parsing, validation against the models, and the custom backend contract.

In-process on the demo project's models (Django stays configured with
``tests.settings``): :func:`discover` takes the parsed setting as an argument,
so each test hands it a different setting without reconfiguring Django.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest

from tenant_console.core.backends import CallableBackend
from tenant_console.core.config import parse_config
from tenant_console.core.discovery import discover, fill_implied
from tenant_console.core.errors import ConsoleError, ScopeSelectionError

# -- callables named by the settings below (imported by dotted path) ---------------------------

current_organiser: ContextVar[Any] = ContextVar("test_current_organiser", default=None)


@contextlib.contextmanager
def activate_organiser(organiser: Any) -> Iterator[None]:
    token = current_organiser.set(organiser.pk)
    try:
        yield
    finally:
        current_organiser.reset(token)


@contextlib.contextmanager
def all_organisers() -> Iterator[None]:
    token = current_organiser.set("ALL")
    try:
        yield
    finally:
        current_organiser.reset(token)


def activate_returns_nothing(organiser: Any) -> None:
    return None


def activate_without_arguments() -> None:
    return None


NOT_CALLABLE = 42
HERE = __name__


def organiser_backend(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "model": "conference.Organiser",
        "activate": f"{HERE}.activate_organiser",
        "disable": f"{HERE}.all_organisers",
        "scoped_models": {"conference.Event": "organiser"},
    }
    spec.update(overrides)
    return {"DIMENSIONS": {"organiser": spec}}


def error_of(raw: Any, *, discover_too: bool = False) -> str:
    with pytest.raises(ConsoleError) as info:
        config = parse_config(raw)
        if discover_too:
            discover(config)
    message = str(info.value)
    assert "\n" not in message  # one paragraph
    return message


# -- parsing -------------------------------------------------------------------------------------


def test_empty_setting_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    for raw in (None, {}):
        config = parse_config(raw)
        assert config.dimensions == {}
        assert config.state_dir == tmp_path / "tenant-console"
        assert config.audit_log == tmp_path / "tenant-console" / "audit.jsonl"


def test_paths_and_audit_log(tmp_path):
    config = parse_config({"STATE_DIR": "~/tc-state", "AUDIT_LOG": None})
    assert config.state_dir == Path(os.path.expanduser("~/tc-state"))
    assert config.audit_log is None
    config = parse_config({"STATE_DIR": str(tmp_path), "AUDIT_LOG": str(tmp_path / "a.jsonl")})
    assert config.audit_log == tmp_path / "a.jsonl"


def test_a_full_dimension_is_parsed():
    config = parse_config({"DIMENSIONS": {"event": {"model": "conference.Event", "search_fields": ["slug"],
                                                    "label": "{name} <{slug}>"}}})
    dim = config.dimensions["event"]
    assert (dim.model, dim.search_fields, dim.label, dim.is_custom_backend) == (
        "conference.Event", ("slug",), "{name} <{slug}>", False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("event", "it must be a dict, not str"),
        ({"DIMENSION": {}}, "unknown key(s) 'DIMENSION'. Did you mean 'DIMENSIONS'?"),
        ({"DIMENSIONS": ["event"]}, "DIMENSIONS must be a dict"),
        ({"DIMENSIONS": {"event": "conference.Event"}}, "DIMENSIONS['event'] must be a dict of options"),
        ({"DIMENSIONS": {"event": {"search_field": ["slug"]}}}, "Did you mean 'search_fields'?"),
        ({"DIMENSIONS": {"event": {"search_fields": "slug"}}}, "must be a list of field names"),
        ({"DIMENSIONS": {"event": {"search_fields": ["slug", "slug"]}}}, "names a field twice"),
        ({"DIMENSIONS": {"event": {"search_fields": ["organiser__name"]}}}, "is not a field name"),
        ({"DIMENSIONS": {"event": {"label": "{0} {1}"}}}, "positional placeholder"),
        ({"DIMENSIONS": {"event": {"label": "Event"}}}, "uses no field"),
        ({"DIMENSIONS": {"event": {"label": "{name"}}}, "is not a valid format string"),
        ({"DIMENSIONS": {"event": {"model": "Event"}}}, "not of the form 'app_label.ModelName'"),
        ({"DIMENSIONS": {"event": {"model": ""}}}, "must be a non-empty string"),
        ({"DIMENSIONS": {"my-event": {}}}, "must be an identifier without '__'"),
        ({"DIMENSIONS": {"event__slug": {}}}, "must be an identifier without '__'"),
        ({"DIMENSIONS": {"ws": {"activate": "a.b"}}}, "no tenant 'model'"),
        ({"DIMENSIONS": {"ws": {"activate": "a.b", "model": "a.B"}}}, "no 'scoped_models'"),
        ({"DIMENSIONS": {"ws": {"activate": "activate", "model": "a.B"}}}, "'package.module.callable'"),
        ({"DIMENSIONS": {"ws": {"scoped_models": {"a.B": "ws"}}}}, "'scoped_models' but no 'activate'"),
        ({"DIMENSIONS": {"ws": {"disable": "a.b"}}}, "'disable' but no 'activate'"),
        ({"DIMENSIONS": {"ws": {"activate": "a.b", "model": "a.B", "scoped_models": ["a.B"]}}},
         "must map model labels to field paths"),
        ({"DIMENSIONS": {"ws": {"activate": "a.b", "model": "a.B", "scoped_models": {"B": "ws"}}}},
         "not a model label"),
        ({"DIMENSIONS": {"ws": {"activate": "a.b", "model": "a.B", "scoped_models": {"a.B": "ws.id"}}}},
         "not a field path"),
        ({"AUDIT_LOG": 3}, "AUDIT_LOG must be a file path or None"),
    ],
)
def test_malformed_settings_are_one_paragraph_errors(raw, expected):
    message = error_of(raw)
    assert message.startswith("The TENANT_CONSOLE setting is invalid: ")
    assert expected in message


# -- discovery against the models (demo project) --------------------------------------------------


def test_discovery_without_configuration():
    registry = discover(parse_config({}))
    event = registry.dimensions["event"]
    assert event.model_label == "conference.Event"
    assert event.search_fields == ("slug", "name")
    assert event.label_format is None
    assert registry.warnings == []


def test_discovery_on_the_demo_project_is_complete():
    """Every model of the demo: scoped (with its path) or shared; nothing guessed wrongly."""
    from django.apps import apps

    from tenant_console.core.discovery import model_label

    registry = discover(parse_config({}))
    assert {model_label(m): s.paths for m, s in registry.scoped.items()} == {
        **{f"conference.{name}": {"event": "event"} for name in (
            "Track", "Tag", "Room", "SpeakerProfile", "Submission", "Review", "Question", "ChoiceQuestion",
            "TalkSlot", "ActivityLog")},
        "conference.SpeakerRole": {"event": "submission__event"},
        "conference.Resource": {"event": "submission__event"},
        "conference.Answer": {"event": "question__event"},
    }
    shared = sorted(model_label(m) for m in apps.get_models() if not registry.is_scoped(m))
    assert shared == ["auth.Group", "auth.Permission", "auth.User", "conference.Event",
                      "conference.Organiser", "contenttypes.ContentType"]
    assert {s.manager for s in registry.scoped.values()} == {"objects"}
    assert {s.backend.name for s in registry.scoped.values()} == {"django-scopes"}
    assert registry.tenant_dimensions_of(apps.get_model("conference.Event")) == ["event"]
    assert registry.dimensions["event"].implies == {}  # Organiser is shared, not a dimension


def test_overrides_of_search_fields_and_label():
    registry = discover(parse_config({"DIMENSIONS": {"event": {
        "model": "conference.Event", "search_fields": ["name"], "label": "{name} <{slug}>"}}}))
    event = registry.dimensions["event"]
    assert event.search_fields == ("name",)
    assert event.label_fields() == ("name", "slug")
    from conference.models import Event

    assert event.label(Event(pk=1, name="DemoCon", slug="democon")) == "DemoCon <democon>"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"model": "conference.Evnt"}, "names the model 'conference.Evnt', which does not exist. "
                                       "Did you mean 'conference.Event'?"),
        ({"model": "conference.Track"}, "leads to conference.Event, but the tenant model of 'event' is "
                                        "conference.Track"),
        ({"search_fields": ["slgu"]}, "conference.Event has no such field. Did you mean 'slug'?"),
        ({"search_fields": ["organiser"]}, "which is a relation of conference.Event, not a column"),
        ({"label": "{nmae}"}, "has no field or attribute 'nmae'. Did you mean 'name'?"),
    ],
)
def test_bad_overrides_name_the_key_and_suggest(spec, expected):
    message = error_of({"DIMENSIONS": {"event": spec}}, discover_too=True)
    assert "TENANT_CONSOLE['DIMENSIONS']['event']" in message
    assert expected in message


def test_a_dimension_without_backend_is_refused_with_a_suggestion():
    message = error_of({"DIMENSIONS": {"evnt": {"search_fields": ["slug"]}}}, discover_too=True)
    assert "configures the dimension 'evnt', but no ScopedManager uses it" in message
    assert "Did you mean 'event'?" in message
    assert "Known dimensions: event." in message


def test_a_label_may_use_properties_and_pk():
    registry = discover(parse_config({"DIMENSIONS": {"event": {"label": "#{pk} {name}"}}}))
    from conference.models import Event

    assert registry.dimensions["event"].label(Event(pk=7, name="DemoCon", slug="d")) == "#7 DemoCon"


# -- the custom backend ------------------------------------------------------------------------------


def test_custom_backend_is_discovered_beside_django_scopes():
    from conference.models import Event, Organiser

    registry = discover(parse_config(organiser_backend()))
    organiser = registry.dimensions["organiser"]
    assert organiser.model is Organiser
    assert organiser.backend.name == "custom"
    assert registry.dimensions["event"].backend.name == "django-scopes"
    assert [b.name for b in registry.backends] == ["django-scopes", "custom"]
    # Event is the tenant of 'event' and scoped by the custom 'organiser' dimension.
    assert registry.scope_of(Event).paths == {"organiser": "organiser"}
    assert registry.dimensions["event"].implies == {"organiser": "organiser"}
    assert str(registry.tenant_q(Event, {"event": 3})) == "(AND: ('pk', 3))"


def test_custom_backend_contract_activate_and_disable():
    from conference.models import Organiser

    backend = discover(parse_config(organiser_backend())).dimensions["organiser"].backend
    assert isinstance(backend, CallableBackend) and backend.has_disable
    organiser = Organiser(pk=11, name="O", slug="o")
    assert current_organiser.get() is None
    with backend.activate({"organiser": organiser}):
        assert current_organiser.get() == 11
    assert current_organiser.get() is None
    with backend.activate({"event": object()}):  # not its dimension: nothing happens
        assert current_organiser.get() is None
    with backend.disabled():
        assert current_organiser.get() == "ALL"
    assert current_organiser.get() is None


def test_custom_backend_without_disable_leaves_the_mechanism_alone():
    spec = organiser_backend()
    del spec["DIMENSIONS"]["organiser"]["disable"]
    backend = discover(parse_config(spec)).dimensions["organiser"].backend
    with backend.disabled():
        assert current_organiser.get() is None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"activate": "tests.core.no_such_module.activate"}, "which cannot be imported"),
        ({"activate": f"{HERE}.NOT_CALLABLE"}, "which is not callable"),
        ({"activate": f"{HERE}.activate_without_arguments"}, "cannot be called with one argument"),
        ({"disable": f"{HERE}.activate_organiser"}, "cannot be called with no arguments"),
        ({"scoped_models": {"conference.Evnt": "organiser"}}, "lists 'conference.Evnt', but there is no such "
                                                              "model. Did you mean 'conference.Event'?"),
        ({"scoped_models": {"conference.Event": "organizer"}}, "has no field 'organizer'. Did you mean "
                                                               "'organiser'?"),
        ({"scoped_models": {"conference.Track": "event"}}, "leads to conference.Event, but the tenant model of "
                                                           "'organiser' is conference.Organiser"),
        ({"model": "conference.Organizer"}, "Did you mean 'conference.Organiser'?"),
    ],
)
def test_custom_backend_mistakes(overrides, expected):
    message = error_of(organiser_backend(**overrides), discover_too=True)
    assert "TENANT_CONSOLE['DIMENSIONS']['organiser']" in message
    assert expected in message


def test_custom_backend_must_not_take_over_a_django_scopes_dimension():
    spec = {"DIMENSIONS": {"event": {"model": "conference.Event", "activate": f"{HERE}.activate_organiser",
                                     "scoped_models": {"conference.Track": "event"}}}}
    message = error_of(spec, discover_too=True)
    assert "django-scopes already uses that dimension" in message
    assert "(ScopedManager of conference.ActivityLog, conference.Answer, " in message and " more)" in message


def test_an_activate_that_returns_no_context_manager_is_explained():
    from conference.models import Organiser

    backend = discover(parse_config(organiser_backend(
        activate=f"{HERE}.activate_returns_nothing"))).dimensions["organiser"].backend
    with pytest.raises(ConsoleError, match="returned NoneType, not a context manager"):
        backend.activate({"organiser": Organiser(pk=1)})


# -- implied tenants (real database) -----------------------------------------------------------------


def test_fill_implied_adds_and_checks_the_organiser(db_alias):
    """With Event scoped by a custom 'organiser', an event implies its organiser; a contradiction is refused."""
    from conference.models import Event, Organiser
    from django.db import connections

    registry = discover(parse_config(organiser_backend()))
    try:
        event = Event._base_manager.using(db_alias).exclude(organiser=None).order_by("pk").first()
        assert event is not None
        own = Organiser._base_manager.using(db_alias).get(pk=event.organiser_id)
        filled = fill_implied(registry, {"event": event}, db_alias)
        assert filled["organiser"].pk == own.pk
        assert fill_implied(registry, {"event": event, "organiser": own}, db_alias)["organiser"] is own
        other = Organiser._base_manager.using(db_alias).exclude(pk=own.pk).first()
        if other is None:
            other = Organiser(pk=own.pk + 1000, name="Other", slug="other")
        with pytest.raises(ScopeSelectionError, match="belongs to the organiser"):
            fill_implied(registry, {"event": event, "organiser": other}, db_alias)
    finally:
        connections[db_alias].close()


def test_ownership_keys_are_parsed():
    config = parse_config({"OWNED": {"shop.Transaction": "position__order__event__organizer"},
                           "SHARED": ["shop.Banner", "shop.Currency"]})
    assert config.owned == {"shop.Transaction": "position__order__event__organizer"}
    assert config.shared == ("shop.Banner", "shop.Currency")
    assert parse_config({}).owned == {} and parse_config({}).shared == ()


@pytest.mark.parametrize(("raw", "message"), [
    ({"OWNED": "shop.Note"}, "OWNED must map model labels to the field path"),
    ({"OWNED": {"Note": "event"}}, "OWNED has the key 'Note', which is not a model label"),
    ({"OWNED": {"shop.Note": "event.organizer"}}, "OWNED['shop.Note'] is 'event.organizer', which is not a field path"),
    ({"OWNED": {"shop.Note": ""}}, "OWNED['shop.Note'] is '', which is not a field path"),
    ({"SHARED": "shop.Note"}, "SHARED must be a list of model labels"),
    ({"SHARED": ["shop"]}, "SHARED contains 'shop', which is not a model label"),
    ({"SHARED": ["shop.Note", "shop.Note"]}, "SHARED names a model twice"),
    ({"OWNED": {"shop.Note": "event"}, "SHARED": ["shop.Note"]}, "'shop.Note' is in both OWNED and SHARED"),
    ({"OWNER": {}}, "Did you mean 'OWNED'?"),
])
def test_bad_ownership_keys_name_the_key(raw, message):
    with pytest.raises(ConsoleError) as exc:
        parse_config(raw)
    assert message in str(exc.value)
    assert str(exc.value).startswith("The TENANT_CONSOLE setting is invalid:")
