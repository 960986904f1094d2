"""The read-only layer on real SQLite and PostgreSQL.

Every way of writing that a console user (or their REPL code) could try is run
inside a read-only session and must be refused with ReadOnlyViolation naming the
statement kind; then the database is compared with a fingerprint taken before:
byte for byte (SQLite file hash) or row for row (PostgreSQL: per-table counts,
a checksum over every row, and every sequence's position). The database layer
is also tested alone, with the statement guard switched off.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
from conference.models import ActivityLog, ChoiceQuestion, Event, Submission, Tag, Track
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django_scopes import scopes_disabled

from tenant_console.core.errors import ConsoleError, ReadOnlyViolation
from tenant_console.core.readonly import ReadOnlyBreached, database_refusal, read_only
from tests import pg


# -- fingerprints -------------------------------------------------------------------------------
def _pg_connect(alias: str) -> Any:
    conn = psycopg2.connect(dbname=settings.DATABASES[alias]["NAME"], connect_timeout=5, **pg.params())
    conn.autocommit = True
    return conn


def fingerprint(alias: str) -> Any:
    """SQLite: sha256 of the database file. PostgreSQL: rows and sequences of every table."""
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        path = Path(settings.DATABASES[alias]["NAME"])
        extra = [p.name for p in path.parent.glob(path.name + "-*")]  # -journal / -wal left behind
        return hashlib.sha256(path.read_bytes()).hexdigest(), extra
    conn = _pg_connect(alias)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            tables = [r[0] for r in cur.fetchall()]
            state: dict[str, Any] = {}
            for table in tables:
                cur.execute(
                    f'SELECT count(*), md5(coalesce(string_agg(t::text, E\'\\n\' ORDER BY t::text), \'\')) '
                    f'FROM public."{table}" t'
                )
                state[table] = cur.fetchone()
            cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' "
                        "ORDER BY sequencename")
            state["<sequences>"] = cur.fetchall()
            return state
    finally:
        conn.close()


# -- the writes ---------------------------------------------------------------------------------
def _democon() -> Event:
    return Event.objects.get(slug="democon")


def _raw(sql: str) -> Callable[[], Any]:
    def run() -> Any:
        with connections[_alias()].cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None

    run.__name__ = sql
    return run


def _alias() -> str:
    from tenant_console.core.routing import _current_alias

    alias = _current_alias.get()
    assert alias, "runs on a session thread only"
    return alias


def _m2m_add() -> None:
    sub = Submission.objects.order_by("pk").first()
    tag = Tag.objects.exclude(submissions=sub).order_by("pk").first()
    sub.tags.add(tag)


def _save() -> None:
    track = Track.objects.order_by("pk").first()
    track.name = "changed"
    track.save()


def _save_child() -> None:  # multi-table inheritance: two tables
    q = ChoiceQuestion.objects.order_by("pk").first()
    q.options = ["changed"]
    q.save()


ORM_WRITES: dict[str, tuple[Callable[[], Any], set[str]]] = {
    "save": (_save, {"UPDATE"}),
    "save_child": (_save_child, {"UPDATE"}),
    "create": (lambda: Track.objects.create(event=_democon(), name="new track"), {"INSERT"}),
    "get_or_create": (lambda: Tag.objects.get_or_create(event=_democon(), tag="brand-new"), {"SAVEPOINT", "INSERT"}),
    "update": (lambda: Track.objects.update(name="x"), {"UPDATE"}),
    "update_shared": (lambda: Event.objects.filter(slug="democon").update(name="x"), {"UPDATE"}),
    "delete_instance": (lambda: ActivityLog.objects.order_by("pk").first().delete(), {"DELETE"}),
    "delete_queryset": (lambda: Submission.objects.all().delete(), {"DELETE", "UPDATE"}),
    "bulk_create": (lambda: Tag.objects.bulk_create([Tag(event=_democon(), tag=f"bulk{i}") for i in range(3)]),
                    {"INSERT"}),
    "bulk_update": (lambda: Track.objects.bulk_update(list(Track.objects.all()), ["name"]), {"UPDATE"}),
    "m2m_add": (_m2m_add, {"INSERT"}),
    "m2m_clear": (lambda: Submission.objects.order_by("pk").first().tags.clear(), {"DELETE"}),
}

RAW_WRITES: dict[str, tuple[str, set[str]]] = {
    "insert": ("INSERT INTO conference_organiser (name, slug) VALUES ('evil', 'evil')", {"INSERT"}),
    "update": ("UPDATE conference_event SET name = 'pwned'", {"UPDATE"}),
    "delete": ("DELETE FROM conference_activitylog", {"DELETE"}),
    "create_table": ("CREATE TABLE tc_evil (a integer)", {"CREATE"}),
    "drop_table": ("DROP TABLE conference_activitylog", {"DROP"}),
    "alter_table": ("ALTER TABLE conference_event ADD COLUMN evil integer", {"ALTER"}),
    "create_index": ("CREATE INDEX tc_evil_idx ON conference_event (name)", {"CREATE"}),
    "select_for_update": ("SELECT * FROM conference_event FOR UPDATE", {"SELECT ... FOR UPDATE"}),
    "commit": ("COMMIT", {"COMMIT"}),
    "rollback": ("ROLLBACK", {"ROLLBACK"}),
    "begin": ("BEGIN", {"BEGIN"}),
    "savepoint": ("SAVEPOINT tc_trick", {"SAVEPOINT"}),
    "release_marker": ("RELEASE SAVEPOINT tenant_console_readonly", {"RELEASE"}),
    "rollback_to_marker": ("ROLLBACK TO SAVEPOINT tenant_console_readonly", {"ROLLBACK"}),
    "several_statements": ("SELECT 1; DELETE FROM conference_activitylog", {"SELECT"}),
    "cte_delete_main": ("WITH x AS (SELECT 1) DELETE FROM conference_activitylog", {"DELETE"}),
}
PG_WRITES: dict[str, tuple[str, set[str]]] = {
    "nextval": ("SELECT nextval(pg_get_serial_sequence('conference_track', 'id'))", {"nextval()"}),
    "setval": ("SELECT setval(pg_get_serial_sequence('conference_track', 'id'), 99999)", {"setval()"}),
    "set_transaction_read_write": ("SET TRANSACTION READ WRITE", {"SET"}),
    "set_default_read_only_off": ("SET default_transaction_read_only = off", {"SET"}),
    "set_session_characteristics": ("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", {"SET"}),
    "set_config": ("SELECT set_config('default_transaction_read_only', 'off', false)", {"set_config()"}),
    "explain_analyze": ("EXPLAIN ANALYZE DELETE FROM conference_activitylog", {"EXPLAIN ANALYZE"}),
    "cte_delete": ("WITH d AS (DELETE FROM conference_activitylog RETURNING *) SELECT count(*) FROM d", {"DELETE"}),
    "advisory_lock": ("SELECT pg_advisory_lock(42)", {"pg_advisory_lock()"}),
    "truncate": ("TRUNCATE conference_activitylog CASCADE", {"TRUNCATE"}),
    "lock": ("LOCK TABLE conference_event IN ACCESS EXCLUSIVE MODE", {"LOCK"}),
    "do": ("DO $$ BEGIN DELETE FROM conference_activitylog; END $$", {"DO"}),
    "copy": ("COPY conference_event TO STDOUT", {"COPY"}),
}
SQLITE_WRITES: dict[str, tuple[str, set[str]]] = {
    "nextval": ("SELECT nextval('conference_track_id_seq')", {"nextval()"}),
    "query_only_off": ("PRAGMA query_only = 0", {"PRAGMA"}),
    "query_only_off_call": ("PRAGMA query_only(false)", {"PRAGMA"}),
    "journal_mode": ("PRAGMA journal_mode = WAL", {"PRAGMA"}),
    "attach": ("ATTACH DATABASE ':memory:' AS evil", {"ATTACH"}),
    "replace_into": ("REPLACE INTO conference_organiser (id, name, slug) VALUES (1, 'x', 'x')", {"REPLACE"}),
    "vacuum_into": ("VACUUM INTO '/tmp/tc-evil-copy.sqlite3'", {"VACUUM"}),
    "explain_insert": ("EXPLAIN QUERY PLAN INSERT INTO conference_organiser (name, slug) VALUES ('a', 'b')",
                       {"EXPLAIN INSERT"}),
}


def _all_writes(vendor: str) -> dict[str, tuple[Callable[[], Any], set[str]]]:
    writes = {f"orm_{k}": v for k, v in ORM_WRITES.items()}
    specific = PG_WRITES if vendor == "postgresql" else SQLITE_WRITES
    for name, (sql, kinds) in {**RAW_WRITES, **specific}.items():
        writes[f"raw_{name}"] = (_raw(sql), kinds)
    return writes


@pytest.fixture
def democon_session(session, event_pks):
    session.activate({"event": event_pks["democon"]})
    return session


def test_every_write_is_refused_with_its_kind_and_nothing_changes(democon_session, db_alias):
    session = democon_session
    vendor = connections[db_alias].vendor
    before = fingerprint(db_alias)
    writes = _all_writes(vendor)
    assert len(writes) >= 35
    for name, (fn, kinds) in writes.items():
        with pytest.raises(ReadOnlyViolation) as info:
            session.run(fn)
        err = info.value
        assert err.kind in kinds, (name, err.kind, str(err))
        assert str(err).startswith(f"read-only session: {err.kind} refused ("), str(err)
        assert err.reason
    # The session keeps working after all those refusals, in the same scope.
    assert session.run(lambda: Submission.objects.count()) == 40
    assert fingerprint(db_alias) == before


def test_select_for_update_through_the_orm(democon_session, db_alias):
    """PostgreSQL: refused. SQLite has no row locks; Django drops the clause, so it is a plain read."""
    if connections[db_alias].vendor == "postgresql":
        with pytest.raises(ReadOnlyViolation, match=r"SELECT \.\.\. FOR UPDATE refused"):
            democon_session.run(lambda: list(Track.objects.select_for_update()))
    else:
        assert democon_session.run(lambda: len(Track.objects.select_for_update())) > 0


def test_the_refused_statement_is_in_the_error(democon_session):
    with pytest.raises(ReadOnlyViolation) as info:
        democon_session.run(lambda: Track.objects.create(event=_democon(), name="x"))
    assert "INSERT" in info.value.sql.upper()
    assert "conference_track" in info.value.sql


def test_placeholder_inside_a_literal_cannot_smuggle_a_statement(democon_session, db_alias):
    """psycopg2 interpolates parameters on the client; the guard checks what is really sent."""
    payload = "x'; DELETE FROM conference_activitylog; --"
    before = fingerprint(db_alias)

    def smuggle() -> Any:
        with connections[db_alias].cursor() as cur:
            cur.execute("SELECT '%s'" if connections[db_alias].vendor == "postgresql" else "SELECT %s", [payload])
            return cur.fetchall()

    if connections[db_alias].vendor == "postgresql":
        with pytest.raises(ReadOnlyViolation, match="several statements"):
            democon_session.run(smuggle)
    else:  # SQLite binds parameters for real: the payload stays a value
        assert democon_session.run(smuggle) == [(payload,)]
    assert fingerprint(db_alias) == before


# -- the database layer alone ---------------------------------------------------------------------
PLAIN_WRITES: dict[str, Callable[[str], Any]] = {
    "save": lambda a: _in_scope(a, _save),
    "save_child": lambda a: _in_scope(a, _save_child),
    "create": lambda a: _in_scope(a, lambda: Track.objects.using(a).create(event=_democon(), name="new")),
    "update": lambda a: _in_scope(a, lambda: Track.objects.using(a).update(name="x")),
    "delete": lambda a: _in_scope(a, lambda: ActivityLog.objects.using(a).order_by("pk").first().delete()),
    "delete_cascade": lambda a: _in_scope(a, lambda: Event.objects.using(a).get(slug="democon").tracks.all().delete()),
    "bulk_create": lambda a: _in_scope(a, lambda: Tag.objects.using(a).bulk_create([Tag(event=_democon(), tag="b")])),
    "m2m_add": lambda a: _in_scope(a, _m2m_add),
    "raw_insert": lambda a: _cursor(a, RAW_WRITES["insert"][0]),
    "raw_update": lambda a: _cursor(a, RAW_WRITES["update"][0]),
    "raw_delete": lambda a: _cursor(a, RAW_WRITES["delete"][0]),
    "ddl_create": lambda a: _cursor(a, RAW_WRITES["create_table"][0]),
    "ddl_drop": lambda a: _cursor(a, RAW_WRITES["drop_table"][0]),
    "ddl_alter": lambda a: _cursor(a, RAW_WRITES["alter_table"][0]),
}


def _in_scope(alias: str, fn: Callable[[], Any]) -> Any:
    from tenant_console.core.routing import routed_to

    with routed_to(alias), scopes_disabled():
        return fn()


def _cursor(alias: str, sql: str) -> None:
    with connections[alias].cursor() as cur:
        cur.execute(sql)


@pytest.fixture
def here(project, db_alias) -> Iterator[str]:
    """``db_alias`` used directly on the test's own thread (connection closed afterwards)."""
    yield db_alias
    connections[db_alias].close()


@pytest.mark.parametrize("name", sorted(PLAIN_WRITES))
def test_database_layer_alone_refuses_plain_writes(here, name):
    alias = here
    before = fingerprint(alias)
    with pytest.raises(DatabaseError) as info, read_only(alias, guard=False) as state:
        assert state.guard is None and "statement guard" not in state.layers
        PLAIN_WRITES[name](alias)
    assert database_refusal(info.value), info.value  # refused for being read-only, not for another reason
    assert fingerprint(alias) == before
    # The connection is usable afterwards and back to normal.
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5


def test_database_refusal_is_reported_as_violation_when_the_guard_misses(here):
    """If a write ever got past the guard, the database's refusal still reads as a ReadOnlyViolation."""
    alias = here
    with read_only(alias) as state:
        state.guard.lexings = None
        state.guard.check = lambda sql, many=False: None  # simulate a hole in the classifier
        with pytest.raises(ReadOnlyViolation, match=r"read-only session: UPDATE refused \(the database refused it"):
            _cursor(alias, RAW_WRITES["update"][0])
        if connections[alias].vendor == "postgresql":
            return  # the transaction is aborted now; leaving the block must still be clean
        assert Event.objects.using(alias).count() == 5
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5


def test_database_layer_is_verified_at_entry(here):
    alias = here
    with read_only(alias) as state:
        raw = connections[alias].connection.cursor()
        if connections[alias].vendor == "postgresql":
            raw.execute("SHOW transaction_read_only")
            assert raw.fetchone()[0] == "on"
            raw.execute("SHOW transaction_isolation")
            assert raw.fetchone()[0] == "repeatable read"
            assert "repeatable-read snapshot" in state.layers
        else:
            raw.execute("PRAGMA query_only")
            assert raw.fetchone()[0] == 1
            assert "sqlite query_only" in state.layers
        assert state.layers[-2:] == ["statement guard", "rollback at end"]
    # ...and undone afterwards: the connection writes again outside the block.
    raw = connections[alias].connection.cursor()
    raw.execute("SHOW transaction_read_only" if connections[alias].vendor == "postgresql" else "PRAGMA query_only")
    assert raw.fetchone()[0] in ("off", 0)


# -- structure of the block ----------------------------------------------------------------------
def test_refuses_to_nest_inside_an_open_transaction(here):
    alias = here
    with transaction.atomic(using=alias):
        with pytest.raises(ConsoleError, match="must be the outermost transaction") as info, read_only(alias):
            pytest.fail("the body must not run")
        assert not isinstance(info.value, ReadOnlyViolation)
    with read_only(alias):  # the outer transaction ended normally; now it works
        assert Event.objects.using(alias).count() == 5


def test_refused_statement_leaves_the_block_usable_and_rolled_back(here):
    alias = here
    with read_only(alias):
        with pytest.raises(ReadOnlyViolation):
            _cursor(alias, "DELETE FROM conference_event")
        assert Event.objects.using(alias).count() == 5  # same transaction, still usable
    assert connections[alias].get_autocommit()
    assert not connections[alias].in_atomic_block
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5


def test_database_refusal_caught_inside_the_block_exits_cleanly(here):
    """PostgreSQL aborts the transaction on the refusal; leaving the block must not add an error."""
    alias = here
    with read_only(alias, guard=False):
        try:
            _cursor(alias, "DELETE FROM conference_activitylog")
        except DatabaseError as exc:
            assert database_refusal(exc)
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5


def test_exceptions_in_the_block_propagate_and_the_connection_survives(here, session, event_pks):
    alias = here

    class Boom(Exception):
        pass

    with pytest.raises(Boom), read_only(alias):
        Event.objects.using(alias).count()
        raise Boom
    assert not connections[alias].in_atomic_block
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5
    # The same through a session.
    session.activate({"event": event_pks["democon"]})
    with pytest.raises(ZeroDivisionError):
        session.run(lambda: Submission.objects.count() / 0)
    with pytest.raises(KeyError):
        session.run(lambda: {}["missing"])
    assert session.run(lambda: Submission.objects.count()) == 40


def _sabotage(alias: str) -> Any:
    """A driver cursor on a connection whose SQLite authorizer was removed: what determined code
    below Django could do. The end-of-block check and the final rollback must still hold."""
    raw = connections[alias].connection
    if connections[alias].vendor == "sqlite":
        raw.set_authorizer(None)
    return raw.cursor()


def test_commit_below_django_is_caught_at_the_end(here):
    alias = here
    before = fingerprint(alias)
    with pytest.raises(ReadOnlyBreached, match="was broken: the transaction was ended"), read_only(alias):
        Event.objects.using(alias).count()
        _sabotage(alias).execute("COMMIT")  # the driver, below the guard
    assert fingerprint(alias) == before
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5


def test_commit_and_new_transaction_below_django_is_caught(here):
    alias = here
    with pytest.raises(ReadOnlyBreached, match="a new one begun"), read_only(alias):
        raw = _sabotage(alias)
        raw.execute("COMMIT")
        raw.execute("BEGIN")
        Event.objects.using(alias).count()
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5


def test_after_a_sneaked_commit_the_connection_stays_read_only(here):
    """PostgreSQL: the session default is read-only too, so the transaction begun after a COMMIT
    cannot write. SQLite: query_only belongs to the connection and stays on."""
    alias = here
    vendor = connections[alias].vendor
    before = fingerprint(alias)
    refused = psycopg2.errors.ReadOnlySqlTransaction if vendor == "postgresql" else sqlite3.OperationalError
    with pytest.raises(ReadOnlyBreached), read_only(alias, guard=False):
        raw = _sabotage(alias)
        raw.execute("COMMIT")
        with pytest.raises(refused, match=r"read-only transaction|readonly database"):
            raw.execute("UPDATE conference_event SET name = 'pwned'")
    assert fingerprint(alias) == before
    # A breached connection is closed (its session settings cannot be trusted); the next one is fresh.
    assert connections[alias].connection is None
    raw = connections[alias].cursor()
    raw.execute("SHOW default_transaction_read_only" if vendor == "postgresql" else "PRAGMA query_only")
    assert raw.fetchone()[0] in ("off", 0)


# -- SQLite copies for the snapshot and rollback tests ----------------------------------------------
@pytest.fixture(params=["delete", "wal"])
def sqlite_copy(request, tmp_path) -> Iterator[tuple[str, Path, str]]:
    """A copy of the seeded SQLite database under a new alias, in the given journal mode."""
    path = tmp_path / f"copy-{request.param}.sqlite3"
    src = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    mode = dst.execute(f"PRAGMA journal_mode = {request.param}").fetchone()[0]
    assert mode == request.param
    dst.close()
    alias = f"copy_{request.param}"
    connections.settings[alias] = {**connections.settings["default"], "NAME": str(path)}
    try:
        yield alias, path, request.param
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


def _other_writer(path: Path, sql: str) -> str:
    """Commit ``sql`` from a second connection; 'committed' or the error."""
    conn = sqlite3.connect(path, timeout=0.2)
    try:
        conn.execute(sql)
        conn.commit()
        return "committed"
    except sqlite3.OperationalError as exc:
        conn.rollback()
        return str(exc)
    finally:
        conn.close()


def test_sqlite_snapshot_while_another_connection_writes(sqlite_copy):
    """What holds on SQLite: the block's read transaction starts at entry. With WAL the other
    connection commits and the block keeps its snapshot; with a rollback journal the block's
    shared lock keeps the other connection from committing at all. Either way the block never
    sees a row committed after it began."""
    alias, path, mode = sqlite_copy
    insert = "INSERT INTO conference_organiser (name, slug) VALUES ('Late', 'late')"
    with read_only(alias):
        # The snapshot is taken at entry, before the first ORM query of the body.
        outcome = _other_writer(path, insert)
        in_block = Event.objects.using(alias).count(), _organisers(alias)
    after = _organisers(alias)
    if mode == "wal":
        assert outcome == "committed"
        assert in_block == (5, after - 1)
    else:
        assert outcome == "database is locked"
        assert in_block == (5, after)


def _organisers(alias: str) -> int:
    from conference.models import Organiser

    return Organiser.objects.using(alias).count()


def test_snapshot_on_postgresql(project, event_pks):
    """REPEATABLE READ: a row committed by another connection during the block is not seen by it."""
    alias = "postgres"
    if alias not in settings.DATABASES:
        pytest.skip("PostgreSQL tests skipped: not configured")
    event = event_pks["democon"]
    other = _pg_connect(alias)
    session = project.session("snapshot", alias=alias)
    try:
        session.activate({"event": event})

        def read_write_read() -> tuple[int, int, int]:
            first = Tag.objects.count()
            with other.cursor() as cur:  # another connection commits (autocommit) meanwhile
                cur.execute("INSERT INTO conference_tag (event_id, tag, color) VALUES (%s, 'snapshot', '#000')",
                            [event])
            return first, Tag.objects.count(), Tag.objects.filter(tag="snapshot").count()

        before, again, found = session.run(read_write_read)
        assert (again, found) == (before, 0)
        assert session.run(lambda: Tag.objects.count()) == before + 1  # the next block sees it
    finally:
        with other.cursor() as cur:
            cur.execute("DELETE FROM conference_tag WHERE tag = 'snapshot'")
        other.close()
        session.close()


def test_snapshot_is_taken_at_entry_on_postgresql(project, event_pks):
    """Even a row committed before the body's first query (but after entry) stays invisible."""
    alias = "postgres"
    if alias not in settings.DATABASES:
        pytest.skip("PostgreSQL tests skipped: not configured")
    other = _pg_connect(alias)
    try:
        with read_only(alias):
            with other.cursor() as cur:
                cur.execute("INSERT INTO conference_organiser (name, slug) VALUES ('Late', 'late-pg')")
            seen = _organisers(alias), Event.objects.using(alias).count()
        assert _organisers(alias) == seen[0] + 1
    finally:
        with other.cursor() as cur:
            cur.execute("DELETE FROM conference_organiser WHERE slug = 'late-pg'")
        other.close()
        connections[alias].close()


def test_rollback_layer_undoes_a_write_that_passed_both_other_layers(sqlite_copy):
    """Switch query_only off below Django and the guard off: the write reaches the file's
    transaction, yet the final rollback undoes it, and the block reports the breach."""
    alias, path, _mode = sqlite_copy
    before = _organisers(alias)
    with pytest.raises(ReadOnlyBreached, match="query_only was switched off"), read_only(alias, guard=False):
        _sabotage(alias).execute("PRAGMA query_only = OFF")
        _cursor(alias, "INSERT INTO conference_organiser (name, slug) VALUES ('x', 'x-slipped')")
        assert _organisers(alias) == before + 1  # written, inside the transaction
    assert _organisers(alias) == before
    assert _other_writer(path, "SELECT 1") == "committed"  # no lock left behind


def test_database_is_unchanged_after_many_reads_and_refusals(democon_session, db_alias):
    before = fingerprint(db_alias)
    for _ in range(3):
        democon_session.run(lambda: [list(m.objects.all()[:50]) for m in (Submission, Track, Tag)])
        with pytest.raises(ReadOnlyViolation):
            democon_session.run(_save)
    assert fingerprint(db_alias) == before


def test_guard_is_per_block_and_per_thread(here, db_alias):
    """Another thread's connection to the same database is not affected by a block elsewhere."""
    alias = here
    seen: list[Any] = []

    def other_thread() -> None:
        try:
            conn = connections[alias]
            seen.append((conn.in_atomic_block, _block_guards(conn)))
        finally:
            connections[alias].close()

    with read_only(alias):
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
        assert _block_guards(connections[alias]) == 1
    assert seen == [(False, 0)]
    assert _block_guards(connections[alias]) == 0


def _block_guards(conn: Any) -> int:
    from tenant_console.core.readonly import StatementGuard

    return sum(isinstance(w, StatementGuard) for w in conn.execute_wrappers)


# -- escape attempts against the database layer alone ----------------------------------------------
PG_ESCAPES = [
    "SET TRANSACTION READ WRITE",
    "SET TRANSACTION ISOLATION LEVEL READ COMMITTED READ WRITE",
    "SET default_transaction_read_only = off",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "SELECT set_config('transaction_read_only', 'off', true)",
    "SAVEPOINT s1; SET TRANSACTION READ WRITE",
]


@pytest.mark.parametrize("escape", PG_ESCAPES)
def test_postgresql_alone_holds_against_escapes(project, escape):
    """Without the guard, PostgreSQL itself keeps the transaction read-only whatever is tried;
    the write after the attempt is still refused."""
    alias = "postgres"
    if alias not in settings.DATABASES:
        pytest.skip("PostgreSQL tests skipped: not configured")
    before = fingerprint(alias)
    try:
        with read_only(alias, guard=False):
            try:
                _cursor(alias, escape)
            except DatabaseError as exc:
                outcome = " ".join(str(exc).split())
            else:
                outcome = "accepted"
            if outcome == "accepted":
                with pytest.raises(DatabaseError) as info:
                    _cursor(alias, RAW_WRITES["update"][0])
                assert database_refusal(info.value)
            else:
                # PostgreSQL refuses to change an open read-only transaction at all.
                assert any(w in outcome for w in ("read-write", "read-only", "before any query")), outcome
        assert fingerprint(alias) == before
    finally:
        connections[alias].close()


def test_sqlite_alone_refuses_escapes_below_django(sqlite_copy):
    """Without the statement guard, SQLite's authorizer refuses what query_only alone would let
    through (the pragma that switches it off), on every path: Django's cursor, the driver's
    cursor, executescript (which would COMMIT first) and statements cached before the block."""
    alias, _path, _mode = sqlite_copy
    before = _organisers(alias)
    connections[alias].ensure_connection()
    raw = connections[alias].connection
    raw.execute("PRAGMA query_only = 0")  # prepared and cached outside the block
    escapes = [
        lambda: _cursor(alias, "PRAGMA query_only = 0"),
        lambda: raw.execute("PRAGMA query_only = 0"),
        lambda: raw.execute("PRAGMA query_only(false)"),
        lambda: raw.execute("COMMIT"),
        lambda: raw.execute("SAVEPOINT evil"),
        lambda: raw.execute("RELEASE tenant_console_readonly"),
        lambda: raw.execute("ATTACH DATABASE ':memory:' AS evil"),
        lambda: raw.execute("INSERT INTO conference_organiser (name, slug) VALUES ('x', 'x')"),
        lambda: raw.execute("CREATE TEMP TABLE evil (a)"),
        lambda: raw.executescript("PRAGMA query_only = 0; DELETE FROM conference_activitylog;"),
        lambda: connections[alias].cursor().executescript("DELETE FROM conference_activitylog;"),
    ]
    for i, escape in enumerate(escapes):
        with read_only(alias, guard=False) as state:
            assert "sqlite authorizer" in state.layers
            with pytest.raises(Exception) as info:
                escape()
            assert database_refusal(info.value), (i, info.value)
            assert raw.in_transaction
            assert raw.execute("PRAGMA query_only").fetchone()[0] == 1  # reading a pragma is fine
    assert _organisers(alias) == before
    # After the block the connection is an ordinary one again.
    assert raw.execute("PRAGMA query_only").fetchone()[0] == 0


def test_guarded_block_reports_authorizer_refusals_as_violations(sqlite_copy):
    alias, _path, _mode = sqlite_copy
    with read_only(alias) as state:
        state.guard.check = lambda sql, many=False: None  # simulate a hole in the classifier
        with pytest.raises(ReadOnlyViolation, match=r"PRAGMA refused \(the database refused it: not authorized"):
            _cursor(alias, "PRAGMA query_only = 0")


def test_without_the_authorizer_query_only_can_be_switched_off_but_the_block_catches_it(sqlite_copy):
    """The truth about PRAGMA query_only alone: an ordinary pragma that code can switch off."""
    alias, _path, _mode = sqlite_copy
    with pytest.raises(ReadOnlyBreached, match="query_only was switched off"), read_only(alias, guard=False):
        _sabotage(alias).execute("PRAGMA query_only = 0")


def test_a_late_interrupt_on_the_end_check_is_not_a_breach(sqlite_copy, monkeypatch):
    """A user's interrupt can land on the end-of-block statement itself (the body just finished);
    the check runs it again instead of reporting a broken transaction. The interruption is
    injected at that one statement; everything else runs on the real database."""
    from tenant_console.core import readonly

    alias, _path, _mode = sqlite_copy
    real = readonly._fetch_row
    hits: list[str] = []

    def interrupted_once(a: str, sql: str) -> Any:
        if sql.startswith("ROLLBACK TO") and not hits:
            hits.append(sql)
            raise sqlite3.OperationalError("interrupted")
        return real(a, sql)

    monkeypatch.setattr(readonly, "_fetch_row", interrupted_once)
    with read_only(alias):
        assert Event.objects.using(alias).count() == 5
    assert hits == ["ROLLBACK TO tenant_console_readonly"]
    # A savepoint that is really gone still fails twice and is reported.
    with pytest.raises(ReadOnlyBreached, match="a new one begun"), read_only(alias):
        _sabotage(alias).execute("RELEASE tenant_console_readonly")
