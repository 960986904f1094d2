"""References to rows written later: forward references and cycles load as with ``loaddata``.

PostgreSQL and SQLite defer foreign keys to the commit; MariaDB/MySQL (InnoDB) checks each row
at once, so the apply step switches checking off for its writes and checks every written table
afterwards. These tests run on all three: a file whose rows point forward and in a cycle
imports, a dangling reference written during the apply is still caught (and nothing is
written), checking is on again after the import, and new rows get keys above the imported ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tenant_console.core.importer import ApplyFailed, Decisions
from tests.importer.conftest import table_state
from tests.importer.exports import read_lines, rewrite

pytestmark = pytest.mark.mariadb


def with_cycle(src: Path, dst: Path) -> dict[Any, Any]:
    """Rewrite ``src``: the first submission points forward at the last, the last back at the first,
    the second at itself. Returns ``{pk: duplicate_of}`` of every submission in the new file."""

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        subs = [o for o in objs if o["model"] == "conference.submission"]
        first, second, last = subs[0], subs[1], subs[-1]
        first["fields"]["duplicate_of"] = last["pk"]  # forward: to a row written after it
        last["fields"]["duplicate_of"] = first["pk"]  # and back: a cycle
        second["fields"]["duplicate_of"] = second["pk"]  # a row that refers to itself
        return objs

    rewrite(src, dst, edit)
    return {o["pk"]: o["fields"]["duplicate_of"] for o in read_lines(dst) if o["model"] == "conference.submission"}


def _decisions() -> Decisions:
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "dependent")
    return d


def _duplicates(importer) -> dict[Any, Any]:
    from conference.models import Submission

    return importer.run(lambda: dict(Submission._base_manager.using(importer.alias).values_list("pk", "duplicate_of")))


def _fk_checks(importer) -> int | None:
    """MariaDB/MySQL: ``@@foreign_key_checks`` of the importer's own connection (None elsewhere)."""

    def read() -> int | None:
        conn = connections[importer.alias]
        if conn.vendor != "mysql":
            return None
        with conn.cursor() as cur:
            cur.execute("SELECT @@foreign_key_checks")
            return int(cur.fetchone()[0])

    return importer.run(read)


def test_forward_and_circular_references_import(importer, make_export, tmp_path):
    path = tmp_path / "cycle.jsonl.gz"
    expected = with_cycle(make_export(importer.source), path)
    plan = importer.plan(path)
    report = importer.apply(plan, importer.resolve(plan, _decisions()))
    assert report.written["conference.submission"] == len(expected)
    assert _duplicates(importer) == expected
    assert _fk_checks(importer) in (None, 1)


def test_import_and_loaddata_agree_on_the_same_file(importer, make_export, tmp_path):
    """The file with the cycle loads with Django's ``loaddata`` too, to the same rows as ``import``."""
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    from tests.conftest import flush

    path = tmp_path / "cycle.jsonl.gz"
    expected = with_cycle(make_export(importer.source), path)
    plan = importer.plan(path)
    importer.apply(plan, importer.resolve(plan, _decisions()))
    imported = table_state(importer.alias)
    importer.close()
    flush(importer.alias)
    with scopes_disabled():
        # The planted cross-tenant review points at a submission the file does not hold; import skipped it.
        lines = [o for o in read_lines(path)
                 if not (o["model"] == "conference.review" and o["fields"]["submission"] not in expected)]
        plain = tmp_path / "plain.json"
        plain.write_text(json.dumps(lines))
        call_command("loaddata", str(plain), database=importer.alias, verbosity=0)
    connections[importer.alias].close()
    loaded = table_state(importer.alias)
    assert loaded == imported


def test_a_dangling_reference_is_still_caught_and_nothing_is_written(importer, make_export, tmp_path):
    """Checking switched off for the writes must not let a broken reference through: written behind
    the importer's back in the middle of the apply, it fails the import and everything is rolled back."""
    from conference.models import Submission

    path = tmp_path / "cycle.jsonl.gz"
    expected = with_cycle(make_export(importer.source), path)
    before = table_state(importer.alias)
    plan = importer.plan(path)
    res = importer.resolve(plan, _decisions())
    broken: list[Any] = []

    def progress(label: str, done: int, total: int) -> None:
        if label == "conference.submission" and not broken:
            conn = connections[importer.alias]
            table = conn.ops.quote_name(Submission._meta.db_table)
            with conn.cursor() as cur:
                cur.execute(f"UPDATE {table} SET duplicate_of_id = %s WHERE id = %s", [987654321, min(expected)])
            broken.append(min(expected))

    with pytest.raises(ApplyFailed) as failed:
        importer.apply(plan, res, progress=progress)
    assert broken
    assert "foreign key check failed" in str(failed.value)
    assert "987654321" in str(failed.value) or "duplicate_of" in str(failed.value)
    assert table_state(importer.alias) == before
    assert _fk_checks(importer) in (None, 1)


def test_new_rows_get_keys_above_the_imported_ones(importer, loaded):
    """After explicit keys, the database's own key source (PostgreSQL sequence, MariaDB AUTO_INCREMENT,
    SQLite rowid) continues above them, for models and for many-to-many rows."""
    from conference.models import Event, Submission, Tag, Track
    from django.db.models import Max

    def add() -> tuple[int, int, int, int]:
        tracks, links = Track._base_manager.using(importer.alias), Submission.tags.through._base_manager
        track_max = tracks.aggregate(m=Max("pk"))["m"]
        link_max = links.using(importer.alias).aggregate(m=Max("pk"))["m"]
        event = Event._base_manager.using(importer.alias).get(slug="democon")
        track = tracks.create(event=event, name="After the import")
        submission = Submission._base_manager.using(importer.alias).order_by("pk").first()
        tag = Tag._base_manager.db_manager(importer.alias).create(event=event, tag="after-import")
        link = links.db_manager(importer.alias).create(submission=submission, tag=tag)
        return track_max, track.pk, link_max, link.pk

    track_max, track_pk, link_max, link_pk = importer.run(add)
    assert track_max and track_pk > track_max
    assert link_max and link_pk > link_max


def test_a_unique_value_that_differs_only_in_case_is_a_clash_where_the_database_says_so(importer, loaded):
    """MariaDB's default collation is case-insensitive: a tag ``PYTHON`` beside the target's ``python`` breaks
    the (event, tag) constraint there, and the plan says so instead of failing at the insert. On PostgreSQL
    and SQLite (case-sensitive) the same tag is new."""
    from conference.models import Tag

    tag = importer.run(lambda: Tag._base_manager.using(importer.alias).order_by("pk").first())
    path = loaded.with_name(f"case-{importer.alias}.jsonl.gz")

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [*objs, {"model": "conference.tag", "pk": 900001,
                        "fields": {"event": tag.event_id, "tag": tag.tag.upper() + "  ", "color": "#000000"}}]

    rewrite(loaded, path, edit)
    plan = importer.plan(path)
    item = next(it for it in plan.items["conference.tag"] if it.key == 900001)
    if connections[importer.alias].vendor == "mysql":
        assert item.cls == "unique_clash", (item.cls, item.detail)
        assert item.target_pk == tag.pk and "already held by conference.tag" in item.detail
    else:
        assert item.cls == "new", (item.cls, item.detail)


def test_two_rows_of_the_file_that_the_collation_makes_equal_are_duplicates(importer, loaded):
    """Within one file too: tags ``fresh-topic`` and ``FRESH-TOPIC `` cannot both exist on MariaDB (case- and
    trailing-space-insensitive collation), so the later is a duplicate there; elsewhere both are new."""
    from conference.models import Tag

    tag = importer.run(lambda: Tag._base_manager.using(importer.alias).order_by("pk").first())
    path = loaded.with_name(f"case-in-file-{importer.alias}.jsonl.gz")

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        new = [{"model": "conference.tag", "pk": 900101 + i,
                "fields": {"event": tag.event_id, "tag": text, "color": "#000000"}}
               for i, text in enumerate(["fresh-topic", "FRESH-TOPIC "])]
        return [*objs, *new]

    rewrite(loaded, path, edit)
    plan = importer.plan(path)
    classes = [it.cls for it in plan.items["conference.tag"] if it.key in (900101, 900102)]
    if connections[importer.alias].vendor == "mysql":
        assert classes == ["new", "duplicate"]
    else:
        assert classes == ["new", "new"]
