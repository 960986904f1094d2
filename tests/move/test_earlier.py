"""Finding the current tenant's earlier move (what the console's ``:move`` shows): journals written by moves,
one of another tenant, another target, other databases, a rolled-back one, a damaged one, a newer one."""

from __future__ import annotations

import os
from pathlib import Path

from tenant_console.core.audit import database_identity
from tenant_console.core.move import load_journal, new_journal
from tenant_console.core.move.earlier import earlier_move

TENANT = {"event": "3"}


def _journal(project, folder: Path, *, tenant=TENANT, target="target", db=None, created="2026-01-01T00:00:00+00:00"):
    j = new_journal(folder, settings=project.settings_module, tenant=tenant, tenant_label="DjangoCon Lab",
                    tenant_slug="djangocon-lab", source={"alias": "default", "db": database_identity("default")},
                    target={"alias": target, "db": db or database_identity(target)},
                    options={"delete_source": False, "cross_tenant": "refuse", "defaults": [], "decisions": None,
                             "jobs": 1, "routed_by": None})
    j.created = created
    j.save()
    return j


def test_the_newest_move_of_this_tenant_to_this_target_that_is_not_rolled_back(project, tmp_path):
    moves = tmp_path / "moves"
    old = _journal(project, moves / "a-old", created="2026-01-01T00:00:00+00:00")
    new = _journal(project, moves / "b-new", created="2026-02-01T00:00:00+00:00")
    _journal(project, moves / "c-other-tenant", tenant={"event": "4"}, created="2026-03-01T00:00:00+00:00")
    _journal(project, moves / "d-other-target", target="default", created="2026-03-01T00:00:00+00:00")
    _journal(project, moves / "e-other-db", db={"vendor": "sqlite", "host": None, "port": None, "name": "/x.db"},
             created="2026-03-01T00:00:00+00:00")
    rolled = _journal(project, moves / "f-rolled-back", created="2026-04-01T00:00:00+00:00")
    rolled.set_phase("rolled_back")
    damaged = _journal(project, moves / "g-damaged", created="2026-05-01T00:00:00+00:00")
    os.chmod(damaged.path, 0o644)  # others could have written it: not trusted

    found = earlier_move(tmp_path, project.settings_module, project.registry, {"event": 3}, "default", "target")
    assert found.journal is not None and found.journal.path == new.path.resolve()
    assert found.unreadable == [str(damaged.path)]
    anywhere = earlier_move(tmp_path, project.settings_module, project.registry, TENANT, "default", None)
    assert anywhere.journal is not None and anywhere.journal.target_alias == "default"  # the newest, any target

    new.set_phase("rolled_back")
    found = earlier_move(tmp_path, project.settings_module, project.registry, TENANT, "default", "target")
    assert found.journal is not None and found.journal.path == old.path.resolve()
    assert earlier_move(tmp_path, "other.settings", project.registry, TENANT, "default", "target").journal is None


def test_a_journal_folder_given_is_the_only_place_looked_at(project, tmp_path):
    _journal(project, tmp_path / "moves" / "default-place")
    given = _journal(project, tmp_path / "elsewhere")
    found = earlier_move(tmp_path, project.settings_module, project.registry, TENANT, "default", "target",
                         tmp_path / "elsewhere")
    assert found.journal is not None and found.journal.id == load_journal(given.path).id
    empty = earlier_move(tmp_path, project.settings_module, project.registry, TENANT, "default", "target",
                         tmp_path / "nothing-here")
    assert empty.journal is None and empty.unreadable == []
    assert earlier_move(tmp_path / "none", project.settings_module, project.registry, TENANT, "default",
                        "target").journal is None
