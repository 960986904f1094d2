"""An untouched export imported back plans as all ``identical`` (issue 10, item 6).

edgeproj has values whose database and Python forms differ: a translatable title that stores
NULL and reads back ``""``, a JSON object holding floats (``1.0``, ``[1.0, 2, 0.5]``), a float
column, and a translatable name stored as JSON text. Every comparison goes through one normal
form (``tenant_console.core.importer.values``).
"""

from __future__ import annotations

from pathlib import Path

from tests.core.edge_project import cli, is_postgres, probe


def _export(db: dict[str, str], tmp_path: Path) -> Path:
    out = tmp_path / "democon.jsonl.gz"
    done = cli(db, "export", "--festival__slug=democon", "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    return out


def _plan(db: dict[str, str], path: Path) -> dict:
    done = cli(db, "import", str(path), "--json")
    import json

    return json.loads(done.stdout)  # exit 1 while conflicts are undecided, the plan is printed either way


def test_untouched_reimport_is_all_identical(edge_db, tmp_path):
    before = probe(edge_db)
    assert any(r["title"] is None for r in before["rows"]["democon"]["fest.talk"])  # NULL that reads back ""
    path = _export(edge_db, tmp_path)
    plan = _plan(edge_db, path)
    assert plan["totals"]["identical"] == 34
    assert {k: v for k, v in plan["totals"].items() if v and k != "identical"} == {}
    # Applying it changes nothing and succeeds.
    done = cli(edge_db, "import", str(path), "--apply", "--json")
    assert done.returncode == 0, done.stderr
    assert probe(edge_db)["rows"] == before["rows"]


def test_a_json_float_read_back_as_an_integer_is_the_same_value(edge_db, tmp_path):
    path = _export(edge_db, tmp_path)
    # The database now holds 1 where the export wrote 1.0 (and 3 for 3.0 inside a nested object).
    if is_postgres(edge_db):
        sql = "UPDATE fest_talk SET data = jsonb_set(jsonb_set(data, '{score}', '1'), '{nested,x}', '3')"
    else:
        sql = "UPDATE fest_talk SET data = json_set(data, '$.score', 1, '$.nested.x', 3)"
    after = probe(edge_db, sql)
    assert all(r["data"]["score"] == 1 and isinstance(r["data"]["score"], int)
               for r in after["rows"]["democon"]["fest.talk"])
    plan = _plan(edge_db, path)
    assert plan["totals"]["changed"] == 0 and plan["totals"]["identical"] == 34


def test_a_real_change_is_still_a_change(edge_db, tmp_path):
    path = _export(edge_db, tmp_path)
    if is_postgres(edge_db):
        sql = "UPDATE fest_talk SET data = jsonb_set(data, '{ratio}', '2.75'), title = NULL WHERE number = 2"
    else:
        sql = "UPDATE fest_talk SET data = json_set(data, '$.ratio', 2.75), title = NULL WHERE number = 2"
    probe(edge_db, sql)
    plan = _plan(edge_db, path)
    assert plan["totals"]["changed"] == 1
    (conflict,) = plan["undecided"]
    assert sorted(d["field"] for d in conflict["diff"]) == ["data", "title"]
