"""django-scopes 2.0.x (pretalx pins it) and 2.1.x are both recognised.

``make test`` runs this module on Django 5.2 with django-scopes 2.1.x and on
Django 6 with 2.0.x (``make test-django6``), so the same assertions hold for the
series whose ``ScopedManager`` has no ``with_scope()``/``with_scopes_disabled()``.
"""

from __future__ import annotations

from conference import models as m
from django_scopes import scope, scopes_disabled
from django_scopes.state import get_scope

from tenant_console.core.backends import django_scopes_version, scoped_manager_paths


def test_the_installed_series_is_one_the_console_supports():
    version = django_scopes_version()
    assert version.startswith(("2.0.", "2.1.")), version


def test_every_scoped_model_of_the_demo_is_found_on_this_series(project):
    registry = project.registry
    assert set(registry.dimensions) == {"event"}
    assert registry.dimensions["event"].model is m.Event
    assert registry.is_scoped(m.Submission) and registry.is_scoped(m.Review)
    assert [b.name for b in registry.backends] == ["django-scopes"]
    if django_scopes_version().startswith("2.0."):
        assert not hasattr(m.Submission.objects, "with_scopes_disabled")  # what 2.1 added


def test_recognising_a_manager_neither_reads_nor_changes_the_callers_scope(event_pks):
    pk = event_pks["democon"]
    with scope(event=pk):
        before = dict(get_scope())
        assert scoped_manager_paths(m.Submission.objects) == {"event": "event"}
        assert dict(get_scope()) == before
    with scopes_disabled():
        assert scoped_manager_paths(m.Review.objects) == {"event": "event"}
        assert get_scope().get("_enabled") is False
    assert scoped_manager_paths(m.Event.objects) is None
