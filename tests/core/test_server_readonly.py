"""Server-enforced read-only: ``TENANT_CONSOLE["READONLY_DATABASE"]`` names an alias that connects
as a read-only role; read-only sessions use it, writable work goes to the project's database, and
the console checks the role's privileges (a real role created on the test PostgreSQL)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from conference.models import Organiser
from django.conf import settings
from django.db import connections

from tenant_console.core.errors import ReadOnlyBreach, ReadOnlyViolation
from tenant_console.core.readonly import server_read_only
from tests import pg
from tests.core.readonly_attacks import bare_cursor

ALIAS = "postgres_ro"


@pytest.fixture(scope="module")
def ro_role() -> Iterator[str]:
    from tests.conftest import _alias_or_skip

    _alias_or_skip("postgres")
    role = f"tc_ro_{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["postgres"]["NAME"]
    pg.admin(f'CREATE ROLE "{role}" LOGIN')
    pg.admin_db(db, f'GRANT USAGE ON SCHEMA public TO "{role}"; '
                    f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    yield role
    connections_close(ALIAS)
    pg.admin_db(db, f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"; '
                    f'REVOKE ALL ON SCHEMA public FROM "{role}"')
    pg.admin(f'DROP ROLE IF EXISTS "{role}"')


def connections_close(alias: str) -> None:
    if alias in connections.settings:
        connections[alias].close()


@pytest.fixture
def replica(ro_role, monkeypatch) -> Iterator[str]:
    """The alias ``postgres_ro``: the test database, as the read-only role."""
    cfg = {**connections.settings["postgres"], "USER": ro_role, "PASSWORD": ""}
    monkeypatch.setitem(connections.settings, ALIAS, cfg)
    monkeypatch.setitem(settings.DATABASES, ALIAS, cfg)
    monkeypatch.setattr(settings, "TENANT_CONSOLE", {**settings.TENANT_CONSOLE, "READONLY_DATABASE": ALIAS})
    yield ALIAS
    connections_close(ALIAS)


def _project(project, replica: str):
    config = dataclasses.replace(project.config, readonly_database=replica)
    return dataclasses.replace(project, alias="postgres", vendor="postgresql", config=config)


def test_read_only_sessions_use_the_replica_and_writes_go_to_the_primary(project, replica):
    p = _project(project, replica)
    s = p.session("server-ro")
    try:
        assert (s.alias, s.writable_alias) == (replica, "postgres")
        assert s.run(server_read_only, replica, scoped=False).enforced
        assert s.run(lambda: Organiser.objects.count()) > 0
        with pytest.raises(ReadOnlyViolation):
            s.run(lambda: Organiser.objects.create(name="x", slug="tc-server-ro"))

        refused: list[str] = []

        def raw_escape() -> None:  # past every console layer: the role has no INSERT privilege
            conn = connections[replica]
            conn.ensure_connection()
            cur = bare_cursor(conn.connection)  # below the console's driver guard too
            cur.execute("ROLLBACK")
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
            cur.execute("COMMIT")
            try:
                cur.execute("INSERT INTO conference_organiser (name, slug) VALUES ('x', 'tc-server-ro')")
            except Exception as exc:
                refused.append(str(exc))

        with pytest.raises(ReadOnlyBreach):  # the block's transaction was ended: reported
            s.run(raw_escape)
        assert refused and "permission denied" in refused[0]  # and the server refused the write
        # writable work uses the primary, under the session's alias
        s.run(lambda: Organiser.objects.create(name="x", slug="tc-server-rw").pk, readonly=False)
    finally:
        s.close()
    assert Organiser.objects.using("postgres").filter(slug="tc-server-rw").count() == 1
    assert Organiser.objects.using("postgres").filter(slug="tc-server-ro").count() == 0
    Organiser.objects.using("postgres").filter(slug="tc-server-rw").delete()
    connections["postgres"].close()


def test_the_privilege_check_says_why_a_role_can_write(project, replica):
    s = project.session("server-check", alias="postgres")
    try:
        result = s.run(server_read_only, "postgres", scoped=False)
    finally:
        s.close()
    assert not result.enforced
    assert any("superuser" in r for r in result.reasons)
    assert result.describe() == "read-only (enforced by the console)"


def test_shell_banner_and_warning(replica, capsys):
    from tenant_console.cli.main import main

    code = main(["--settings", "tests.settings", "--database", "postgres", "shell", "--event__slug=democon", "-c",
                 "print(Organiser.objects.all().db)"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip() == ALIAS  # the input ran on the replica alias...
    assert "READONLY_DATABASE" not in err  # ...and the role is read-only on the server: no warning
