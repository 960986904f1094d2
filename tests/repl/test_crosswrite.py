"""Writable mode: rows written into another tenant are named, audited, and the headless shell refuses them."""

from __future__ import annotations

import pytest
from conference.models import Tag

from tenant_console.cli.main import main
from tenant_console.core.repl.runner import ReplRunner

MARK = "tc-crosswrite"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--settings", "tests.settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _exists(alias: str, tag: str) -> bool:
    return Tag._base_manager.using(alias).filter(tag=tag).exists()



# -- the REPL's writable mode -------------------------------------------------------------------


def test_a_row_created_in_another_tenant_is_named_and_audited(repl: ReplRunner, project, db_alias, marked_tags_removed):
    repl.enable_writes().result(10)
    res = repl.run("from conference.models import Event as E\n"
                   f"t = Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-x')\nt.pk")
    assert res.ok, res.error
    pk = res.value.text
    assert len(res.foreign_writes) == 1
    assert res.write_warning == (f"⚠ 1 row written belongs to another tenant: conference.Tag {pk} → "
                                 "event=PyCon Nordic (pycon-nordic); the active tenant is event=DemoCon 2026 (democon)")
    assert [w.pk for w in repl.transaction.foreign] == [pk]
    (record,) = [r for r in project.audit.outcomes()
                 if r["action"] == "repl_input" and r.get("session") == repl.session.name and MARK in r["code"]]
    assert record["cross_tenant_write_count"] == 1
    assert record["cross_tenant_writes"][0]["model"] == "conference.Tag"
    assert record["cross_tenant_writes"][0]["pk"] == pk
    # The commit record names it as well.
    repl.commit().result(10)
    commit = [r for r in project.audit.outcomes()
              if r["action"] == "repl_commit" and r.get("session") == repl.session.name][-1]
    assert commit["cross_tenant_write_count"] == 1 and commit["cross_tenant_writes"][0]["pk"] == pk


def test_in_scope_writes_give_no_warning(repl: ReplRunner, marked_tags_removed):
    repl.enable_writes().result(10)
    res = repl.run(f"t = Tag.objects.create(event=event, tag='{MARK}-in')\nt.tag = '{MARK}-in2'\nt.save()\n"
                   "t.delete()")
    assert res.ok and res.writes >= 3
    assert res.foreign_writes == [] and res.write_warning == ""
    assert repl.transaction.foreign == []


def test_delete_and_save_through_a_long_path_are_caught(repl: ReplRunner):
    """Resource belongs to its event through ``submission__event``: resolved with a query, before the delete."""
    repl.enable_writes().result(10)
    found = repl.run("r = Resource._base_manager.filter(submission__event__slug='pycon-nordic').first()\n"
                     "r is not None")
    if found.value.text != "True":
        pytest.skip("the seed has no resource of pycon-nordic")
    saved = repl.run("r.save()")
    assert saved.ok and len(saved.foreign_writes) == 1 and saved.foreign_writes[0].action == "saved"
    deleted = repl.run("r.delete()")
    assert deleted.ok, deleted.error
    assert [w.action for w in deleted.foreign_writes] == ["deleted"]
    assert "(deleted) → event=" in deleted.write_warning
    repl.rollback().result(10)


def test_a_tenant_changed_in_memory_after_the_write_is_read_from_the_database(repl: ReplRunner, marked_tags_removed):
    """``t.event = event`` after the create changes the object, not the row: the row is pycon-nordic's."""
    repl.enable_writes().result(10)
    res = repl.run("from conference.models import Event as E\n"
                   f"t = Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-mem')\n"
                   "t.event = event\n"
                   "t.pk")
    assert res.ok, res.error
    assert [(w.model, w.pk, w.action) for w in res.foreign_writes] == [("conference.Tag", res.value.text, "saved")]
    assert "event=PyCon Nordic (pycon-nordic)" in res.write_warning


def test_save_with_update_fields_is_judged_by_the_row_not_the_object(repl: ReplRunner):
    """``event_id`` changed in memory but left out of ``update_fields``: the row written stays pycon-nordic's."""
    repl.enable_writes().result(10)
    res = repl.run("t = Tag._base_manager.filter(event__slug='pycon-nordic').first()\n"
                   "t.event_id = event.pk\n"
                   "t.tag = t.tag + 'x'\n"
                   "t.save(update_fields=['tag'])\n"
                   "Tag._base_manager.get(pk=t.pk).event.slug")
    assert res.ok, res.error
    assert res.value.text == "'pycon-nordic'"
    assert [(w.model, w.action) for w in res.foreign_writes] == [("conference.Tag", "saved")]
    assert "event=PyCon Nordic (pycon-nordic)" in res.write_warning


def test_a_delete_after_the_tenant_changed_in_memory_is_caught(repl: ReplRunner):
    """The deleted row is read from the database before it goes, not from the object's changed field."""
    repl.enable_writes().result(10)
    res = repl.run("t = Tag._base_manager.filter(event__slug='pycon-nordic').first()\n"
                   "pk = t.pk\n"
                   "t.event = event\n"
                   "t.delete()\n"
                   "pk")
    assert res.ok, res.error
    assert [(w.pk, w.action) for w in res.foreign_writes if w.model == "conference.Tag"] == [
        (res.value.text, "deleted")]
    assert "(deleted) → event=PyCon Nordic (pycon-nordic)" in res.write_warning


def test_a_failed_check_fails_closed(repl: ReplRunner, project, monkeypatch):
    """When the check itself raises, the input is unchecked: said, audited, and counted as foreign for a commit."""
    from tenant_console.core.repl import crosswrite

    def broken(self):
        raise RuntimeError("owner path gone")

    monkeypatch.setattr(crosswrite.WriteWatch, "foreign", broken)
    repl.enable_writes().result(10)
    res = repl.run(f"Tag.objects.create(event=event, tag='{MARK}-unchecked')\n'{MARK}-unchecked'")
    assert res.ok, res.error
    assert res.foreign_writes == [] and res.write_check_failed == "RuntimeError: owner path gone"
    assert res.write_warning.startswith(f"⚠ could not check which tenant the rows written by In [{res.number}] "
                                        "belong to (RuntimeError: owner path gone); treated as writes into another")
    assert repl.transaction.unchecked == [res.number]
    (record,) = [r for r in project.audit.outcomes()
                 if r["action"] == "repl_input" and r.get("session") == repl.session.name
                 and f"{MARK}-unchecked" in r["code"]]
    assert record["cross_tenant_check_failed"] == "RuntimeError: owner path gone"
    repl.rollback().result(10)
    rollback = [r for r in project.audit.outcomes()
                if r["action"] == "repl_rollback" and r.get("session") == repl.session.name][-1]
    assert rollback["cross_tenant_check_failed"] == [res.number]


def test_a_delete_that_sets_null_on_another_tenants_row_is_caught(repl: ReplRunner):
    """``Submission.track`` is SET_NULL: deleting our track updates a pycon-nordic submission that points at it."""
    repl.enable_writes().result(10)
    setup = repl.run("from conference.models import Track\n"
                     f"tr = Track.objects.create(event=event, name='{MARK}-track')\n"
                     "s = Submission._base_manager.filter(event__slug='pycon-nordic').first()\n"
                     "Submission._base_manager.filter(pk=s.pk).update(track=tr)\n"
                     "s.pk")
    assert setup.ok, setup.error
    res = repl.run("tr.delete()\nSubmission._base_manager.get(pk=s.pk).track_id is None")
    assert res.ok, res.error
    assert res.value.text == "True"
    assert [(w.model, w.pk, w.action) for w in res.foreign_writes] == [
        ("conference.Submission", setup.value.text, "set on delete")]
    assert "(set on delete) → event=PyCon Nordic (pycon-nordic)" in res.write_warning


def test_in_scope_deletes_with_set_null_give_no_warning(repl: ReplRunner):
    repl.enable_writes().result(10)
    res = repl.run("s = Submission.objects.first()\n"
                   "s.tags.set(list(Tag.objects.all()[:2]))\n"
                   "s.delete()\n"
                   "from conference.models import Track\n"
                   "[t.delete() for t in Track.objects.all()]")
    assert res.ok, res.error
    assert res.foreign_writes == [] and res.write_warning == ""


def test_another_tenants_row_moved_into_the_active_one_is_caught(repl: ReplRunner):
    """After the save the row is democon's; before it, it was pycon-nordic's: read before the UPDATE."""
    repl.enable_writes().result(10)
    res = repl.run("t = Tag._base_manager.filter(event__slug='pycon-nordic').first()\n"
                   "t.event = event\n"
                   f"t.tag = '{MARK}-taken'\n"
                   "t.save()\n"
                   "t.pk")
    assert res.ok, res.error
    assert [(w.model, w.pk, w.action) for w in res.foreign_writes] == [("conference.Tag", res.value.text, "taken from")]
    assert f"conference.Tag {res.value.text} (taken from) → event=PyCon Nordic (pycon-nordic)" in res.write_warning


def test_m2m_link_to_another_tenant_is_caught(repl: ReplRunner):
    repl.enable_writes().result(10)
    res = repl.run("s = Submission._base_manager.filter(event__slug='pycon-nordic').first()\n"
                   "s.tags.add(Tag.objects.first())")
    assert res.ok, res.error
    assert any(w.action == "linked" and w.model == "conference.Submission" for w in res.foreign_writes)
    assert "1 row written belongs to another tenant" in res.write_warning
    repl.rollback().result(10)


def test_a_failed_input_has_no_warning(repl: ReplRunner):
    repl.enable_writes().result(10)
    res = repl.run("from conference.models import Event as E\n"
                   f"Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-failed')\n1/0")
    assert res.error_kind == "exception" and res.write_warning == "" and repl.transaction.foreign == []


# -- the headless shell -----------------------------------------------------------------------------


def test_shell_refuses_to_commit_a_write_into_another_tenant(capsys, project, db_alias, marked_tags_removed):
    code = ("from conference.models import Event as E\n"
            f"Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-shell')")
    rc, _, err = cli(capsys, "--database", db_alias, "shell", "--event__slug=democon", "--write", "-c", code)
    assert rc == 1
    assert "⚠ 1 row written belongs to another tenant: conference.Tag " in err
    assert "Nothing was committed" in err and "--allow-cross-tenant" in err
    assert "statement(s) that write" not in err
    assert not _exists(db_alias, f"{MARK}-shell")
    record = [r for r in project.audit.outcomes() if r["action"] == "shell_input" and r["code"] == code][-1]
    assert record["outcome"] == "refused" and record["committed"] is False
    assert record["cross_tenant_write_count"] == 1


def test_shell_commits_a_cross_tenant_write_only_when_allowed(capsys, project, db_alias, marked_tags_removed):
    code = ("from conference.models import Event as E\n"
            f"Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-allowed')")
    rc, _, err = cli(capsys, "--database", db_alias, "shell", "--event__slug=democon", "--write",
                     "--allow-cross-tenant", "-c", code)
    assert rc == 0, err
    assert "⚠ 1 row written belongs to another tenant" in err and "committed: 1 statement(s)" in err
    assert _exists(db_alias, f"{MARK}-allowed")
    record = [r for r in project.audit.outcomes() if r["action"] == "shell_input" and r["code"] == code][-1]
    assert record["outcome"] == "ok" and record["committed"] is True and record["cross_tenant_write_count"] == 1


def test_shell_in_scope_write_has_no_warning(capsys, db_alias, marked_tags_removed):
    rc, _, err = cli(capsys, "--database", db_alias, "shell", "--event__slug=democon", "--write", "-c",
                     f"Tag.objects.create(event=event, tag='{MARK}-own')")
    assert rc == 0 and "another tenant" not in err and "committed: 1 statement(s)" in err
    assert _exists(db_alias, f"{MARK}-own")
