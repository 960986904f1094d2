"""``move``: SQLite -> PostgreSQL, PostgreSQL -> PostgreSQL, PostgreSQL -> MariaDB; verify, delete, roll back."""

from __future__ import annotations

import json
import os
import stat

import pytest

pytestmark = pytest.mark.mariadb

PAIRS = [
    pytest.param(("target", "postgres_target", True), id="sqlite-postgres"),
    pytest.param(("postgres", "postgres_target", False), id="postgres-postgres"),
    pytest.param(("postgres_target", "mariadb_target", True), id="postgres-mariadb"),
]


def audit_moves(pair) -> list[dict]:
    return [r for r in pair.project.audit.read() if r.get("action") == "move"]


@pytest.mark.parametrize("pair", PAIRS, indirect=True)
def test_move_copies_every_row_and_verifies(pair):
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    others = pair.totals(pair.source)
    r = pair.move("--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["phase"] == "done"
    after = pair.digest(pair.target, pk)
    assert after.as_dict() == before.as_dict()  # counts, links and checksums, computed on the target
    assert after.total > 100
    assert out["target_digest"] == before.as_dict()
    assert pair.totals(pair.source) == others  # the source is kept without --delete-source
    j = pair.tmp / "j" / "journal.json"
    assert stat.S_IMODE(os.stat(j).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(pair.tmp / "j").st_mode) == 0o700
    assert pair.journal()["phase"] == "done"
    status = pair.cli("move", "--status", str(j))
    assert status.returncode == 0, status.stderr
    assert "The tenant is in BOTH databases" in status.stdout and "a verified copy" in status.stdout
    # rollback removes the copy from the target; the source is not touched
    rb = pair.cli("move", "--rollback", str(j))
    assert rb.returncode == 0, rb.stderr
    assert pair.digest(pair.target, pk).total == 0
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()
    assert pair.journal()["phase"] == "rolled_back"


@pytest.mark.parametrize("pair", [PAIRS[0], PAIRS[2]], indirect=True)
def test_move_with_delete_source_then_rollback_restores_the_source(pair):
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    others = {k: v for k, v in pair.totals(pair.source).items() if k != "djangocon-lab"}
    r = pair.move("--delete-source", "--confirm-tenant", "djangocon-lab")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "checksum equal" in r.stdout and " NO" not in r.stdout
    assert pair.digest(pair.source, pk).total == 0  # deleted from the source, every model
    assert pair.digest(pair.target, pk).as_dict() == before.as_dict()
    assert {k: v for k, v in pair.totals(pair.source).items()} == others  # other tenants untouched
    journal = pair.journal()
    assert journal["deleted"]["committed"] is True
    backup = pair.tmp / "j" / journal["deleted"]["backup"]
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    status = pair.cli("move", "--status", str(pair.tmp / "j"))
    assert f"The tenant is in {pair.target} only" in status.stdout
    rb = pair.cli("move", "--rollback", str(pair.tmp / "j" / "journal.json"))
    assert rb.returncode == 0, rb.stdout + rb.stderr
    assert pair.digest(pair.source, pk).as_dict() == before.as_dict()  # restored exactly as exported
    assert pair.digest(pair.target, pk).total == 0
    moves = [r for r in audit_moves(pair) if r.get("move") == journal["id"]]
    assert [m["outcome"] for m in moves] == ["started", "ok", "started", "ok"]
    assert [m["mode"] for m in moves] == ["move", "move", "rollback", "rollback"]


@pytest.mark.parametrize("pair", [PAIRS[0]], indirect=True)
def test_bad_input_is_one_paragraph_and_does_nothing(pair, tmp_path):
    def refused(*args: str, code: int = 2, words: str = "") -> str:
        r = pair.cli("move", *args)
        assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.startswith("tenant-console: error: ")
        assert r.stderr.strip().count("\n") == 0, r.stderr
        assert words in r.stderr, (words, r.stderr)
        return r.stderr

    T = "--event__slug=djangocon-lab"
    refused(T, "--from", pair.source, "--to", "shard9", words="'shard9' is not a database")
    refused(T, "--from", pair.source, "--to", pair.source, words="needs two databases")
    refused(T, "--from", pair.source, words="--to ALIAS")
    refused("--to", pair.target, words="Choose the tenant")
    refused("--event__slug=nope", "--from", pair.source, "--to", pair.target, code=2)
    refused(T, "--from", pair.source, "--to", pair.target, "--delete-source", code=1,
            words="--confirm-tenant djangocon-lab")
    refused(T, "--from", pair.source, "--to", pair.target, "--delete-source",
            "--confirm-tenant", "opsfest", code=1, words="does not name the tenant")
    # a tenant that references another tenant's rows is not moved (the export refuses, nothing written)
    r = pair.cli("move", "--event__slug=democon", "--from", pair.source, "--to", pair.target, "--journal",
                 str(tmp_path / "dm"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1].startswith("tenant-console: error: The export stopped before writing anything")
    assert json.loads((tmp_path / "dm" / "journal.json").read_text())["phase"] == "planned"
    assert pair.digest(pair.target, pair.event_pk()).total == 0
    # a journal of another tenant
    r = pair.move(slug="opsfest")
    assert r.returncode == 0, r.stderr
    refused("--status", str(pair.tmp / "j" / "journal.json"), T, words="not of the tenant")
    # hostile journals
    good = (pair.tmp / "j" / "journal.json").read_text()
    hostile = tmp_path / "hostile"
    hostile.mkdir(mode=0o700)
    path = hostile / "journal.json"

    def planted(text: str, mode: int = 0o600) -> str:
        path.unlink(missing_ok=True)
        path.write_text(text)
        os.chmod(path, mode)
        return str(path)

    refused("--rollback", planted(good, 0o644), words="can be read or written by other users")
    refused("--rollback", planted("[1, 2"), words="not a journal")
    refused("--rollback", planted(json.dumps({"format": "x"})), words="damaged or not a move journal")
    data = json.loads(good)
    data["export"]["file"] = "../../etc/passwd"
    refused("--resume", planted(json.dumps(data)), words="does not name a file beside the journal")
    data = json.loads(good)
    data["target"]["db"]["name"] = "elsewhere"
    refused("--rollback", planted(json.dumps(data)), words="written for another target database")
    data = json.loads(good)
    data["source"]["alias"] = "nowhere"
    refused("--rollback", planted(json.dumps(data)), words="not in DATABASES")
    data = json.loads(good)
    data["source_digest"]["conference.event"]["count"] = "1"
    refused("--rollback", planted(json.dumps(data)), words="whole-number count")
    link = hostile / "link.json"
    link.symlink_to(pair.tmp / "j" / "journal.json")
    refused("--status", str(link), words="not a regular file")
    refused("--status", str(tmp_path / "missing.json"), words="cannot be read")
    refused("--status", str(pair.tmp / "j" / "journal.json"), "--to", pair.target, words="is for a new move")
    # nothing of djangocon-lab was written anywhere by the refused commands; the opsfest move is intact
    assert pair.digest(pair.target, pair.event_pk()).total == 0
    assert json.loads((pair.tmp / "j" / "journal.json").read_text())["phase"] == "done"


@pytest.mark.parametrize("pair", [PAIRS[0]], indirect=True)
def test_without_from_the_projects_router_says_where_the_tenant_lives(pair):
    """A router-sharded project: without --from, the tenant is looked up on --database and the project's own
    DATABASE_ROUTERS (db_for_write with the tenant as instance hint) name its shard, which becomes the source."""
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    r = pair.cli("--settings", "tests.move.router_settings", "move", "--event__slug=djangocon-lab", "--to",
                 pair.target, "--journal", str(pair.tmp / "j"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "The project's router tests.move.router_settings.ShardRouter puts DjangoCon Lab" in r.stdout
    assert f"in '{pair.source}' (--from {pair.source})" in r.stdout
    assert pair.journal()["source"]["alias"] == pair.source == "target"
    assert pair.journal()["options"]["routed_by"] == "tests.move.router_settings.ShardRouter"
    assert pair.digest(pair.target, pk).as_dict() == before.as_dict()


@pytest.mark.parametrize("pair", [PAIRS[1]], indirect=True)
def test_move_with_jobs_exports_on_several_connections_of_one_snapshot(pair):
    pk = pair.event_pk()
    before = pair.digest(pair.source, pk)
    r = pair.move("--jobs", "2", "--json")
    assert r.returncode == 0, r.stderr
    assert pair.journal()["options"]["jobs"] == 2
    assert pair.digest(pair.target, pk).as_dict() == before.as_dict()
    export = [x for x in pair.project.audit.read() if x.get("action") == "export" and x.get("outcome") == "ok"]
    assert export[-1].get("jobs") == 2


@pytest.mark.parametrize("pair", [PAIRS[0]], indirect=True)
def test_jobs_on_a_sqlite_source_is_refused_before_anything(pair):
    r = pair.move("--jobs", "2")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "cannot share a snapshot" in r.stderr and r.stderr.count("\n") == 1
    assert not (pair.tmp / "j").exists()
