"""Writable mode: one open transaction across inputs, invisible to others until commit."""

from __future__ import annotations

import pytest
from conference.models import Tag

from tenant_console.core.errors import ConsoleError
from tenant_console.core.repl.runner import ReplRunner

MARK = "tc-repl-writable"


def _visible(session, tag: str) -> bool:
    return session.run(lambda: Tag._base_manager.filter(tag=tag).exists(), scoped=False)



def test_change_is_invisible_until_commit(repl: ReplRunner, other_session, project, marked_tags_removed):
    repl.enable_writes().result(10)
    assert repl.writable and not repl.dirty
    res = repl.run(f"t = Tag.objects.create(event=event, tag='{MARK}-commit')\nt.pk")
    assert res.ok, res.error
    assert res.writes >= 1 and repl.dirty
    # The next input runs in the same transaction and sees the change ...
    assert repl.run(f"Tag.objects.filter(tag='{MARK}-commit').count()").value.text == "1"
    # ... another connection does not.
    assert not _visible(other_session, f"{MARK}-commit")
    result = repl.commit().result(10)
    assert result.writes >= 1 and not repl.writable
    assert _visible(other_session, f"{MARK}-commit")
    commits = [r for r in project.audit.outcomes()
               if r["action"] == "repl_commit" and r["session"] == repl.session.name]
    assert commits and any(f"{MARK}-commit" in i["code"] for i in commits[-1]["inputs"])
    # Back to read-only after a commit.
    assert repl.run(f"Tag.objects.filter(tag='{MARK}-commit').delete()").error_kind == "refused"


def test_rollback_throws_the_change_away(repl: ReplRunner, other_session, project, marked_tags_removed):
    repl.enable_writes().result(10)
    assert repl.run(f"Tag.objects.create(event=event, tag='{MARK}-rollback')").ok
    repl.rollback().result(10)
    assert not repl.writable
    assert not _visible(other_session, f"{MARK}-rollback")
    assert repl.run(f"Tag.objects.filter(tag='{MARK}-rollback').exists()").value.text == "False"
    assert any(r["action"] == "repl_rollback" for r in project.audit.outcomes())


def test_a_failing_input_is_undone_alone(repl: ReplRunner, other_session, marked_tags_removed):
    repl.enable_writes().result(10)
    assert repl.run(f"Tag.objects.create(event=event, tag='{MARK}-kept')").ok
    bad = repl.run(f"Tag.objects.create(event=event, tag='{MARK}-undone')\n"
                   f"Tag.objects.create(event=event, tag='{MARK}-kept')")  # violates the UniqueConstraint
    assert bad.error_kind == "exception" and "IntegrityError" in bad.error
    names = repl.run(f"sorted(Tag.objects.filter(tag__startswith='{MARK}').values_list('tag', flat=True))")
    assert names.value.text == f"['{MARK}-kept']", "the failed input's first create was rolled back with it"
    repl.commit().result(10)
    assert _visible(other_session, f"{MARK}-kept") and not _visible(other_session, f"{MARK}-undone")


def test_switching_tenant_with_uncommitted_changes_is_refused(repl: ReplRunner, event_pks, marked_tags_removed):
    repl.enable_writes().result(10)
    assert repl.run(f"Tag.objects.create(event=event, tag='{MARK}-switch')").ok
    with pytest.raises(ConsoleError, match="uncommitted changes"):
        repl.set_scope({"event": event_pks["pycon-nordic"]})
    assert repl.run("event.slug").value.text == "'democon'"
    repl.set_scope({"event": event_pks["pycon-nordic"]}, discard=True)
    assert not repl.writable and repl.run("event.slug").value.text == "'pycon-nordic'"
    assert repl.run(f"Tag._base_manager.filter(tag='{MARK}-switch').exists()").value.text == "False"


def test_clean_transaction_ends_quietly_on_switch(repl: ReplRunner, event_pks):
    repl.enable_writes().result(10)
    assert repl.run("Tag.objects.count()").ok and not repl.dirty
    repl.set_scope({"event": event_pks["opsfest"]})
    assert not repl.writable


def test_interrupting_a_query_keeps_the_transaction(repl: ReplRunner, other_session, marked_tags_removed):
    import time

    from tests.repl.test_interrupt import SLOW_SQL

    repl.enable_writes().result(10)
    assert repl.run(f"Tag.objects.create(event=event, tag='{MARK}-survives')").ok
    fut = repl.submit(f"connection.cursor().execute({SLOW_SQL[repl.vendor]!r})")
    while not repl.in_query:
        time.sleep(0.01)
    time.sleep(0.05)
    assert repl.interrupt()
    assert fut.result(10).error_kind == "interrupted"
    assert repl.writable and repl.dirty, "the earlier change is still pending"
    repl.commit().result(10)
    assert _visible(other_session, f"{MARK}-survives")


def test_closing_rolls_back_and_audits_it(project, db_alias, event_pks, other_session, marked_tags_removed):
    from tenant_console.core.repl.runner import ReplRunner

    runner = ReplRunner(project, project.session("repl-close", alias=db_alias))
    runner.set_scope({"event": event_pks["democon"]})
    runner.enable_writes().result(10)
    assert runner.run(f"Tag.objects.create(event=event, tag='{MARK}-closed')").ok
    runner.close()
    assert not _visible(other_session, f"{MARK}-closed")
    rollbacks = [r for r in project.audit.outcomes()
                 if r["action"] == "repl_rollback" and r["session"] == runner.session.name]
    assert rollbacks and f"{MARK}-closed" in rollbacks[-1]["inputs"][0]["code"]
