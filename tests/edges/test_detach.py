"""``detach``: a clone whose nullable reference points into another tenant is copied without it (issue 12).

An opsfest talk is marked as a duplicate of a democon talk (``duplicate_of``, a nullable FK). The
export keeps the talk and lists the reference as dangling; cloned as a new festival, the talk would
point into democon: a ``cross_tenant_reference`` that ``detach`` resolves by setting it to NULL.
"""

from __future__ import annotations

import json

from tests.core.edge_project import cli, probe

PLANT = """UPDATE fest_talk SET duplicate_of_id = (
    SELECT t.id FROM fest_talk t JOIN fest_festival f ON f.id = t.festival_id WHERE f.slug = 'democon'
    ORDER BY t.id LIMIT 1)
WHERE id = (SELECT t.id FROM fest_talk t JOIN fest_festival f ON f.id = t.festival_id WHERE f.slug = 'opsfest'
            ORDER BY t.id LIMIT 1)"""


def test_detach_copies_the_object_without_its_reference_into_another_tenant(edge_db, tmp_path):
    before = probe(edge_db, PLANT)
    assert before["cross"]["opsfest"] == 1
    path = tmp_path / "opsfest.jsonl.gz"
    done = cli(edge_db, "export", "--festival__slug=opsfest", "--cross-tenant", "omit", "-o", str(path), "--json")
    assert done.returncode == 0, done.stderr
    done = cli(edge_db, "import", str(path), "--new-tenant", "slug=opsfest-copy", "--json")
    assert done.returncode == 1  # undecided: the reference into democon
    (undecided,) = json.loads(done.stdout)["undecided"]
    assert undecided["class"] == "cross_tenant_reference"
    assert undecided["possible"] == ["skip", "detach", "allow_cross_tenant"]
    assert undecided["cross_tenant"][0]["field"] == "duplicate_of" and undecided["cross_tenant"][0]["detachable"]
    done = cli(edge_db, "import", str(path), "--new-tenant", "slug=opsfest-copy", "--default",
               "cross_tenant_reference=detach", "--apply", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    assert [d["ref"] for d in report["detached"]] == [undecided["ref"]]
    after = probe(edge_db)
    assert after["counts"]["opsfest-copy"] == before["counts"]["opsfest"]  # the talk is copied...
    assert after["cross"]["opsfest-copy"] == 0  # ...without the reference into democon
    assert after["rows"]["opsfest"] == before["rows"]["opsfest"] and after["cross"]["opsfest"] == 1
    # audit finds the planted reference of the source, and none in the copy.
    done = cli(edge_db, "audit", "--json")
    found = json.loads(done.stdout)
    assert [f["source_tenant"]["label"] for f in found["findings"]] == ["OpsFest (opsfest)"], found
