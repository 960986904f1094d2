"""``graph`` and ``audit`` commands, in-process, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json

import pytest

from tenant_console.cli.main import main

pytestmark = pytest.mark.mariadb


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--settings", "tests.settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_graph_human(capsys, db_alias, planted) -> None:
    code, out, err = _run(capsys, "--database", db_alias, "graph", f"conference.Submission.{planted.submission_id}")
    assert code == 0, err
    assert f"Closure of conference.submission:{planted.submission_id}" in out
    assert "relative to event" in out and "PyCon Nordic (pycon-nordic)" in out
    assert "References between tenants (1):" in out
    assert f"--reviews--> conference.review:{planted.pk}" in out
    assert "Shared objects" in out and "auth.user" in out
    assert " queries, " in out


def test_graph_json_with_scope_flag(capsys, db_alias, planted, event_pks) -> None:
    code, out, err = _run(capsys, "--database", db_alias, "graph", f"conference.Review.{planted.pk}",
                          "--event__slug=pycon-nordic", "--json", "--depth", "1", "--exclude", "auth.User")
    assert code == 0, err
    data = json.loads(out)
    assert data["reference_tenant"] == {"event": event_pks["pycon-nordic"]}
    assert data["classification"]["conference.review"] == {"other-tenant": 1}
    assert data["classification"]["conference.submission"] == {"tenant": 1}
    assert "auth.user" not in data["counts"]
    assert data["rules"]["depth"] == 1 and data["rules"]["exclude"] == ["auth.user"]
    assert data["queries"] > 0 and data["cross_tenant_edges"][0]["relation"] == "submission"
    assert data["tenant_labels"]["event"][str(event_pks["democon"])] == "DemoCon 2026 (democon)"


def test_graph_edges_json(capsys, planted) -> None:
    code, out, _ = _run(capsys, "graph", f"conference.Submission.{planted.submission_id}", "--json", "--edges")
    assert code == 0
    data = json.loads(out)
    assert len(data["edge_list"]) == data["edges"] and len(data["node_list"]) == data["nodes"]


@pytest.mark.parametrize(("spec", "message"), [
    ("conference.Submision.1", "Did you mean 'conference.Submission'?"),
    ("conference.Submission", "is not an object; write app_label.Model.pk"),
    ("conference.Submission.abc", "'abc' is not a valid primary key for conference.Submission"),
    ("conference.Resource.123", "not a valid primary key for conference.Resource (its primary key is a UUIDField)"),
    ("conference.Submission.999999", "No such object: conference.Submission.999999"),
])
def test_graph_bad_specs(capsys, spec: str, message: str) -> None:
    code, out, err = _run(capsys, "graph", spec)
    assert code == 2 and not out
    assert message in err and "Traceback" not in err


def test_graph_bad_options(capsys) -> None:
    code, _, err = _run(capsys, "graph", "conference.Event.1", "--exclude", "conference.Evnt")
    assert code == 2 and "Did you mean 'conference.Event'?" in err
    code, _, err = _run(capsys, "graph", "conference.Event.1", "--depth", "-1")
    assert code == 2 and "--depth must be 0 or more" in err


def test_audit_finds_the_planted_review(capsys, db_alias, planted) -> None:
    code, out, err = _run(capsys, "--database", db_alias, "audit")
    assert code == 1, err
    assert "References between tenants on" in out and ": 1" in out
    assert f"conference.Review.{planted.pk}" in out and f"conference.Submission.{planted.submission_id}" in out
    assert "DemoCon 2026 (democon)" in out and "PyCon Nordic (pycon-nordic)" in out
    code, out, _ = _run(capsys, "--database", db_alias, "audit", "--json", "--dimension", "event")
    assert code == 1
    data = json.loads(out)
    assert data["clean"] is False and data["total"] == 1
    assert data["findings"][0]["relation"] == "conference.Review.submission"


def test_audit_clean_database_exits_0(capsys, target_alias) -> None:
    from conference.seeding import seed

    seed(target_alias, events=1, submissions=3)  # one event: nothing to plant
    code, out, err = _run(capsys, "--database", target_alias, "audit")
    assert code == 0, err
    assert out.startswith("No references between tenants")


def test_audit_bad_dimension(capsys) -> None:
    code, _out, err = _run(capsys, "audit", "--dimension", "evnt")
    assert code == 2 and "Did you mean 'event'?" in err
