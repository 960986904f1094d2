"""The real ``tenant-console`` executable on the second project (two dimensions + a custom backend).

saasproj is loaded with ``--settings saasproj.settings --pythonpath tests/projects``
in child processes (the test process is configured for the demo project). The
database is migrated and seeded once per run (see ``tests/core/second_project.py``).
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.core.second_project import audit_records, cli, cli_json

ACME = str(uuid.uuid5(uuid.UUID("6f1c3f8e-3d5a-4c7e-9a51-2b8f0c9d4e21"), "acme"))


def _rows(data: dict) -> dict[str, dict]:
    return {row["model"]: row for row in data["models"]}


def test_models_lists_both_backends_with_paths_and_counts():
    done = cli("models", "--json")
    assert done.returncode == 0, done.stderr
    rows = _rows(json.loads(done.stdout))
    assert rows["ticketing.Ticket"]["dimensions"] == {"organizer": "show__account", "event": "show"}
    assert rows["ticketing.Ticket"]["backend"] == "django-scopes"
    assert rows["notes.Comment"]["dimensions"] == {"workspace": "note__workspace"}
    assert rows["notes.Comment"]["backend"] == "custom"
    assert rows["ticketing.Account"]["tenant_model_of"] == ["organizer"]
    assert rows["ticketing.Show"]["tenant_model_of"] == ["event"]
    assert rows["ticketing.Show"]["dimensions"] == {"organizer": "account"}
    assert rows["notes.Workspace"]["tenant_model_of"] == ["workspace"]
    assert rows["ticketing.PaymentLog"]["scoped"]  # by its secondary ScopedManager 'scoped'
    assert rows["ticketing.PaymentLog"]["dimensions"] == {"organizer": "account"}
    assert {m: rows[m]["count"] for m in ("ticketing.Ticket", "notes.Note", "notes.Comment")} == {
        "ticketing.Ticket": 20,
        "notes.Note": 9,
        "notes.Comment": 18,
    }
    assert "ticketing.PaymentLog is scoped by its ScopedManager 'scoped', not by its default manager" in done.stderr


def test_models_counts_inside_a_show_and_a_workspace():
    data = cli_json("models", "--json", "--event__slug=summer-fest", "--workspace__key=acme-sales")
    assert data["scope"] == "event=Summer Fest (summer-fest), organizer=Acme Events [acme], workspace=Acme Sales"
    counts = {label: row["count"] for label, row in _rows(data).items()}
    assert counts["ticketing.Ticket"] == 4  # one show
    assert counts["ticketing.Venue"] == 2  # the implied organizer's
    assert counts["notes.Note"] == 3 and counts["notes.Comment"] == 6  # one workspace
    assert counts["ticketing.Country"] == 3  # shared


def test_models_counts_for_an_organizer_alone():
    """Only the organizer chosen: every model that reaches it is narrowed (shows, workspaces, their notes)."""
    data = cli_json("models", "--json", "--organizer__handle=acme")
    assert data["scope"] == "organizer=Acme Events [acme]"
    counts = {label: row["count"] for label, row in _rows(data).items()}
    assert counts["ticketing.Account"] == 1
    assert counts["ticketing.Show"] == 2
    assert counts["ticketing.Ticket"] == 8
    assert counts["notes.Workspace"] == 2
    assert counts["notes.Note"] == 6 and counts["notes.Comment"] == 12


def test_tenants_per_dimension_with_uuid_pks_and_configured_labels():
    data = cli_json("tenants", "--json")["dimensions"]
    assert data["organizer"]["model"] == "ticketing.Account"
    assert data["organizer"]["search_fields"] == ["handle", "display_name"]
    organizers = {t["label"]: t["pk"] for t in data["organizer"]["tenants"]}
    assert organizers["Acme Events [acme]"] == ACME
    assert set(organizers) == {"Acme Events [acme]", "Globex Live [globex]", "Initech Shows [initech]"}
    assert len(data["event"]["tenants"]) == 5
    assert [t["fields"]["key"] for t in data["workspace"]["tenants"]] == ["acme-ops", "acme-sales", "globex-main"]


def test_tenants_search_across_dimensions():
    data = cli_json("tenants", "--json", "--search", "globex")["dimensions"]
    assert [t["fields"]["handle"] for t in data["organizer"]["tenants"]] == ["globex"]
    assert [t["fields"]["title"] for t in data["event"]["tenants"]] == ["Spring Gala (Globex)"]
    assert [t["fields"]["key"] for t in data["workspace"]["tenants"]] == ["globex-main"]
    by_pk = cli_json("tenants", "--json", "--dimension", "organizer", "--search", ACME)["dimensions"]
    assert [t["pk"] for t in by_pk["organizer"]["tenants"]] == [ACME]


SHOW_CODE = (
    "import json; print(json.dumps({'event': event.slug, 'organizer': organizer.handle, "
    "'pk_is_uuid': isinstance(organizer.pk, __import__('uuid').UUID), "
    "'shows': sorted(Show.objects.values_list('slug', flat=True)), "
    "'tickets': sorted({t.show.slug for t in Ticket.objects.all()}), 'n_tickets': Ticket.objects.count(), "
    "'venues': sorted(Venue.objects.values_list('name', flat=True))}))"
)


def test_shell_in_a_show_implies_its_organizer_and_isolates_both_dimensions():
    done = cli("shell", "--event__slug=winter-expo", "-c", SHOW_CODE)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert data == {
        "event": "winter-expo",
        "organizer": "globex",
        "pk_is_uuid": True,
        "shows": ["spring-gala", "winter-expo"],
        "tickets": ["winter-expo"],
        "n_tickets": 4,
        "venues": ["Globex Live Hall A", "Globex Live Hall B"],
    }


def test_shell_in_a_custom_backend_workspace():
    code = (
        "import json; print(json.dumps({'workspace': workspace.key, 'organizer': organizer.handle, "
        "'notes': sorted(Note.objects.values_list('title', flat=True)), "
        "'comments': Comment.objects.count(), 'all_notes': Note.all_objects.count()}))"
    )
    done = cli("shell", "--workspace__key=acme-ops", "-c", code)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert data == {
        "workspace": "acme-ops",
        "organizer": "acme",
        "notes": ["Acme Ops note 0", "Acme Ops note 1", "Acme Ops note 2"],
        "comments": 6,
        "all_notes": 9,  # the unconstrained manager beside it is not scoped
    }
    activations = [
        r
        for r in audit_records()
        if r["action"] == "scope_activated"
        and any(t["dimension"] == "workspace" and t["label"] == "Acme Ops" for t in r["scope"]["tenants"])
    ]
    assert activations, "activating a custom-backend tenant is audited"
    assert activations[-1]["settings"] == "saasproj.settings"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--event__slug=spring-gala"], "several ticketing.Show rows match"),
        (
            ["--organiser=acme"],
            "Unknown option --organiser for 'shell'. Did you mean the scope option --organizer=...?",
        ),
        (["--organizer=acme"], "is not a valid value for 'pk' of ticketing.Account"),
        (["--organizer__handle=acm"], "no ticketing.Account matches. Closest tenants: Acme Events [acme]."),
        (
            ["--event__slug=winter-expo", "--workspace__key=acme-ops"],
            "belongs to the organizer 'Acme Events [acme]', but the organizer 'Globex Live [globex]' "
            "(implied by the event 'Winter Expo (winter-expo)') is also in the selection",
        ),
    ],
    ids=["ambiguous", "unknown-dimension", "bad-uuid", "no-match", "contradiction"],
)
def test_shell_scope_mistakes(flags, expected):
    done = cli("shell", *flags, "-c", "print('should not run')")
    assert done.returncode == 2
    assert "should not run" not in done.stdout
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_shell_with_scopes_disabled_uses_the_custom_disable_callable_and_is_audited():
    code = "print(Note.objects.count(), Comment.objects.count(), Ticket.objects.count())"
    done = cli("shell", "--disabled", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "9 18 20"
    assert any(r["action"] == "scopes_disabled" and r["settings"] == "saasproj.settings" for r in audit_records())


def test_an_organizer_export_holds_every_row_models_counts_in_scope(tmp_path):
    """With only the organizer chosen, the export and ``models`` use the same filter (implied paths included).

    Shows, tickets, workspaces and their notes reach the organizer through implied dimensions; the export
    once built its own filter without them and left 20 counted rows out.
    """
    data = cli_json("models", "--json", "--organizer__handle=acme")
    counted = {row["model"].lower(): row["count"] for row in data["models"]
               if (row["scoped"] or row["tenant_model_of"]) and row["count"]}
    out = tmp_path / "acme.jsonl"
    done = cli("export", "--organizer__handle=acme", "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    exported = json.loads(done.stdout)["counts"]
    assert {label: exported.get(label, 0) for label in counted} == counted
    assert counted["notes.note"] and counted["ticketing.ticket"] and counted["notes.workspace"]
