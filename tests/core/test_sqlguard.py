"""The statement classifier of the read-only layer: a wide table of reads and writes.

The classifier fails closed: whatever it cannot prove to be a read is refused.
Every statement is checked for the vendor it is written for (or for all
lexings when ``vendor`` is None), and the verdict's ``kind`` is what the user
sees in "read-only session: KIND refused (...)".
"""

from __future__ import annotations

import pytest

from tenant_console.core.sqlguard import (
    ALL_LEXINGS,
    POSTGRESQL,
    POSTGRESQL_NONSTANDARD,
    classify,
    classify_with,
    tokenize,
)

ANY, PG, LITE, MY = None, "postgresql", "sqlite", "mysql"

READS = [
    (ANY, "SELECT 1"),
    (ANY, "select * from conference_event"),
    (ANY, "  \n\tSELECT 1  ;"),
    (ANY, "SELECT 1;;"),
    (ANY, "(SELECT 1) UNION (SELECT 2)"),
    (ANY, "((VALUES (1), (2)))"),
    (ANY, "VALUES (1, 'a'), (2, 'b')"),
    (ANY, "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
    (ANY, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT n FROM c"),
    (PG, "WITH x AS MATERIALIZED (SELECT 1) SELECT * FROM x"),
    (PG, "TABLE conference_event"),
    (PG, "SHOW transaction_read_only"),
    (PG, "SHOW ALL"),
    (PG, "EXPLAIN SELECT * FROM conference_event"),
    (PG, "EXPLAIN (FORMAT JSON, VERBOSE) SELECT 1"),
    (PG, "EXPLAIN VERBOSE SELECT 1"),
    (LITE, "EXPLAIN QUERY PLAN SELECT * FROM conference_event"),
    (LITE, "EXPLAIN SELECT 1"),
    (ANY, "/* a comment */ SELECT 1 -- trailing"),
    (ANY, "-- leading\nSELECT 1"),
    # Keywords inside strings, identifiers and comments are not keywords.
    (ANY, "SELECT 'DELETE FROM t; DROP TABLE x' AS s"),
    (ANY, "SELECT 'it''s; UPDATE t SET a = 1'"),
    (PG, 'SELECT "update", "delete", "insert into" FROM "weird table"'),
    (PG, 'SELECT "for update" FROM t'),
    (ANY, "SELECT 1 /* ; DROP TABLE t */"),
    (ANY, "SELECT 1 -- ; DROP TABLE t"),
    (PG, "SELECT $$ ; DELETE FROM t $$"),
    (PG, "SELECT $body$ it's ; INSERT $body$ AS s"),
    (PG, "SELECT E'\\' ; DELETE FROM t'"),
    (PG, "SELECT a[1], ARRAY[1, 2] FROM t"),
    (PG, "SELECT 'a' || 'b', now(), pg_sleep(0), currval('s')"),
    (PG, "SELECT * FROM t WHERE a = %s AND b IN (%s, %s)"),
    (PG, "SELECT * FROM t /* nested /* comment */ still comment ; DELETE */"),
    (LITE, "SELECT [update], `delete` FROM [my table]"),
    (LITE, "SELECT name FROM t WHERE name LIKE ? ESCAPE '\\'"),
    (LITE, "SELECT replace(name, 'a', 'b') FROM t"),
    (LITE, "WITH x AS (SELECT replace(name, 'a', 'b') AS n FROM t) SELECT n FROM x"),
    (LITE, "PRAGMA table_info(conference_event)"),
    (LITE, 'PRAGMA main.table_xinfo("conference_event")'),
    (LITE, "PRAGMA foreign_key_check"),
    (LITE, "PRAGMA query_only"),
    (LITE, "PRAGMA journal_mode"),
    (MY, "SELECT `a` FROM `t` WHERE b = 'x\\'y'"),
    (MY, "SELECT 1 # a comment ; DELETE"),
    (ANY, "SELECT * FROM t WHERE info = 'FOR UPDATE' ORDER BY 1"),
    (ANY, "SELECT nextval_count FROM t"),  # a column that merely starts like a function
    (ANY, "SELECT 1 AS set_config_done"),
]

REFUSED = [
    # (vendor, sql, kind shown to the user)
    (ANY, "INSERT INTO t VALUES (1)", "INSERT"),
    (ANY, "insert into t values (1)", "INSERT"),
    (ANY, "UPDATE t SET a = 1", "UPDATE"),
    (ANY, "DELETE FROM t", "DELETE"),
    (ANY, "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", "MERGE"),
    (LITE, "REPLACE INTO t VALUES (1)", "REPLACE"),
    (LITE, "INSERT OR REPLACE INTO t VALUES (1)", "INSERT"),
    (ANY, "CREATE TABLE x (a int)", "CREATE"),
    (ANY, "DROP TABLE conference_event", "DROP"),
    (ANY, "ALTER TABLE t ADD COLUMN b int", "ALTER"),
    (ANY, "CREATE TEMP TABLE x AS SELECT 1", "CREATE"),
    (ANY, "TRUNCATE conference_event", "TRUNCATE"),
    (ANY, "GRANT ALL ON t TO public", "GRANT"),
    (ANY, "REVOKE ALL ON t FROM public", "REVOKE"),
    (PG, "COPY t TO '/tmp/x'", "COPY"),
    (PG, "COPY (SELECT 1) TO STDOUT", "COPY"),
    (PG, "CALL do_things()", "CALL"),
    (PG, "DO $$ BEGIN DELETE FROM t; END $$", "DO"),
    (PG, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "LOCK"),
    (PG, "VACUUM", "VACUUM"),
    (ANY, "ANALYZE t", "ANALYZE"),
    (PG, "LISTEN channel", "LISTEN"),
    (PG, "NOTIFY channel, 'x'", "NOTIFY"),
    (PG, "UNLISTEN *", "UNLISTEN"),
    (PG, "PREPARE p AS DELETE FROM t", "PREPARE"),
    (PG, "EXECUTE p", "EXECUTE"),
    (PG, "REFRESH MATERIALIZED VIEW v", "REFRESH"),
    (PG, "CLUSTER t", "CLUSTER"),
    (PG, "REINDEX TABLE t", "REINDEX"),
    (PG, "SECURITY LABEL ON TABLE t IS 'x'", "SECURITY"),
    (PG, "COMMENT ON TABLE t IS 'x'", "COMMENT"),
    (PG, "DISCARD ALL", "DISCARD"),
    (LITE, "ATTACH DATABASE 'x.db' AS x", "ATTACH"),
    (LITE, "DETACH DATABASE x", "DETACH"),
    (LITE, "VACUUM INTO '/tmp/copy.db'", "VACUUM"),
    # Transaction control and escape attempts.
    (ANY, "COMMIT", "COMMIT"),
    (ANY, "commit;", "COMMIT"),
    (ANY, "END", "END"),
    (ANY, "ROLLBACK", "ROLLBACK"),
    (ANY, "BEGIN", "BEGIN"),
    (PG, "START TRANSACTION READ WRITE", "START"),
    (PG, "ABORT", "ABORT"),
    (ANY, "SAVEPOINT s1", "SAVEPOINT"),
    (ANY, "RELEASE SAVEPOINT s1", "RELEASE"),
    (ANY, "ROLLBACK TO SAVEPOINT s1", "ROLLBACK"),
    (PG, "PREPARE TRANSACTION 'x'", "PREPARE"),
    (PG, "SET TRANSACTION READ WRITE", "SET"),
    (PG, "SET default_transaction_read_only = off", "SET"),
    (PG, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET"),
    (PG, "RESET ALL", "RESET"),
    (PG, "SET LOCAL transaction_read_only TO off", "SET"),
    (LITE, "PRAGMA query_only = 0", "PRAGMA"),
    (LITE, "PRAGMA query_only=OFF", "PRAGMA"),
    (LITE, "PRAGMA query_only(0)", "PRAGMA"),
    (LITE, "PRAGMA main.query_only = false", "PRAGMA"),
    (LITE, "PRAGMA journal_mode = WAL", "PRAGMA"),
    (LITE, "PRAGMA writable_schema = ON", "PRAGMA"),
    (LITE, "PRAGMA user_version = 3", "PRAGMA"),
    (PG, "PRAGMA table_info(t)", "PRAGMA"),  # only SQLite has introspection pragmas
    # Reads that write: locks, sequences, SELECT INTO, stateful functions.
    (ANY, "SELECT * FROM t FOR UPDATE", "SELECT ... FOR UPDATE"),
    (ANY, "select * from t for  /* sneaky */  update skip locked", "SELECT ... FOR UPDATE"),
    (PG, "SELECT * FROM t FOR NO KEY UPDATE", "SELECT ... FOR NO KEY UPDATE"),
    (PG, "SELECT * FROM t FOR SHARE", "SELECT ... FOR SHARE"),
    (PG, "SELECT * FROM t FOR KEY SHARE", "SELECT ... FOR KEY SHARE"),
    (PG, "SELECT * FROM (SELECT * FROM t FOR UPDATE) x", "SELECT ... FOR UPDATE"),
    (MY, "SELECT * FROM t LOCK IN SHARE MODE", "SELECT ... LOCK IN SHARE MODE"),
    (PG, "SELECT nextval('conference_event_id_seq')", "nextval()"),
    (PG, "SELECT NEXTVAL ('s')", "nextval()"),
    (PG, "SELECT pg_catalog.nextval('s')", "nextval()"),
    (PG, 'SELECT "nextval"(\'s\')', "nextval()"),
    (PG, 'SELECT pg_catalog."setval"(\'s\', 1)', "setval()"),
    (PG, "SELECT setval('s', 100)", "setval()"),
    (PG, "SELECT nextval/**/('s')", "nextval()"),
    (PG, "SELECT set_config('transaction_read_only', 'off', true)", "set_config()"),
    (PG, "SELECT set_config('default_transaction_read_only', 'off', false)", "set_config()"),
    (PG, "SELECT pg_advisory_lock(1)", "pg_advisory_lock()"),
    (PG, "SELECT pg_try_advisory_xact_lock(1)", "pg_try_advisory_xact_lock()"),
    (PG, "SELECT pg_notify('c', 'x')", "pg_notify()"),
    (PG, "SELECT lo_import('/etc/passwd')", "lo_import()"),
    (PG, "SELECT dblink_exec('dbname=x', 'DELETE FROM t')", "dblink_exec()"),
    (PG, "SELECT query_to_xml('DELETE FROM t RETURNING 1', true, false, '')", "query_to_xml()"),
    (PG, "SELECT pg_terminate_backend(123)", "pg_terminate_backend()"),
    (PG, "SELECT txid_current()", "txid_current()"),
    (PG, "SELECT * FROM t WHERE a = ARRAY[(SELECT nextval('s'))]", "nextval()"),
    (LITE, "SELECT load_extension('/tmp/evil.so')", "load_extension()"),
    (LITE, "SELECT writefile('/tmp/x', 'y')", "writefile()"),
    (ANY, "SELECT * INTO new_table FROM t", "SELECT INTO"),
    (ANY, "SELECT a INTO TEMP x FROM t", "SELECT INTO"),
    (MY, "SELECT * FROM t INTO OUTFILE '/tmp/x'", "SELECT INTO"),
    # EXPLAIN ANALYZE executes the statement.
    (PG, "EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN ANALYZE"),
    (PG, "EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE"),
    (PG, "EXPLAIN ANALYSE SELECT 1", "EXPLAIN ANALYZE"),
    (PG, "EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", "EXPLAIN ANALYZE"),
    (PG, "explain (format json, analyze true) update t set a = 1", "EXPLAIN ANALYZE"),
    (PG, "EXPLAIN DELETE FROM t", "EXPLAIN DELETE"),
    (LITE, "EXPLAIN QUERY PLAN INSERT INTO t VALUES (1)", "EXPLAIN INSERT"),
    (PG, "EXPLAIN EXECUTE p", "EXPLAIN EXECUTE"),
    # Data-modifying CTEs.
    (PG, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE"),
    (PG, "WITH u AS (UPDATE t SET a = 1 RETURNING a) SELECT a FROM u", "UPDATE"),
    (PG, "WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1", "INSERT"),
    (ANY, "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT"),
    (ANY, "WITH x AS (SELECT 1) DELETE FROM t", "DELETE"),
    (PG, "WITH x AS (SELECT 1), y AS (MERGE INTO t USING x ON true WHEN MATCHED THEN DELETE) SELECT 1", "MERGE"),
    (PG, "SELECT * FROM (WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d) s", "DELETE"),
    # Several statements in one string.
    (ANY, "SELECT 1; DELETE FROM t", "SELECT"),
    (ANY, "SELECT 1;DELETE FROM t", "SELECT"),
    (ANY, "SELECT 1; SELECT 2", "SELECT"),
    (ANY, "SELECT 'a'; COMMIT", "SELECT"),
    (PG, "SELECT 1; SET TRANSACTION READ WRITE", "SELECT"),
    # Unterminated quotes and comments.
    (ANY, "SELECT 'abc", "SELECT"),
    (ANY, "SELECT 'it''s", "SELECT"),
    (ANY, 'SELECT "abc', "SELECT"),
    (ANY, "SELECT 1 /* unterminated", "SELECT"),
    (PG, "SELECT $$ unterminated", "SELECT"),
    (PG, "SELECT $tag$ x $other$", "SELECT"),
    (PG, "SELECT E'abc\\'", "SELECT"),
    (LITE, "SELECT [abc", "SELECT"),
    (LITE, "SELECT `abc", "SELECT"),
    # Hiding keywords from the guard in a way the server does not.
    (PG, "SELECT 1 /* /* */ ' */ ; DELETE FROM t; -- '", "SELECT"),  # nested comment (PostgreSQL)
    (PG, "SELECT ARRAY[1] || '] ; DELETE FROM t'", None),  # brackets are not quotes on PostgreSQL: allowed
    (MY, "SELECT 1 --1; DELETE FROM t", "SELECT"),  # '--' without a space is not a comment on MySQL
    (MY, "SELECT 'a\\'' ; DELETE FROM t; -- '", "SELECT"),  # backslash escapes on MySQL
    (MY, "SELECT /*! DELETE FROM t */ 1", "SELECT"),  # MySQL executes /*! ... */
    (ANY, "SELECT 'a\\'' ; DELETE FROM t; -- '", "SELECT"),  # unknown vendor: every lexing must agree
    # Nothing, or not SQL at all.
    (ANY, "", "EMPTY"),
    (ANY, "   ", "EMPTY"),
    (ANY, ";", "EMPTY"),
    (ANY, "-- only a comment", "EMPTY"),
    (ANY, "'a string'", "STATEMENT"),
    (ANY, "FROBNICATE everything", "FROBNICATE"),
    (ANY, "HANDLER t OPEN", "HANDLER"),
]


@pytest.mark.parametrize("vendor,sql", READS, ids=[f"{v or 'any'}:{s[:50]}" for v, s in READS])
def test_reads_are_allowed(vendor, sql):
    verdict = classify(sql, vendor=vendor)
    assert verdict.allowed, (sql, verdict)


@pytest.mark.parametrize("vendor,sql,kind", REFUSED, ids=[f"{v or 'any'}:{s[:50]}" for v, s, _ in REFUSED])
def test_writes_and_escapes_are_refused(vendor, sql, kind):
    verdict = classify(sql, vendor=vendor)
    if kind is None:  # a read that only looks suspicious
        assert verdict.allowed, (sql, verdict)
        return
    assert not verdict.allowed, sql
    assert verdict.kind == kind, (sql, verdict)
    assert verdict.reason


# (A backslash before a quote is lexed differently per dialect, by design: not vendor-neutral.)
@pytest.mark.parametrize("sql", [s for v, s, k in REFUSED if v is None and k and "\\" not in s], ids=lambda s: s[:50])
@pytest.mark.parametrize("vendor", [PG, LITE, MY, None, "oracle"])
def test_vendor_neutral_refusals_hold_for_every_vendor(vendor, sql):
    assert not classify(sql, vendor=vendor).allowed


@pytest.mark.parametrize("sql", [s for v, s in READS if v is None], ids=lambda s: s[:50])
@pytest.mark.parametrize("vendor", [PG, LITE, MY, None, "oracle"])
def test_vendor_neutral_reads_hold_for_every_vendor(vendor, sql):
    assert classify(sql, vendor=vendor).allowed


def test_executemany_is_always_a_write():
    verdict = classify("SELECT 1", many=True)
    assert not verdict.allowed
    assert verdict.kind == "SELECT"
    assert classify("INSERT INTO t VALUES (%s)", many=True).kind == "INSERT"


def test_backslash_strings_follow_the_server_setting():
    """With standard_conforming_strings off a backslash escapes the quote, so this hides nothing
    from the guard but would from a naive lexer; with it on the string is complete."""
    sql = "SELECT 'a\\' ; DELETE FROM t; -- '"
    assert not classify_with(sql, lexings=(POSTGRESQL,)).allowed  # the DELETE is visible
    # Off: one string up to the last quote, the whole thing is a harmless read.
    assert classify_with(sql, lexings=(POSTGRESQL_NONSTANDARD,)).allowed
    # Not knowing which, PostgreSQL is checked both ways (and refused).
    assert not classify(sql, vendor=PG).allowed


def test_tokenizer_drops_strings_and_comments_but_keeps_quoted_names():
    tokens = tokenize("SELECT \"Nextval\"('x') /* DELETE */ -- UPDATE\n FROM t", POSTGRESQL)
    assert [(t.text, t.kind) for t in tokens] == [
        ("SELECT", "word"), ("NEXTVAL", "ident"), ("(", "punct"), ("", "string"), (")", "punct"),
        ("FROM", "word"), ("T", "word"),
    ]


def test_every_lexing_is_used_for_unknown_vendors():
    assert len(ALL_LEXINGS) == 4
    # '#' starts a comment only on MySQL: for an unknown vendor the DELETE may be real.
    assert not classify("SELECT 1 # ; DELETE FROM t", vendor=None).allowed
    assert classify("SELECT 1 # ; DELETE FROM t", vendor=MY).allowed


def _compiled(alias: str) -> list[str]:
    """SQL that Django generates for typical console querysets, as sent to ``alias``."""
    from conference.models import Answer, ChoiceQuestion, Event, Review, Submission
    from django.db import connections
    from django.db.models import Count, Exists, OuterRef, Q, Subquery
    from django_scopes import scopes_disabled

    vendor = connections[alias].vendor
    with scopes_disabled():
        querysets = [
            Submission.objects.all(),
            Submission.objects.filter(title__icontains="o'brien; DELETE").order_by("-created")[:20],
            Submission.objects.filter(Q(state="accepted") | Q(track__name__startswith="A")).select_related("track"),
            Submission.objects.filter(tags__tag__in=["x", "y"]).distinct(),
            Submission.objects.annotate(n=Count("reviews")).filter(n__gt=1).values("code", "n"),
            Submission.objects.filter(custom_data__has_key="room", custom_data__level__gte=2),
            Review.objects.filter(
                Exists(Submission.objects.filter(pk=OuterRef("submission"), event=OuterRef("event")))
            ),
            Event.objects.annotate(last=Subquery(Submission.objects.filter(event=OuterRef("pk")).values("created")[:1])),
            Answer.objects.filter(question__event__slug="democon").only("answer"),
            ChoiceQuestion.objects.filter(options__contains=["a"]) if vendor == "postgresql"
            else ChoiceQuestion.objects.filter(allow_multiple=True),
            Event.objects.values_list("slug", flat=True).union(
                Event.objects.filter(is_public=True).values_list("slug", flat=True)
            ).order_by("slug"),
        ]
        return [qs.query.get_compiler(using=alias).as_sql()[0] for qs in querysets]


def test_django_generated_sql_is_allowed(project):
    from django.conf import settings

    aliases = [a for a in ("default", "postgres") if a in settings.DATABASES]
    from django.db import connections

    for alias in aliases:
        vendor = connections[alias].vendor
        statements = _compiled(alias)
        assert len(statements) == 11
        for sql in statements:
            assert any(q in sql for q in ('"', "`")), sql  # quoted identifiers, as Django writes them
            verdict = classify(sql, vendor=vendor)
            assert verdict.allowed, (alias, sql, verdict)
            # Django's SQL comments (e.g. from tools like sqlcommenter) are harmless too.
            assert classify(f"/* controller='tenant_console' */ {sql}", vendor=vendor).allowed


def test_long_parameter_lists_stay_cheap():
    """Exports and browse pages send IN lists with thousands of parameters through the guard:
    placeholder and number lists are skipped in one regex match, without a token each."""
    placeholders = 'SELECT "id" FROM "t" WHERE "t"."id" IN (' + ", ".join(["%s"] * 20000) + ")"
    numbers = placeholders.replace("%s", "1234567")
    for sql in (placeholders, numbers):
        assert classify(sql, vendor=PG).allowed
        assert classify(sql, vendor=LITE).allowed
        assert len(tokenize(sql, POSTGRESQL)) == 11  # SELECT "id" FROM "t" WHERE "t" . "id" IN ( )
    assert not classify(placeholders + "; DELETE FROM t", vendor=PG).allowed
    assert not classify(numbers.replace("1234567)", "1234567) FOR UPDATE"), vendor=PG).allowed


@pytest.mark.parametrize("sql", [
    "SELECT 5 %setval('s', 1)",  # '%s' followed by a name is not a placeholder
    "SELECT 1 %(x)setval('s', 1)",
    "SELECT 1.5nextval('s')",
    "SELECT %s/**/,nextval('s')",
])
def test_placeholders_and_numbers_do_not_swallow_names(sql):
    assert not classify(sql, vendor=PG).allowed


def test_a_remembered_verdict_is_never_given_to_a_str_subclass():
    """A str subclass that hashes and compares like a read already judged is judged on its own text."""
    from tenant_console.core.sqlguard import classify

    read = "SELECT 1"
    assert classify(read, vendor="postgresql").allowed

    class Lookalike(str):
        def __hash__(self) -> int:
            return hash(read)

        def __eq__(self, other: object) -> bool:
            return other == read or str.__eq__(self, other)

    verdict = classify(Lookalike("DELETE FROM conference_event"), vendor="postgresql")
    assert not verdict.allowed


def test_name_characters_are_ascii_letters_digits_and_every_non_ascii_character():
    """The name classes are written as complements (a range up to U+10FFFF is slow to compile): the same
    characters as the ranges they stand for, at every ASCII code and at the edges of the planes."""
    import re

    from tenant_console.core import sqlguard

    ranges = {sqlguard._NAME_START: r"[A-Za-z_\x80-\U0010ffff]",
              sqlguard._NAME_CHAR: r"[A-Za-z0-9_$\x80-\U0010ffff]",
              sqlguard._TAG_CHAR: r"[A-Za-z0-9_\x80-\U0010ffff]"}
    points = [*range(0x300), 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF]
    for ours, theirs in ranges.items():
        mine, reference = re.compile(ours), re.compile(theirs)
        assert [cp for cp in points if bool(mine.fullmatch(chr(cp))) != bool(reference.fullmatch(chr(cp)))] == []
    assert sqlguard._WORD.fullmatch("événement_2$") and not sqlguard._WORD.match("2x")
