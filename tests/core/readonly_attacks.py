"""The table of attempts to write from a read-only session (docs/readonly.md is generated from it).

Each attack is Python code as a user would type it into ``shell -c``, the REPL or a
session call. ``alias`` is the session's database alias, ``W`` an INSERT into the
probe table ``tc_probe``; ``ORG`` creates an Organiser through the ORM (an unscoped
model, so that django-scopes is not what refuses it). The expected outcome per
database is one of:

- ``console``: refused by the console (the statement guard / lockdown guard, or a
  console rule such as "a read-only call cannot run a writable one");
- ``database``: refused by the database itself (read-only transaction or session,
  SQLite ``mode=ro``);
- ``breach``: not prevented, but detected at the end of the block and reported as
  a read-only breach (exit code 4, REPL outcome ``breach``).

Nothing else is acceptable: ``python -m tests.core.readonly_attacks`` prints the table
for docs/readonly.md, and a test checks that the file matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONSOLE, DATABASE, BREACH = "console", "database", "breach"
SQLITE, PG, MY = "sqlite", "postgresql", "mysql"


@dataclass(frozen=True)
class Attack:
    id: str
    title: str
    code: str
    outcomes: dict[str, str]  # vendor -> expected outcome (vendors not named: not applicable)


def _both(outcome: str, mariadb: str | None = None) -> dict[str, str]:
    """SQLite and PostgreSQL; MariaDB too, with the same outcome unless told otherwise."""
    return {SQLITE: outcome, PG: outcome, MY: mariadb or outcome}


def _thread(body: str) -> str:
    """Run ``body`` on a new thread and re-raise its exception here."""
    indented = "\n".join("        " + line for line in body.splitlines())
    return (
        "import threading\nfrom django.db import connections\nerr = []\n"
        "def work():\n    try:\n" + indented + "\n    except BaseException as e:\n        err.append(e)\n"
        "    finally:\n        connections.close_all()\n"
        "t = threading.Thread(target=work)\nt.start()\nt.join()\nif err:\n    raise err[0]\n"
    )


_CUR = "from django.db import connections\ncur = connections[alias].cursor()\n"
_RAW = ("from django.db import connections\nconnections[alias].ensure_connection()\n"
        "raw = connections[alias].connection\nc = bare(raw)\n")


#: A side thread's driver connection (``vendor``: its vendor), and what the side-thread attacks send on it.
_SIDE = ("connections[alias].ensure_connection()\nraw = connections[alias].connection\n"
         "vendor = connections[alias].vendor\n")
_PG_SESSION_RW = "c.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE')\n"
_PG_DEFAULT_RW = "c.execute('SET default_transaction_read_only = off')\n"
_MY_SESSION_RW = "c.execute('SET SESSION TRANSACTION READ WRITE')\n"
_W_COMMIT = "c.execute('INSERT INTO tc_probe (n) VALUES (1)')\nraw.commit()\n"
#: A thread that writes in an open transaction and holds it past the end of the block (then rolls back
#: and restores its session, so that nothing stays behind).
_OPEN_WRITE = (
    "import threading\nfrom django.db import connections\nwrote, done = threading.Event(), threading.Event()\n"
    "def work():\n    try:\n        connections[alias].ensure_connection()\n"
    "        raw = connections[alias].connection\n        c = bare(raw)\n"
    "        c.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE')\n"
    "        raw.autocommit = False\n        c.execute('INSERT INTO tc_probe (n) VALUES (1)')\n        wrote.set()\n"
    "        done.wait(3)\n        raw.rollback()\n        raw.autocommit = True\n"
    "        c.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')\n"
    "    finally:\n        wrote.set()\n        connections.close_all()\n"
    "t = threading.Thread(target=work)\nt.start()\nwrote.wait(10)\nLATER.append(lambda: (done.set(), t.join()))\n"
)


def _sql(id: str, title: str, sql: str, outcomes: dict[str, str]) -> Attack:
    """A statement through Django's cursor on the session connection."""
    return Attack(id, title, _CUR + f"cur.execute({sql!r})", outcomes)


def _raw(id: str, title: str, sql: str, outcomes: dict[str, str]) -> Attack:
    """A statement on a cursor of the driver's own class (below every Django wrapper and the
    console's driver guard: ``bare`` in the prelude)."""
    return Attack(id, title, _RAW + f"c.execute({sql!r})", outcomes)


ATTACKS: list[Attack] = [
    # -- the ORM on the session thread --------------------------------------------------------
    Attack("orm-create", "ORM create()", "ORG()", _both(CONSOLE)),
    Attack("orm-save", "ORM save() of a changed object",
           "from conference.models import Organiser\no = Organiser.objects.using(alias).first()\no.name = 'x'\n"
           "o.save(using=alias)", _both(CONSOLE)),
    Attack("orm-update", "QuerySet.update()",
           "from conference.models import Organiser\nOrganiser.objects.using(alias).update(name='x')", _both(CONSOLE)),
    Attack("orm-delete", "QuerySet.delete()",
           "from conference.models import Tag\nTag._base_manager.using(alias).all().delete()", _both(CONSOLE)),
    Attack("orm-bulk-create", "bulk_create()",
           "from conference.models import Organiser\n"
           "Organiser.objects.using(alias).bulk_create([Organiser(name='a', slug='tc-a')])", _both(CONSOLE)),
    Attack("orm-get-or-create", "get_or_create()",
           "from conference.models import Organiser\n"
           "Organiser.objects.using(alias).get_or_create(slug='tc-goc', defaults={'name': 'x'})", _both(CONSOLE)),
    Attack("orm-atomic", "transaction.atomic() around a create",
           "from django.db import transaction\nwith transaction.atomic(using=alias):\n    ORG()", _both(CONSOLE)),
    Attack("orm-select-for-update", "select_for_update()",
           "from conference.models import Organiser\nfrom django.db import transaction\n"
           "list(Organiser.objects.using(alias).select_for_update())", {PG: CONSOLE, MY: CONSOLE}),
    Attack("set-autocommit", "connection.set_autocommit(True), then a write",
           "from django.db import connections\nconnections[alias].set_autocommit(True)\nORG()", _both(CONSOLE)),
    # -- SQL through Django's cursor ----------------------------------------------------------
    _sql("sql-insert", "INSERT", "INSERT INTO tc_probe (n) VALUES (1)", _both(CONSOLE)),
    _sql("sql-update", "UPDATE", "UPDATE tc_probe SET n = 2", _both(CONSOLE)),
    _sql("sql-delete", "DELETE", "DELETE FROM tc_probe", _both(CONSOLE)),
    _sql("sql-create", "CREATE TABLE", "CREATE TABLE tc_evil (n integer)", _both(CONSOLE)),
    _sql("sql-drop", "DROP TABLE", "DROP TABLE tc_probe", _both(CONSOLE)),
    _sql("sql-alter", "ALTER TABLE", "ALTER TABLE tc_probe ADD COLUMN m integer", _both(CONSOLE)),
    _sql("sql-truncate", "TRUNCATE", "TRUNCATE tc_probe", {PG: CONSOLE, MY: CONSOLE}),
    _sql("sql-multi", "a read, then a write, in one call", "SELECT 1; INSERT INTO tc_probe (n) VALUES (1)",
         _both(CONSOLE)),
    _sql("sql-cte-write", "data-modifying WITH", "WITH x AS (DELETE FROM tc_probe RETURNING *) SELECT * FROM x",
         {PG: CONSOLE}),
    _sql("sql-select-into", "SELECT INTO a new table", "SELECT * INTO tc_evil FROM tc_probe", {PG: CONSOLE}),
    _sql("sql-commit", "COMMIT", "COMMIT", _both(CONSOLE)),
    _sql("sql-rollback", "ROLLBACK", "ROLLBACK", _both(CONSOLE)),
    _sql("sql-begin", "BEGIN", "BEGIN", _both(CONSOLE)),
    _sql("sql-savepoint", "SAVEPOINT", "SAVEPOINT s1", _both(CONSOLE)),
    _sql("sql-release-marker", "RELEASE the block's marker savepoint", "RELEASE SAVEPOINT tenant_console_readonly",
         _both(CONSOLE)),
    _sql("sql-set-rw", "SET TRANSACTION READ WRITE", "SET TRANSACTION READ WRITE", {PG: CONSOLE}),
    _sql("sql-set-default-rw", "SET default_transaction_read_only = off", "SET default_transaction_read_only = off",
         {PG: CONSOLE}),
    _sql("sql-set-config", "set_config() to leave read-only",
         "SELECT set_config('default_transaction_read_only', 'off', false)", {PG: CONSOLE}),
    _sql("sql-u-ident", 'U&"..." spelling of set_config', "SELECT U&\"set\\005fconfig\"('a.b', 'c', false)",
         {PG: CONSOLE}),
    _sql("sql-u-ident-uescape", "U& name with UESCAPE",
         "SELECT U&\"pg!005fnotify\" UESCAPE '!'('c', 'x')", {PG: CONSOLE}),
    _sql("sql-quoted-fn", "schema-qualified, quoted nextval", "SELECT \"pg_catalog\".\"nextval\"('x')",
         {PG: CONSOLE}),
    _sql("sql-terminate", "pg_terminate_backend()", "SELECT pg_terminate_backend(0)", {PG: CONSOLE}),
    _sql("sql-cancel", "pg_cancel_backend()", "SELECT pg_cancel_backend(0)", {PG: CONSOLE}),
    _sql("sql-advisory", "advisory lock", "SELECT pg_advisory_lock(4242)", {PG: CONSOLE}),
    _sql("sql-notify", "pg_notify()", "SELECT pg_notify('tc', 'x')", {PG: CONSOLE}),
    _sql("sql-notify-stmt", "NOTIFY", "NOTIFY tc", {PG: CONSOLE}),
    _sql("sql-lo", "lo_create() (large object)", "SELECT lo_create(0)", {PG: CONSOLE}),
    _sql("sql-lo-import", "lo_import() of a server file", "SELECT lo_import('/etc/hostname')", {PG: CONSOLE}),
    _sql("sql-dblink", "dblink_exec() to another connection",
         "SELECT dblink_exec('dbname=postgres', 'CREATE TABLE x (n int)')", {PG: CONSOLE}),
    _sql("sql-query-to-xml", "query_to_xml() running SQL text", "SELECT query_to_xml('DELETE FROM tc_probe', true, "
         "false, '')", {PG: CONSOLE}),
    _sql("sql-copy-program", "COPY ... TO PROGRAM", "COPY (SELECT 1) TO PROGRAM 'true'", {PG: CONSOLE}),
    _sql("sql-copy-from", "COPY ... FROM a file", "COPY tc_probe FROM '/dev/null'", {PG: CONSOLE}),
    _sql("sql-explain-analyze", "EXPLAIN ANALYZE of an INSERT", "EXPLAIN ANALYZE INSERT INTO tc_probe VALUES (1)",
         _both(CONSOLE)),
    _sql("sql-do", "DO block", "DO $$ BEGIN INSERT INTO tc_probe VALUES (1); END $$", {PG: CONSOLE}),
    _sql("sql-call", "CALL a procedure", "CALL tc_nothing()", {PG: CONSOLE}),
    _sql("sql-lock", "LOCK TABLE", "LOCK TABLE tc_probe", {PG: CONSOLE}),
    _sql("sql-vacuum", "VACUUM", "VACUUM", _both(CONSOLE)),
    _sql("sql-grant", "GRANT", "GRANT SELECT ON tc_probe TO PUBLIC", {PG: CONSOLE}),
    _sql("sql-comment-hide", "a write hidden after a comment", "SELECT 1 /* */; INSERT INTO tc_probe VALUES (1)",
         _both(CONSOLE)),
    _sql("sql-estring-hide", "a write hidden by an E'' string escape",
         "SELECT E'\\''; INSERT INTO tc_probe VALUES (1); -- '", {PG: CONSOLE}),
    _sql("sql-dollar-hide", "a write around a $$ string", "SELECT $$x$$; INSERT INTO tc_probe VALUES (1)",
         {PG: CONSOLE}),
    _sql("sql-pragma", "PRAGMA query_only = 0", "PRAGMA query_only = 0", {SQLITE: CONSOLE}),
    _sql("sql-attach", "ATTACH another database file", "ATTACH DATABASE '/tmp/tc-evil.sqlite3' AS evil",
         {SQLITE: CONSOLE}),
    _sql("sql-replace", "REPLACE INTO", "REPLACE INTO tc_probe (n) VALUES (1)", {SQLITE: CONSOLE, MY: CONSOLE}),
    _sql("sql-mysql-exec-comment", "a write inside a MySQL executed comment /*! ... */",
         "SELECT 1 /*! ; INSERT INTO tc_probe VALUES (1) */", {MY: CONSOLE}),
    _sql("sql-mysql-hash-comment", "a write after a # that only MySQL reads as a comment",
         "SELECT 1 # \n; INSERT INTO tc_probe VALUES (1)", {MY: CONSOLE}),
    _sql("sql-mysql-get-lock", "GET_LOCK() (held past the input)", "SELECT GET_LOCK('tc', 0)", {MY: CONSOLE}),
    _sql("sql-mysql-into-outfile", "SELECT ... INTO OUTFILE", "SELECT 1 INTO OUTFILE '/tmp/tc-evil.txt'",
         {MY: CONSOLE}),
    _sql("sql-mysql-load-data", "LOAD DATA", "LOAD DATA INFILE '/dev/null' INTO TABLE tc_probe", {MY: CONSOLE}),
    _sql("sql-mysql-handler", "SET SESSION TRANSACTION READ WRITE", "SET SESSION TRANSACTION READ WRITE",
         {MY: CONSOLE}),
    Attack("raw-mysql-commit-update", "COMMIT; UPDATE; COMMIT on the driver's cursor",
           _RAW + "c.execute('COMMIT')\nc.execute('UPDATE tc_probe SET n = 2')\nc.execute('COMMIT')", {MY: DATABASE}),
    Attack("raw-mysql-session-rw", "SET SESSION TRANSACTION READ WRITE, COMMIT, INSERT, COMMIT on the driver's cursor",
           _RAW + "c.execute('COMMIT')\nc.execute('SET SESSION TRANSACTION READ WRITE')\n"
           "c.execute('INSERT INTO tc_probe (n) VALUES (1)')\nc.execute('COMMIT')", {MY: BREACH}),
    Attack("sql-executemany", "executemany()", _CUR + "cur.executemany('INSERT INTO tc_probe (n) VALUES (%s)', "
           "[(1,), (2,)])", _both(CONSOLE)),
    _sql("sql-lowercase-comment", "a lower-case insert after a comment", "/* c */ insert into tc_probe values (1)",
         _both(CONSOLE)),
    # -- what is checked is what the driver sends -----------------------------------------------
    Attack("str-subclass", "a str subclass whose __str__ says SELECT",
           _CUR + "class Q(str):\n    def __str__(self):\n        return 'SELECT 1'\n"
           "cur.execute(Q('INSERT INTO tc_probe (n) VALUES (1)'))", _both(CONSOLE)),
    Attack("bytes-sql", "the statement as bytes", _CUR + "cur.execute(b'INSERT INTO tc_probe (n) VALUES (1)')",
           {PG: CONSOLE, MY: CONSOLE}),
    Attack("composed-sql", "a psycopg sql.Composed statement",
           _CUR + "try:\n    from psycopg import sql\nexcept ImportError:\n    from psycopg2 import sql\n"
           "cur.execute(sql.SQL('INSERT INTO {} (n) VALUES (1)').format(sql.Identifier('tc_probe')))",
           {PG: CONSOLE}),
    Attack("wrapper-removed", "the statement guard removed from execute_wrappers, then a write",
           "from django.db import connections\nws = list(connections[alias].execute_wrappers)\n"
           "connections[alias].execute_wrappers.clear()\ntry:\n    W()\nfinally:\n"
           "    connections[alias].execute_wrappers.extend(ws)", {SQLITE: DATABASE, PG: CONSOLE, MY: CONSOLE}),
    # -- the driver's own cursor on the session connection ----------------------------------------
    _raw("raw-insert", "INSERT on the driver's cursor", "INSERT INTO tc_probe (n) VALUES (1)",
         _both(DATABASE)),
    _raw("raw-ddl", "CREATE TABLE on the driver's cursor", "CREATE TABLE tc_evil (n integer)",
         _both(DATABASE)),
    _raw("raw-nextval", "nextval() on the driver's cursor",
         "SELECT nextval(pg_get_serial_sequence('conference_organiser', 'id'))", {PG: DATABASE}),
    Attack("raw-commit-begin", "ROLLBACK; BEGIN; INSERT; COMMIT on the driver's cursor",
           _RAW + "c.execute('ROLLBACK; BEGIN; INSERT INTO tc_probe (n) VALUES (1); COMMIT')", {PG: BREACH}),
    Attack("raw-commit-rw-remarker", "COMMIT, a READ WRITE transaction that writes and commits, then a new "
           "read-only transaction with the marker savepoint re-created",
           _RAW + "c.execute('ROLLBACK')\nc.execute('BEGIN READ WRITE')\n"
           "c.execute('INSERT INTO tc_probe (n) VALUES (1)')\nc.execute('COMMIT')\n"
           "c.execute('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')\n"
           "c.execute('SAVEPOINT tenant_console_readonly')", {PG: BREACH}),
    Attack("raw-session-rw", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE, COMMIT, write, re-create "
           "the marker", _RAW + "c.execute('COMMIT')\n"
           "c.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE')\n"
           "c.execute('BEGIN')\nc.execute('INSERT INTO tc_probe (n) VALUES (1)')\nc.execute('COMMIT')\n"
           "c.execute('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')\n"
           "c.execute('SAVEPOINT tenant_console_readonly')", {PG: BREACH}),
    Attack("raw-advisory", "an advisory lock taken on the driver's cursor (outlives the block)",
           _RAW + "c.execute('SELECT pg_advisory_lock(4243)')", {PG: BREACH}),
    Attack("raw-sqlite-authorizer", "set_authorizer(None), PRAGMA query_only = 0, then a write",
           _RAW + "raw.set_authorizer(None)\nraw.execute('PRAGMA query_only = 0')\n"
           "raw.execute('INSERT INTO tc_probe (n) VALUES (1)')", {SQLITE: BREACH}),
    Attack("raw-sqlite-commit-remarker", "COMMIT, write, COMMIT, re-create the marker (SQLite)",
           _RAW + "raw.set_authorizer(None)\nraw.execute('PRAGMA query_only = 0')\nraw.execute('COMMIT')\n"
           "try:\n    raw.execute('INSERT INTO tc_probe (n) VALUES (1)')\n    raw.execute('COMMIT')\n"
           "finally:\n    raw.execute('BEGIN')\n    raw.execute('SAVEPOINT tenant_console_readonly')\n"
           "    raw.execute('PRAGMA query_only = 1')", {SQLITE: DATABASE}),
    Attack("raw-sqlite-executescript", "executescript() with a write",
           _RAW + "raw.set_authorizer(None)\nraw.executescript('INSERT INTO tc_probe (n) VALUES (1);')",
           {SQLITE: BREACH}),
    Attack("raw-sqlite-attach-rw", "ATTACH the same file read-write through a URI",
           _RAW + "import django.conf\nraw.set_authorizer(None)\n"
           "raw.execute(\"ATTACH DATABASE 'file:' || ? || '?mode=rw' AS w\", "
           "[django.conf.settings.DATABASES[alias]['NAME']])\n"
           "raw.execute('INSERT INTO w.tc_probe (n) VALUES (1)')", {SQLITE: DATABASE}),
    # -- other connections: reconnecting, new wrappers ------------------------------------------
    Attack("reconnect-orm", "connection.close(), then an ORM write",
           "from django.db import connections\nconnections[alias].close()\nORG()", _both(BREACH)),
    Attack("reconnect-raw", "connection.close(), connect(), then a write on the driver's cursor",
           "from django.db import connections\nconnections[alias].close()\nconnections[alias].connect()\n"
           "connections[alias].connection.cursor().execute('INSERT INTO tc_probe (n) VALUES (1)')",
           _both(BREACH)),
    Attack("create-connection-cursor", "connections.create_connection(alias), Django cursor write",
           "from django.db import connections\nc2 = connections.create_connection(alias)\n"
           "try:\n    c2.cursor().execute('INSERT INTO tc_probe (n) VALUES (1)')\nfinally:\n    c2.close()",
           _both(CONSOLE)),
    Attack("create-connection-raw", "connections.create_connection(alias), driver cursor write",
           "from django.db import connections\nc2 = connections.create_connection(alias)\n"
           "try:\n    c2.ensure_connection()\n"
           "    bare(c2.connection).execute('INSERT INTO tc_probe (n) VALUES (1)')\n"
           "    c2.connection.commit()\nfinally:\n    c2.close()", _both(DATABASE)),
    Attack("create-connection-rw-session", "create_connection(), SET SESSION ... READ WRITE refused on it",
           "from django.db import connections\nc2 = connections.create_connection(alias)\n"
           "try:\n    c2.cursor().execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE')\n"
           "finally:\n    c2.close()", {PG: CONSOLE}),
    # -- other threads and the async ORM --------------------------------------------------------
    Attack("thread-orm", "threading.Thread, ORM create", _thread("ORG()"), _both(CONSOLE)),
    Attack("thread-cursor", "threading.Thread, Django cursor INSERT",
           _thread("connections[alias].cursor().execute('INSERT INTO tc_probe (n) VALUES (1)')"), _both(CONSOLE)),
    Attack("thread-raw", "threading.Thread, driver cursor INSERT and commit",
           _thread("connections[alias].ensure_connection()\n"
                   "bare(connections[alias].connection).execute('INSERT INTO tc_probe (n) VALUES (1)')\n"
                   "connections[alias].connection.commit()"), _both(DATABASE)),
    Attack("thread-atomic", "threading.Thread, transaction.atomic() and a create",
           _thread("from django.db import transaction\nwith transaction.atomic(using=alias):\n    ORG()"),
           _both(CONSOLE)),
    Attack("thread-other-alias", "threading.Thread, a write on another alias",
           _thread("other = 'target' if alias != 'target' else 'default'\n"
                   "connections[other].cursor().execute('DELETE FROM conference_organiser')"), _both(CONSOLE)),
    Attack("pool-orm", "ThreadPoolExecutor, ORM create",
           "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(2) as ex:\n"
           "    ex.submit(ORG).result()", _both(CONSOLE)),
    Attack("pool-raw", "ThreadPoolExecutor, driver cursor INSERT",
           "from concurrent.futures import ThreadPoolExecutor\nfrom django.db import connections\n"
           "def w():\n    try:\n        connections[alias].ensure_connection()\n"
           "        bare(connections[alias].connection).execute('INSERT INTO tc_probe (n) VALUES (1)')\n"
           "        connections[alias].connection.commit()\n    finally:\n        connections.close_all()\n"
           "with ThreadPoolExecutor(2) as ex:\n    ex.submit(w).result()", _both(DATABASE)),
    Attack("async-acreate", "asyncio.run(Model.objects.acreate(...))",
           "import asyncio\nfrom conference.models import Organiser\n"
           "asyncio.run(Organiser.objects.using(alias).acreate(name='x', slug='tc-async'))", _both(CONSOLE)),
    Attack("async-asave", "asyncio.run(obj.asave())",
           "import asyncio\nfrom conference.models import Organiser\n"
           "asyncio.run(Organiser(name='x', slug='tc-asave').asave(using=alias))", _both(CONSOLE)),
    Attack("sync-to-async", "sync_to_async(thread_sensitive=False) around a create",
           "import asyncio\nfrom asgiref.sync import sync_to_async\n"
           "asyncio.run(sync_to_async(ORG, thread_sensitive=False)())", _both(CONSOLE)),
    Attack("sync-to-async-raw", "sync_to_async(thread_sensitive=False), driver cursor INSERT",
           "import asyncio\nfrom asgiref.sync import sync_to_async\nfrom django.db import connections\n"
           "def w():\n    try:\n        connections[alias].ensure_connection()\n"
           "        bare(connections[alias].connection).execute('INSERT INTO tc_probe (n) VALUES (1)')\n"
           "        connections[alias].connection.commit()\n    finally:\n        connections.close_all()\n"
           "asyncio.run(sync_to_async(w, thread_sensitive=False)())", _both(DATABASE)),
    # -- the driver connection's own cursors (the driver guard), and side threads turned back to READ WRITE --
    Attack("raw-cursor-insert", "INSERT on the driver connection's cursor()",
           "from django.db import connections\nconnections[alias].ensure_connection()\n"
           "connections[alias].connection.cursor().execute('INSERT INTO tc_probe (n) VALUES (1)')",
           {SQLITE: DATABASE, PG: CONSOLE, MY: CONSOLE}),
    Attack("raw-cursor-session-rw", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE on the driver's cursor()",
           "from django.db import connections\nconnections[alias].ensure_connection()\n"
           "connections[alias].connection.cursor().execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE')",
           {PG: CONSOLE}),
    Attack("thread-raw-session-rw", "threading.Thread, driver cursor(): SET SESSION CHARACTERISTICS ... READ WRITE, "
           "INSERT, commit", _thread(_SIDE + "c = raw.cursor()\n" + _PG_SESSION_RW + _W_COMMIT), {PG: CONSOLE}),
    Attack("thread-raw-default-rw", "threading.Thread, driver cursor(): SET default_transaction_read_only = off, "
           "INSERT, commit", _thread(_SIDE + "c = raw.cursor()\n" + _PG_DEFAULT_RW + _W_COMMIT), {PG: CONSOLE}),
    Attack("thread-raw-mysql-session-rw", "threading.Thread, driver cursor(): SET SESSION TRANSACTION READ WRITE, "
           "INSERT, commit", _thread(_SIDE + "c = raw.cursor()\n" + _MY_SESSION_RW + _W_COMMIT), {MY: CONSOLE}),
    Attack("thread-raw-mysql-query", "threading.Thread, the driver connection's query(): SET SESSION TRANSACTION "
           "READ WRITE", _thread(_SIDE + "raw.query(b'SET SESSION TRANSACTION READ WRITE')"), {MY: CONSOLE}),
    Attack("thread-bare-session-rw", "threading.Thread, below the driver guard: the session turned back to READ "
           "WRITE, INSERT, commit", _thread(_SIDE + "c = bare(raw)\n" + "if vendor == 'postgresql':\n    "
                                            + _PG_SESSION_RW + "else:\n    " + _MY_SESSION_RW + _W_COMMIT),
           {PG: BREACH, MY: BREACH}),
    Attack("thread-bare-default-rw", "threading.Thread, below the driver guard: SET default_transaction_read_only = "
           "off, INSERT, commit", _thread(_SIDE + "c = bare(raw)\n" + _PG_DEFAULT_RW + _W_COMMIT), {PG: BREACH}),
    Attack("thread-bare-rw-restored", "threading.Thread, below the driver guard: READ WRITE, INSERT, commit, READ "
           "ONLY again", _thread(_SIDE + "c = bare(raw)\n" + _MY_SESSION_RW + _W_COMMIT
                                 + "c.execute('SET SESSION TRANSACTION READ ONLY')\n"), {MY: BREACH}),
    Attack("thread-factory-swapped", "threading.Thread, the driver's cursor class put back, READ WRITE, INSERT, "
           "commit, READ ONLY again", _thread(_SIDE + "raw.cursor_factory = type(bare(raw))\nc = raw.cursor()\n"
                                               + _PG_SESSION_RW + _W_COMMIT
                                               + "c.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')\n"),
           {PG: BREACH}),
    Attack("thread-query-replaced", "threading.Thread, the driver guard replaced on query(), READ WRITE, INSERT, "
           "commit", _thread(_SIDE + "raw.query = lambda q: type(raw).query(raw, q)\nc = raw.cursor()\n"
                             + _MY_SESSION_RW + _W_COMMIT),
           {MY: BREACH}),
    Attack("thread-open-write", "threading.Thread below the driver guard holds a transaction that wrote when the "
           "block ends", _OPEN_WRITE, {PG: BREACH}),
    # -- the session API -----------------------------------------------------------------------
    Attack("session-nested-writable", "a read-only call submitting a writable one to its own session",
           "SESSION.run(ORG, readonly=False)", _both(CONSOLE)),
    Attack("management-command", "call_command('loaddata') of a fixture",
           "import json, tempfile\nfrom django.core.management import call_command\n"
           "f = tempfile.NamedTemporaryFile('w', suffix='.json', delete=False)\n"
           "json.dump([{'model': 'conference.organiser', 'pk': 99999, 'fields': {'name': 'x', 'slug': 'tc-ld'}}], f)\n"
           "f.close()\ncall_command('loaddata', f.name, database=alias, verbosity=0)", _both(CONSOLE)),
]


def bare_cursor(raw: Any) -> Any:
    """A cursor of the driver's own class on the driver connection ``raw``: below the console's
    driver guard (what an attacker who knows the console would use)."""
    module = type(raw).__module__
    if module.startswith("psycopg2"):
        import psycopg2.extensions

        return psycopg2.extensions.cursor(raw)
    if module.startswith("psycopg"):
        import psycopg

        return psycopg.ClientCursor(raw)
    if module.startswith("MySQLdb"):
        from MySQLdb import _mysql

        class Bare:
            def execute(self, sql: str) -> None:
                _mysql.connection.query(raw, sql)
                _mysql.connection.store_result(raw)

        return Bare()
    return raw.cursor()


#: Code run before every attack: the names the attacks use.
PRELUDE = """\
alias = {alias!r}
LATER = []  # run by the test after the block (threads an attack leaves running)
from tests.core.readonly_attacks import bare_cursor as bare
def W():
    from django.db import connections
    connections[alias].cursor().execute('INSERT INTO tc_probe (n) VALUES (1)')
def ORG():
    from conference.models import Organiser
    return Organiser.objects.using(alias).create(name='x', slug='tc-org')
"""

#: Attacks also run through the headless shell and the REPL core (the session API runs all).
SURFACE_SAMPLE = ["orm-create", "sql-insert", "str-subclass", "sql-u-ident", "thread-orm", "async-acreate",
                  "raw-insert", "raw-commit-rw-remarker", "raw-sqlite-authorizer", "create-connection-raw",
                  "pool-raw", "reconnect-orm", "raw-mysql-commit-update"]


def vendors_label(vendor: str) -> str:
    return {SQLITE: "SQLite", PG: "PostgreSQL", MY: "MariaDB"}[vendor]


def markdown_table() -> str:
    """The attack table of docs/readonly.md (between its markers)."""
    lines = ["| # | attempt | id (test parameter) | SQLite | PostgreSQL | MariaDB |",
             "| --- | --- | --- | --- | --- | --- |"]
    label = {CONSOLE: "refused by the console", DATABASE: "refused by the database", BREACH: "detected: breach"}
    for n, a in enumerate(ATTACKS, 1):
        cells = [label[a.outcomes[v]] if v in a.outcomes else "n/a" for v in (SQLITE, PG, MY)]
        lines.append(f"| {n} | {a.title} | `{a.id}` | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
