"""Cloning saasproj's largest organizer inside its own database (issue 12: a clone on every test project).

saasproj has two dimensions: an organizer (``ticketing.Account``, UUID primary key) and its shows
(events); tickets carry a globally unique ``code``, shows a per-organizer unique slug. The clone runs on
a copy of the seeded database, so the other saasproj tests keep theirs.
"""

from __future__ import annotations

import json
import shutil

from tests.core.second_project import build, cli, environment


def _counts(env: dict[str, str], handle: str) -> dict[str, int]:
    done = cli("models", "--json", f"--organizer__handle={handle}", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["models"]
    return {r["model"]: r["count"] for r in rows
            if r["model"].startswith("ticketing.") and "organizer" in (r.get("dimensions") or {})}


def test_clone_of_the_largest_organizer(tmp_path):
    db = tmp_path / "saasproj.sqlite3"
    shutil.copyfile(build(), db)
    env = {**environment(), "SAASPROJ_DB": str(db)}
    before = _counts(env, "acme")
    assert sum(before.values()) > 10
    path = tmp_path / "acme.jsonl.gz"
    done = cli("export", "--organizer__handle=acme", "-o", str(path), "--json", env=env)
    assert done.returncode == 0, done.stderr
    done = cli("import", str(path), "--new-tenant", "handle=acme-copy", "--apply", "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    assert any("code" in fields for fields in report["renamed"].values()), report["renamed"]
    assert _counts(env, "acme-copy") == before
    assert _counts(env, "acme") == before
