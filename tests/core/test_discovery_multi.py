"""Discovery and isolation on the second project: two dimensions plus a custom backend.

saasproj (``tests/projects/saasproj``) is shaped unlike the demo: the dimension
``organizer`` ends at ``ticketing.Account`` (UUID pk), ``event`` ends at
``ticketing.Show`` (itself scoped by organizer), ``Ticket`` is scoped by both,
and ``notes`` isolates workspaces with a contextvar manager configured as a
custom backend. One subprocess (the probe) loads it with tenant-console and
reports what discovery found and what a session's default managers return
under several scopes; the ground truth comes from unconstrained managers with
hand-written lookups, so the two are compared rather than trusted.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.second_project import probe

#: How each scoped model is really isolated (independent of discovery).
REQUIRED = {
    "ticketing.Show": ("organizer",),
    "ticketing.Venue": ("organizer",),
    "ticketing.Ticket": ("organizer", "event"),
    "notes.Note": ("workspace",),
    "notes.Comment": ("workspace",),
}
DJANGO_SCOPES = {"ticketing.Show", "ticketing.Venue", "ticketing.Ticket"}
SCENARIOS = ["organizer_acme", "event_globex_spring", "workspace_acme_ops", "event_and_workspace"]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return probe()


def test_every_dimension_ends_at_its_tenant_model(report):
    dims = report["registry"]["dimensions"]
    assert set(dims) == {"organizer", "event", "workspace"}
    assert dims["organizer"]["model"] == "ticketing.Account"
    assert dims["organizer"]["pk_type"] == "UUIDField"
    assert dims["event"]["model"] == "ticketing.Show"
    assert dims["workspace"]["model"] == "notes.Workspace"
    assert {name: d["backend"] for name, d in dims.items()} == {
        "organizer": "django-scopes", "event": "django-scopes", "workspace": "custom",
    }
    assert report["registry"]["backends"] == ["django-scopes", "custom"]


def test_scoped_models_with_their_dimensions_and_paths(report):
    scoped = report["registry"]["scoped"]
    assert {label: s["paths"] for label, s in scoped.items()} == {
        "ticketing.Show": {"organizer": "account"},
        "ticketing.Venue": {"organizer": "account"},
        "ticketing.Ticket": {"organizer": "show__account", "event": "show"},
        "notes.Note": {"workspace": "workspace"},
        "notes.Comment": {"workspace": "note__workspace"},
        "ticketing.PaymentLog": {"organizer": "account"},
    }
    assert {label: s["manager"] for label, s in scoped.items() if s["manager"] != "objects"} == {
        "ticketing.PaymentLog": "scoped",
    }
    assert {label for label, s in scoped.items() if s["backend"] == "custom"} == {"notes.Note", "notes.Comment"}


def test_a_secondary_scoped_manager_scopes_the_model_and_is_reported(report):
    """``scoped = ScopedManager(...)`` beside a plain ``objects``: the rows belong to tenants all the same."""
    assert report["registry"]["scoped"]["ticketing.PaymentLog"]["manager"] == "scoped"
    warnings = report["registry"]["warnings"]
    assert any("ticketing.PaymentLog is scoped by its ScopedManager 'scoped', not by its default manager 'objects'"
               in w for w in warnings), warnings


def test_search_fields_are_text_columns_without_choices_or_secrets(report):
    dims = report["registry"]["dimensions"]
    # Account: handle (unique slug) first; 'plan' has choices, 'api_token' looks secret.
    assert dims["organizer"]["search_fields"] == ["handle", "display_name"]
    assert dims["event"]["search_fields"] == ["slug", "title"]
    assert dims["workspace"]["search_fields"] == ["name", "key"]


def test_label_format_from_the_setting_and_guessed_labels(report):
    scope = report["scenarios"]["event_globex_spring"]["scope"]
    labels = {t["dimension"]: t["label"] for t in scope["tenants"]}
    assert labels == {"organizer": "Globex Live [globex]", "event": "Spring Gala (Globex) (spring-gala)"}
    assert report["registry"]["dimensions"]["organizer"]["label_format"] == "{display_name} [{handle}]"


def test_implied_dimensions(report):
    dims = report["registry"]["dimensions"]
    assert dims["event"]["implies"] == {"organizer": "account"}
    assert dims["workspace"]["implies"] == {"organizer": "account"}
    assert dims["organizer"]["implies"] == {}


def test_activating_a_show_fills_in_its_organizer(report):
    tenants = report["truth"]["tenants"]
    scope = report["scenarios"]["event_globex_spring"]["scope"]
    assert {t["dimension"]: t["pk"] for t in scope["tenants"]} == {
        "event": tenants["event"]["globex/spring-gala"],
        "organizer": tenants["organizer"]["globex"],
    }


def test_activating_a_custom_backend_workspace_fills_in_its_organizer(report):
    tenants = report["truth"]["tenants"]
    scope = report["scenarios"]["workspace_acme_ops"]["scope"]
    assert {t["dimension"]: t["pk"] for t in scope["tenants"]} == {
        "workspace": tenants["workspace"]["acme-ops"],
        "organizer": tenants["organizer"]["acme"],
    }


def _expected(report: dict[str, Any], label: str, active: dict[str, str]) -> Any:
    """The rows ``label``'s default manager must return with ``active`` tenants, or 'error'/'none'."""
    missing = [d for d in REQUIRED[label] if d not in active]
    if missing:
        # django-scopes refuses; the project's own manager fails closed (no rows).
        return "error" if label in DJANGO_SCOPES else []
    rows = report["truth"][label]
    return sorted(pk for pk, owners in rows.items() if all(owners[d] == active[d] for d in REQUIRED[label]))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_isolation_holds_per_dimension(report, scenario):
    result = report["scenarios"][scenario]
    active = {t["dimension"]: t["pk"] for t in result["scope"]["tenants"]}
    for label in REQUIRED:
        seen = result["visible"][label]
        expected = _expected(report, label, active)
        if expected == "error":
            assert seen["error"] == "ScopeError", (label, seen)
            missing = set(REQUIRED[label]) - set(active)
            assert all(d in seen["message"] for d in missing)
            continue
        assert seen == expected, (scenario, label)
        # No row of another organizer, whichever dimension the model is scoped by.
        owners = report["truth"][label]
        assert {owners[pk]["organizer"] for pk in seen} <= {active["organizer"]}


def test_every_tenant_sees_something_and_nobody_sees_everything(report):
    """Guards the isolation test against passing vacuously (empty scopes)."""
    for scenario in SCENARIOS:
        visible = report["scenarios"][scenario]["visible"]
        for label in ("ticketing.Show", "ticketing.Venue"):
            assert 0 < len(visible[label]) < len(report["truth"][label])
    ws = report["scenarios"]["workspace_acme_ops"]["visible"]
    assert 0 < len(ws["notes.Comment"]) < len(report["truth"]["notes.Comment"])


def test_outside_any_scope(report):
    visible = report["scenarios"]["none"]["visible"]
    for label in DJANGO_SCOPES:
        assert visible[label]["error"] == "ScopeError"
    assert "event" in visible["ticketing.Ticket"]["message"]
    assert "organizer" in visible["ticketing.Ticket"]["message"]
    # The custom manager fails closed; unscoped models are shared.
    assert visible["notes.Note"] == [] and visible["notes.Comment"] == []
    assert len(visible["ticketing.PaymentLog"]) == 6
    assert len(visible["ticketing.Country"]) == 3


def test_disabled_scopes_show_every_tenant_in_both_backends(report):
    result = report["scenarios"]["disabled"]
    assert result["scope"] == {"disabled": True, "tenants": []}
    for label in REQUIRED:
        assert result["visible"][label] == sorted(report["truth"][label]), label


def test_activations_and_disabling_are_audited(report):
    # each act is a "started" record and an outcome record with the same act id: count the outcomes
    every = [r for r in report["audit"] if str(r.get("session", "")).startswith("probe")]
    started = {r["act"] for r in every if r["outcome"] == "started"}
    records = [r for r in every if r["outcome"] != "started"]
    assert {r["act"] for r in records if r.get("act")} == started  # every act that began has its outcome
    actions = [r["action"] for r in records]
    assert actions.count("scope_activated") == 4
    assert all(r["outcome"] == "ok" for r in records)
    assert actions[-1] == "scopes_disabled"
    assert records[-1]["reason"] == "probe"
    workspace_scopes = [
        {t["dimension"]: t["label"] for t in r["scope"]["tenants"]}
        for r in records if r["action"] == "scope_activated"
        and any(t["dimension"] == "workspace" for t in r["scope"]["tenants"])
    ]
    assert {"workspace": "Acme Ops", "organizer": "Acme Events [acme]"} in workspace_scopes
    assert all(r["settings"] == "saasproj.settings" and r["database"] == "default" for r in records)


EXPLICIT = ("ticketing.Show", "ticketing.Venue", "ticketing.Ticket", "notes.Note", "notes.Comment",
            "notes.Workspace", "ticketing.Account", "ticketing.PaymentLog")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_explicit_isolation_filter_narrows_by_every_active_dimension(report, scenario):
    """``registry.tenant_q`` (used where managers are bypassed) selects exactly the active tenants' rows.

    Each given dimension narrows every model that reaches it: a show by its organizer even with no show
    chosen, a workspace's notes by the workspace's organizer, a tenant model by its own pk.
    """
    result = report["scenarios"][scenario]
    active = {t["dimension"]: t["pk"] for t in result["scope"]["tenants"]}
    for label in EXPLICIT:
        rows = report["truth"][label]
        expected = sorted(pk for pk, owners in rows.items()
                          if all(owners[d] == active[d] for d in owners if d in active))
        assert result["explicit"][label] == expected, (scenario, label)
        assert 0 < len(expected) < len(rows) or label == "ticketing.Account"
    assert len(result["explicit"]["ticketing.Country"]) == 3  # shared: not narrowed


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_explicit_filter_agrees_with_the_scoped_managers(report, scenario):
    """Never wider than the project's own managers; the same for models that are not tenants themselves.

    (A show is both scoped by organizer and the tenant of ``event``: with a show chosen, its manager still
    returns the organizer's shows, while the explicit filter keeps only the chosen one.)
    """
    result = report["scenarios"][scenario]
    active = {t["dimension"] for t in result["scope"]["tenants"]}
    for label in REQUIRED:
        if not set(REQUIRED[label]) <= active:
            continue  # the manager refuses (django-scopes) or fails closed (custom): compared elsewhere
        visible = result["visible"][label]
        explicit = result["explicit"][label]
        assert set(explicit) <= set(visible), (scenario, label)
        if label != "ticketing.Show":
            assert explicit == visible, (scenario, label)


def test_two_cascade_parents_in_different_dimensions_are_ambiguous(report):
    """notes.ShowBrief: workspace (workspace, organizer) and show (event, organizer); neither includes the other."""
    verdicts = report["registry"]["verdicts"]
    assert verdicts["notes.ShowBrief"]["kind"] == "ambiguous"
    assert "several links lead to different tenant dimensions" in verdicts["notes.ShowBrief"]["reason"]
    assert verdicts["ticketing.Country"]["kind"] == "shared"
    assert {label: v["kind"] for label, v in verdicts.items() if v["kind"] == "owned"} == {}
