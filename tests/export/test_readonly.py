"""An export cannot write, whatever code runs inside it, and reads one snapshot."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tenant_console.core.errors import Cancelled, ReadOnlyViolation
from tenant_console.core.export.runner import ExportJob
from tests.export.conftest import leftovers
from tests.export.helpers import export, read_lines

pytestmark = pytest.mark.mariadb


def _track_count(alias: str) -> int:
    from conference.models import Track

    n = Track._base_manager.using(alias).count()
    connections[alias].close()
    return n


def _on_read(monkeypatch: pytest.MonkeyPatch, hook: Any) -> None:
    """Run ``hook`` for every Tag row the export reads: project code in a field's ``from_db_value``.

    (The export reads plain columns, not model instances, so ``post_init`` handlers no longer run
    in it; a field's converters do, as for any query.)
    """
    from conference.models import Tag

    def from_db_value(value: Any, expression: Any, connection: Any) -> Any:
        hook()
        return value

    monkeypatch.setattr(Tag._meta.get_field("color"), "from_db_value", from_db_value, raising=False)


def test_project_code_that_writes_while_rows_are_read_makes_the_export_fail_cleanly(
        project, db_alias, event_pks, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conference.models import Event, Track

    before = _track_count(db_alias)
    event_id = Event._base_manager.using(db_alias).get(slug="democon").pk
    connections[db_alias].close()
    _on_read(monkeypatch, lambda: Track._base_manager.create(event_id=event_id, name="written during an export"))
    with pytest.raises(ReadOnlyViolation, match="INSERT refused"):
        export(project, db_alias, out / "x.jsonl.gz", tenant={"event": event_pks["democon"]},
               cross_tenant="omit")
    monkeypatch.undo()
    assert leftovers(out) == []  # no data, no manifest, no temporary file
    assert _track_count(db_alias) == before
    records = project.audit.outcomes()
    assert records[-1]["action"] == "export" and records[-1]["outcome"] == "refused"


def test_code_that_swallows_the_refusal_still_writes_nothing(project, db_alias, event_pks, out: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    before = _track_count(db_alias)

    def sneaky() -> None:
        from django.db import connection

        try:
            with connection.cursor() as cur:  # raw SQL, below the ORM
                cur.execute("UPDATE conference_track SET name = 'hijacked'")
        except ReadOnlyViolation as exc:
            seen.append(exc.kind)

    _on_read(monkeypatch, sneaky)
    outcome = export(project, db_alias, out / "x.jsonl.gz", tenant={"event": event_pks["democon"]},
                     cross_tenant="omit")
    monkeypatch.undo()
    assert seen and set(seen) == {"UPDATE"}
    assert outcome.result is not None and outcome.result.counts["conference.tag"] == 8
    assert _track_count(db_alias) == before
    from conference.models import Track

    assert not Track._base_manager.using(db_alias).filter(name="hijacked").exists()


def test_a_natural_key_method_that_writes_is_refused(project, db_alias, event_pks, out: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Code inside the serializer path (natural_key) runs inside the read-only layer too."""
    from conference.models import Organiser

    def natural_key(self: Any) -> tuple[str]:
        Organiser._base_manager.filter(pk=self.pk).update(name="renamed by natural_key")
        return (self.slug,)

    monkeypatch.setattr(Organiser, "natural_key", natural_key)
    with pytest.raises(ReadOnlyViolation, match="UPDATE refused"):
        export(project, db_alias, out / "x.jsonl", tenant={"event": event_pks["democon"]}, cross_tenant="omit")
    assert leftovers(out) == []
    assert not Organiser._base_manager.using(db_alias).filter(name="renamed by natural_key").exists()


def test_a_row_committed_meanwhile_is_not_in_the_export(project, out: Path) -> None:
    """PostgreSQL: the export reads one REPEATABLE READ snapshot of every table."""
    from tests.conftest import _alias_or_skip

    alias = _alias_or_skip("postgres")
    from conference.models import Event, TalkSlot

    democon = Event._base_manager.using(alias).get(slug="democon").pk
    created: list[Any] = []

    def commit_elsewhere() -> None:
        # Another writer: while a session is open every connection of this process is read-only,
        # so this one is the deliberately writable kind (as another process's would be).
        from tenant_console.core.lockdown import writable_connection

        connections[alias] = writable_connection(alias)
        created.append(TalkSlot._base_manager.using(alias).create(event_id=democon).pk)
        connections[alias].close()

    def progress(p: Any) -> None:
        if not created:  # first progress report: users are written, talk slots are not yet
            t = threading.Thread(target=commit_elsewhere)
            t.start()
            t.join()

    try:
        outcome = export(project, alias, out / "snap.jsonl", tenant={"event": democon}, cross_tenant="omit",
                         job=ExportJob(progress=progress))
        assert created, "the concurrent insert did not run"
        slots = [o["pk"] for o in read_lines(out / "snap.jsonl") if o["model"] == "conference.talkslot"]
        assert created[0] not in slots
        assert outcome.result is not None
        assert outcome.result.counts["conference.talkslot"] == len(slots)
        assert TalkSlot._base_manager.using(alias).filter(pk=created[0]).exists()  # it was committed
    finally:
        TalkSlot._base_manager.using(alias).filter(pk__in=created).delete()
        connections[alias].close()


@pytest.mark.parametrize("how", ["cancel", "interrupt"])
def test_a_cancelled_export_leaves_nothing_behind(project, db_alias, event_pks, out: Path, how: str) -> None:
    job = ExportJob()

    def progress(p: Any) -> None:
        if p.done > 0:
            if how == "cancel":
                job.cancel()
            else:
                raise KeyboardInterrupt

    job.progress = progress
    with pytest.raises((Cancelled, KeyboardInterrupt)):
        export(project, db_alias, out / "x.jsonl.gz", tenant={"event": event_pks["democon"]}, cross_tenant="omit",
               job=job, with_files=str(out / "files"))
    assert leftovers(out) == []
    assert project.audit.outcomes()[-1]["outcome"] == "interrupted"
