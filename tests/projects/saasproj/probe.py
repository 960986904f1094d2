"""Test helper: load saasproj with tenant-console and print what it sees, as JSON.

Run in its own process (the test process is configured for the demo project):
``python -m saasproj.probe`` with ``tests/projects`` on ``PYTHONPATH`` and
``SAASPROJ_DB`` pointing at a seeded database. It prints the discovered
registry, the ground truth read with unconstrained managers (hard-coded
lookups, independent of discovery), and what a session's default managers
return under several scopes, so the tests can compare the two.
"""

from __future__ import annotations

import json
from typing import Any

SCOPED = ("ticketing.Show", "ticketing.Venue", "ticketing.Ticket", "notes.Note", "notes.Comment")
UNSCOPED = ("ticketing.PaymentLog", "ticketing.Country")
TENANT_MODELS = ("ticketing.Account", "notes.Workspace")
#: The ground truth: each row's tenants, through lookups written out by hand.
TRUTH_PATHS = {
    "ticketing.Show": {"organizer": "account", "event": "pk"},
    "ticketing.Venue": {"organizer": "account"},
    "ticketing.Ticket": {"organizer": "show__account", "event": "show"},
    "notes.Note": {"workspace": "workspace", "organizer": "workspace__account"},
    "notes.Comment": {"workspace": "note__workspace", "organizer": "note__workspace__account"},
    "ticketing.PaymentLog": {"organizer": "account"},
}


def _registry(project: Any) -> dict[str, Any]:
    from tenant_console.core.discovery import model_label

    reg = project.registry
    return {
        "dimensions": {
            name: {
                "model": d.model_label,
                "pk_type": type(d.model._meta.pk).__name__,
                "search_fields": list(d.search_fields),
                "label_format": d.label_format,
                "backend": d.backend.name,
                "implies": d.implies,
            }
            for name, d in reg.dimensions.items()
        },
        "scoped": {
            model_label(m): {"paths": s.paths, "backend": s.backend.name if s.backend else None, "manager": s.manager}
            for m, s in reg.scoped.items()
        },
        "backends": [b.name for b in reg.backends],
        "verdicts": {model_label(m): {"kind": v.kind.value, "source": v.source.value, "path": v.via,
                                      "reason": v.reason} for m, v in reg.verdicts.items()},
        "warnings": list(project.warnings),
    }


def _truth() -> dict[str, Any]:
    from django.apps import apps

    truth: dict[str, Any] = {}
    for label, paths in TRUTH_PATHS.items():
        model = apps.get_model(label)
        names = list(paths)
        rows = model._base_manager.order_by("pk").values_list("pk", *paths.values())
        truth[label] = {str(r[0]): {n: str(v) for n, v in zip(names, r[1:], strict=True)} for r in rows}
    from saasproj.notes.models import Workspace
    from saasproj.ticketing.models import Account, Show

    truth["notes.Workspace"] = {str(w.pk): {"workspace": str(w.pk), "organizer": str(w.account_id)}
                                for w in Workspace._base_manager.all()}
    truth["ticketing.Account"] = {str(a.pk): {"organizer": str(a.pk)} for a in Account._base_manager.all()}
    truth["tenants"] = {
        "organizer": {a.handle: str(a.pk) for a in Account._base_manager.all()},
        "event": {f"{s.account.handle}/{s.slug}": str(s.pk) for s in Show._base_manager.select_related("account")},
        "workspace": {w.key: str(w.pk) for w in Workspace._base_manager.all()},
    }
    return truth


def _visible(session: Any) -> dict[str, Any]:
    """What each model's DEFAULT manager returns inside the session's scope (pks, or the error)."""
    from django.apps import apps

    def read(label: str) -> Any:
        model = apps.get_model(label)
        return sorted(str(pk) for pk in model._default_manager.values_list("pk", flat=True))

    out: dict[str, Any] = {}
    for label in (*SCOPED, *UNSCOPED):
        try:
            out[label] = session.run(read, label)
        except Exception as exc:
            out[label] = {"error": type(exc).__name__, "message": str(exc)}
    return out


def _explicit(session: Any) -> dict[str, Any]:
    """What ``registry.tenant_q`` selects through base managers (the console's explicit isolation)."""
    from django.apps import apps

    registry = session.project.registry
    pks = session.scope.pks()

    def read(label: str) -> Any:
        model = apps.get_model(label)
        q = registry.tenant_q(model, pks)
        qs = model._base_manager.all() if q is None else model._base_manager.filter(q)
        return sorted(str(pk) for pk in qs.values_list("pk", flat=True))

    return {label: session.run(read, label, scoped=False) for label in (*SCOPED, *TENANT_MODELS, *UNSCOPED)}


def main() -> None:
    from tenant_console.core.project import load_project

    project = load_project("saasproj.settings")
    result: dict[str, Any] = {"registry": _registry(project)}
    session = project.session("probe")
    try:
        result["truth"] = session.run(_truth, scoped=False)
        tenants = result["truth"]["tenants"]
        scenarios = {
            "none": None,
            "organizer_acme": {"organizer": tenants["organizer"]["acme"]},
            "event_globex_spring": {"event": tenants["event"]["globex/spring-gala"]},
            "workspace_acme_ops": {"workspace": tenants["workspace"]["acme-ops"]},
            "event_and_workspace": {"event": tenants["event"]["acme/summer-fest"],
                                    "workspace": tenants["workspace"]["acme-sales"]},
        }
        result["scenarios"] = {}
        for name, selection in scenarios.items():
            session.clear_scope()
            state = session.activate(selection).as_dict() if selection else None
            result["scenarios"][name] = {"scope": state, "visible": _visible(session),
                                         "explicit": _explicit(session)}
        session.disable_scopes(reason="probe")
        result["scenarios"]["disabled"] = {"scope": session.scope.as_dict(), "visible": _visible(session)}
    finally:
        session.close()
    result["audit"] = project.audit.read()
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
