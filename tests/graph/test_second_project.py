"""graph and audit on the second test project (two dimensions, UUID tenant pk, a custom backend).

saasproj runs in subprocesses (Django cannot be configured twice in one
process). The tests work on a copy of its database, so planting a
cross-tenant reference there changes nothing for other tests.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.core import second_project


@pytest.fixture
def saas_copy(tmp_path: Path) -> dict[str, str]:
    source = second_project.build()
    copy = tmp_path / "saasproj.sqlite3"
    shutil.copy(source, copy)
    env = second_project.environment()
    env["SAASPROJ_DB"] = str(copy)
    env["SAASPROJ_STATE_DIR"] = str(tmp_path / "state")
    return env


def _sql(env: dict[str, str], sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(env["SAASPROJ_DB"]) as conn:
        rows = conn.execute(sql, params).fetchall()
    return rows


def test_audit_clean_then_finds_a_planted_venue(saas_copy) -> None:
    done = second_project.cli("audit", "--json", env=saas_copy)
    assert done.returncode == 0, done.stderr
    clean = json.loads(done.stdout)
    assert clean["clean"] is True
    assert "ticketing.Ticket.venue [organizer]" in clean["checks"]
    # Point an Acme ticket at a Globex venue.
    (ticket_id,) = _sql(saas_copy, "SELECT id FROM ticketing_ticket WHERE code LIKE 'ACM-%' ORDER BY id LIMIT 1")[0]
    (venue_id,) = _sql(saas_copy, "SELECT v.id FROM ticketing_venue v JOIN ticketing_account a ON a.id = v.account_id "
                                  "WHERE a.handle = 'globex' ORDER BY v.id LIMIT 1")[0]
    _sql(saas_copy, "UPDATE ticketing_ticket SET venue_id = ? WHERE id = ?", venue_id, ticket_id)
    done = second_project.cli("audit", "--json", env=saas_copy)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["total"] == 1
    finding = data["findings"][0]
    assert finding["dimension"] == "organizer" and finding["relation"] == "ticketing.Ticket.venue"
    assert finding["source"] == f"ticketing.Ticket.{ticket_id}"
    assert finding["source_tenant"]["label"] == "Acme Events [acme]"
    assert finding["target_tenant"]["label"] == "Globex Live [globex]"
    only_event = second_project.cli("audit", "--dimension", "event", env=saas_copy)
    assert only_event.returncode == 0, only_event.stderr

    graph = second_project.cli("graph", f"ticketing.Ticket.{ticket_id}", "--json", env=saas_copy)
    assert graph.returncode == 0, graph.stderr
    closure = json.loads(graph.stdout)
    assert set(closure["reference_tenant"]) == {"event", "organizer"}  # both dimensions of the root
    assert closure["classification"]["ticketing.venue"] == {"other-tenant": 1}
    assert closure["classification"]["ticketing.show"] == {"tenant": 1}
    assert closure["classification"]["ticketing.account"] == {"tenant": 1}  # UUID tenant pk
    assert [(c["relation"], c["dimensions"]) for c in closure["cross_tenant_edges"]] == [("venue", ["organizer"])]


def test_graph_of_a_custom_backend_tenant(saas_copy) -> None:
    """Workspaces are tenants of a non-django-scopes backend; their notes belong to them."""
    (ws_id,) = _sql(saas_copy, "SELECT id FROM notes_workspace WHERE key = 'acme-ops'")[0]
    done = second_project.cli("graph", f"notes.Workspace.{ws_id}", "--from-tenant", "--json", env=saas_copy)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["counts"]["notes.note"] == 3 and data["counts"]["notes.comment"] == 6
    assert data["classification"]["notes.comment"] == {"tenant": 6}
    assert data["cross_tenant_edges"] == []
