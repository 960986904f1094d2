"""Searching tenants whose name is translatable text (JSON in a TextField, as django-i18nfield stores it)."""

from __future__ import annotations

from tests.core.edge_project import cli_json


def _search(db: dict[str, str], text: str) -> tuple[list[str], list[str]]:
    data = cli_json(db, "tenants", "--search", text, "--json")["dimensions"]["festival"]
    return data["search_fields"], [t["label"] for t in data["tenants"]]


def test_search_matches_a_translatable_name(edge_db):
    fields, labels = _search(edge_db, "DemoCon")
    assert "name" in fields and "api_token" not in fields
    assert labels[0] == "DemoCon (democon)"
    # Only in the name (another translation), not in the slug:
    assert _search(edge_db, "konferenz")[1] == ["DemoCon (democon)"]
    # Non-ASCII text, stored escaped inside the JSON:
    assert _search(edge_db, "Düsseldorf")[1] == ["Düsseldorf Days (dtage)"]
    # Secrets are never searched:
    assert _search(edge_db, "secret-token")[1] == []

