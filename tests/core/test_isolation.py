"""Tenant isolation through a session, checked against explicit filters.

With tenant A active, every scoped model's default manager must return exactly
A's rows; the ground truth is the unconstrained ``_base_manager`` filtered by
``registry.tenant_q`` (explicit, independent of django-scopes). No scope means
an error, never "everything"; "everything" (scopes disabled) is only reached by
calling ``disable_scopes`` and is audited, as is every activation.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from conference.models import Event, Review, Submission
from django.db.models import Count
from django_scopes import ScopeError

from tenant_console.core.errors import ScopeSelectionError


def _truth(project, model, tenant_pk: Any) -> set:
    q = project.registry.tenant_q(model, {"event": tenant_pk})
    return set(model._base_manager.filter(q).values_list("pk", flat=True))


def _seen(model) -> dict[str, Any]:
    """What user code gets from the default manager, through several query shapes."""
    qs = model.objects.all()
    return {
        "count": qs.count(),
        "pks": set(qs.values_list("pk", flat=True)),
        "iterated": {o.pk for o in qs.iterator(chunk_size=50)},
        "in_bulk": set(model.objects.in_bulk()),
        "aggregate": qs.aggregate(n=Count("pk"))["n"],
    }


def test_every_scoped_model_returns_only_the_active_tenants_rows(project, session, event_pks):
    registry = project.registry
    assert len(registry.scoped) >= 12
    others_seen = 0
    for slug, pk in sorted(event_pks.items()):
        session.activate({"event": pk})

        def check(pk: Any = pk) -> list[tuple[str, int, int]]:
            rows = []
            for model in registry.scoped:
                truth = _truth(project, model, pk)
                seen = _seen(model)
                label = model._meta.label
                assert seen["count"] == len(truth), label
                assert seen["pks"] == truth, label
                assert seen["iterated"] == truth, label
                assert seen["in_bulk"] == truth, label
                assert seen["aggregate"] == len(truth), label
                everything = model._base_manager.count()
                rows.append((label, len(truth), everything - len(truth)))
                # Not one row of another tenant, asked for explicitly by the other tenants' filters.
                for other in event_pks.values():
                    if other != pk:
                        q = registry.tenant_q(model, {"event": other})
                        assert model.objects.filter(q).count() == 0, (label, other)
            return rows

        rows = session.run(check)
        assert {label for label, _, _ in rows} == {m._meta.label for m in registry.scoped}
        others_seen += sum(other for _, _, other in rows)
        if slug == "democon":  # the main demo tenant has rows in every model
            assert all(n > 0 for _, n, _ in rows), rows
    assert others_seen > 0  # the test is not vacuous: other tenants' rows exist everywhere


def test_related_managers_are_scoped_but_forward_foreign_keys_are_not(project, session, event_pks):
    """django-scopes scopes default managers; forward FK access uses the base manager. That is how
    the planted cross-tenant review leaks another event's submission, and why the console checks
    isolation explicitly with registry.tenant_q."""
    democon, nordic = event_pks["democon"], event_pks["pycon-nordic"]
    session.activate({"event": democon})

    def look() -> dict[str, Any]:
        event = Event.objects.get(pk=democon)
        foreign = Review.objects.exclude(submission__event=democon)
        review = foreign.get()
        q = project.registry.tenant_q(Submission, {"event": democon})
        return {
            "related": set(event.submissions.values_list("event_id", flat=True)),
            "reverse_from_other": set(Event.objects.get(pk=nordic).submissions.values_list("event_id", flat=True)),
            "leaked_via_fk": review.submission.event_id,
            "explicit_check": Submission._base_manager.filter(q, pk=review.submission_id).exists(),
        }

    seen = session.run(look)
    assert seen["related"] == {democon}
    assert seen["reverse_from_other"] == set()  # the related manager is scoped to the active tenant too
    assert seen["leaked_via_fk"] == nordic
    assert seen["explicit_check"] is False


# -- no scope ---------------------------------------------------------------------------------------
def test_without_a_scope_every_scoped_model_raises(project, session):
    assert not session.scope.is_active and not session.scope.disabled
    for model in project.registry.scoped:
        fut = session.submit(lambda m=model: m.objects.count())
        with pytest.raises(ScopeError, match="needs to be active"):
            fut.result(10)
        assert isinstance(fut.exception(), ScopeError)
    with pytest.raises(ScopeError):
        session.run(lambda: list(Submission.objects.all()), scoped=False)


def test_empty_activation_and_clear_scope_stay_errors(project, session, event_pks):
    session.activate({})
    with pytest.raises(ScopeError):
        session.run(lambda: Submission.objects.count())
    session.activate({"event": event_pks["democon"]})
    assert session.run(lambda: Submission.objects.count()) == 40
    session.clear_scope()
    with pytest.raises(ScopeError):
        session.run(lambda: Submission.objects.count())


def test_a_failed_activation_keeps_the_previous_scope(project, session, event_pks):
    session.activate({"event": event_pks["democon"]})
    with pytest.raises(ScopeSelectionError, match=r"no conference\.Event with primary key 999999"):
        session.activate({"event": 999999})
    with pytest.raises(ScopeSelectionError, match=r"no scope dimension 'evnt'.*Did you mean 'event'"):
        session.activate({"evnt": event_pks["democon"]})
    assert session.scope.pks() == {"event": event_pks["democon"]}
    assert session.run(lambda: set(Submission.objects.values_list("event__slug", flat=True))) == {"democon"}


def test_the_caller_thread_is_never_scoped(project, session, event_pks):
    session.activate({"event": event_pks["democon"]})
    session.run(lambda: Submission.objects.count())
    with pytest.raises(ScopeError):
        Submission.objects.using(session.alias).count()  # the test's own thread has no scope


# -- disabled scopes and the audit trail ----------------------------------------------------------
def _new_records(project, before: int) -> list[dict]:
    return project.audit.outcomes()[before:]


def test_disabled_mode_is_explicit_and_audited(project, session, event_pks, caplog):
    caplog.set_level(logging.INFO, logger="tenant_console.audit")
    before = len(project.audit.outcomes())
    assert not session.scope.disabled  # never the default
    state = session.disable_scopes(reason="incident 4711")
    assert state.disabled and session.scope.describe() == "SCOPES DISABLED (all tenants)"
    total = Submission._base_manager.using(session.alias).count()
    assert session.run(lambda: Submission.objects.count()) == total > 40
    (rec,) = _new_records(project, before)
    assert rec["action"] == "scopes_disabled"
    assert rec["reason"] == "incident 4711"
    assert rec["scope"] == {"disabled": True, "tenants": []}
    assert rec["database"] == session.alias
    assert rec["session"] == session.name
    assert rec["settings"] == "tests.settings"
    assert rec["user"] and rec["time"] and rec["outcome"] == "ok"
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "tenant_console.audit"]
    assert logged[-1] == rec
    # Choosing a tenant ends the disabled mode; it does not come back by itself.
    session.activate({"event": event_pks["democon"]})
    assert not session.scope.disabled
    assert session.run(lambda: Submission.objects.count()) == 40
    session.clear_scope()
    assert not session.scope.disabled


def test_activation_is_audited(project, session, event_pks):
    before = len(project.audit.outcomes())
    session.activate({"event": event_pks["pycon-nordic"]})
    with pytest.raises(ScopeSelectionError):
        session.activate({"event": 424242})
    session.clear_scope()
    ok, refused, cleared = _new_records(project, before)
    assert ok["action"] == "scope_activated" and ok["outcome"] == "ok"
    assert ok["scope"]["tenants"] == [
        {"dimension": "event", "pk": str(event_pks["pycon-nordic"]), "label": "PyCon Nordic (pycon-nordic)"}
    ]
    assert ok["database"] == session.alias and ok["session"] == session.name
    assert refused["action"] == "scope_activated" and refused["outcome"] == "refused"
    assert refused["requested"] == {"event": "424242"}
    assert "424242" in refused["error"]
    assert cleared["action"] == "scope_cleared"
    assert cleared["previous"]["tenants"][0]["pk"] == str(event_pks["pycon-nordic"])


# -- no leaks between sessions --------------------------------------------------------------------
def test_concurrent_sessions_from_many_threads_each_see_their_own_tenant(project, db_alias, event_pks):
    tenants = ["democon", "pycon-nordic", "djangocon-lab"]
    sessions = {slug: project.session(f"iso-{slug}", alias=db_alias) for slug in tenants}
    errors: list[str] = []
    try:
        for slug, s in sessions.items():
            s.activate({"event": event_pks[slug]})

        def hammer(k: int) -> None:
            for i in range(12):
                slug = tenants[(k + i) % len(tenants)]
                seen = sessions[slug].run(lambda: (
                    set(Submission.objects.values_list("event__slug", flat=True)),
                    set(Review.objects.values_list("event__slug", flat=True)),
                ))
                if seen != ({slug}, {slug}):
                    errors.append(f"thread {k} asked {slug}, got {seen}")

        threads = [threading.Thread(target=hammer, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for s in sessions.values():
            s.close()
    assert errors == []
