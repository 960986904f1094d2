"""Running inputs on the session thread, inside the scope, read-only by default."""

from __future__ import annotations

import pytest
from conference.models import Submission

from tenant_console.core.repl.runner import ReplRunner

pytestmark = pytest.mark.mariadb


def _count(session, slug: str) -> int:
    return session.run(lambda: Submission._base_manager.filter(event__slug=slug).count(), scoped=False)


def test_count_follows_the_tenant_and_user_variables_stay(repl: ReplRunner, other_session, event_pks):
    expected_a = _count(other_session, "democon")
    expected_b = _count(other_session, "pycon-nordic")
    assert expected_a and expected_b

    res = repl.run("n = Submission.objects.count()\nn")
    assert res.ok, res.error
    assert res.value is not None and res.value.text == str(expected_a)
    assert repl.run("event.slug").value.text == "'democon'"

    repl.set_scope({"event": event_pks["pycon-nordic"]})
    assert repl.run("Submission.objects.count()").value.text == str(expected_b)
    assert repl.run("event.slug").value.text == "'pycon-nordic'"
    assert repl.run("n").value.text == str(expected_a), "a user variable survives a tenant switch"
    # Isolation: nothing of the other tenant is reachable through the scoped manager.
    assert repl.run("Submission.objects.filter(event__slug='democon').exists()").value.text == "False"


def test_an_input_queued_between_the_switch_and_the_rebind_sees_the_new_tenant(repl: ReplRunner, event_pks):
    """The console activates a tenant, then rebinds the REPL's variables: an input typed in
    between runs in the new scope, so ``event`` must already name the new tenant."""
    assert repl.run("event.slug").value.text == "'democon'"
    repl.session.activate({"event": event_pks["pycon-nordic"]})  # the switch, without the rebind
    res = repl.run("(event.slug, Submission.objects.filter(event=event).count() == Submission.objects.count())")
    assert res.ok, res.error
    assert res.value.text == "('pycon-nordic', True)"


def test_expression_value_is_shown_without_print(repl: ReplRunner):
    res = repl.run("{'a': [1, 2, 3]}")
    assert res.ok and res.value.kind == "text" and res.value.text == "{'a': [1, 2, 3]}"
    assert repl.run("_['a'][1]").value.text == "2", "_ holds the last value"
    assert repl.run("x = 41").value is None
    assert repl.run("None").value is None


def test_queryset_renders_as_table_with_total(repl: ReplRunner, other_session):
    total = _count(other_session, "democon")
    res = repl.run("Submission.objects.order_by('pk')")
    assert res.ok
    table = res.value
    assert table.kind == "table" and table.columns[0] == "id" and "title" in table.columns
    assert len(table.rows) == 10 and table.total == total
    assert f"{total} rows, first 10 shown" in table.note
    obj = repl.run("Submission.objects.order_by('pk').first()").value
    assert obj.kind == "object" and ("slug", ) not in obj.rows
    assert dict(obj.rows)["event"].endswith("→ conference.Event")


def test_multiline_block_runs_and_captures_output(repl: ReplRunner):
    res = repl.run("for i in range(3):\n    print('row', i)\n")
    assert res.ok
    assert res.output == [("stdout", "row 0\nrow 1\nrow 2\n")]
    res = repl.run("import sys\nprint('oops', file=sys.stderr)")
    assert res.output == [("stderr", "oops\n")]


def test_exception_shows_a_short_traceback_and_the_session_goes_on(repl: ReplRunner):
    repl.run("def boom():\n    return Submission.objects.get(pk=-1)\n")
    res = repl.run("boom()")
    assert res.error_kind == "exception"
    assert 'File "<repl-' in res.error and "in boom" in res.error
    assert "Submission matching query does not exist" in res.error
    assert "session.py" not in res.error and "runner.py" not in res.error, "console frames are hidden"
    syntax = repl.run("x = = 1")
    assert syntax.error_kind == "syntax" and "SyntaxError" in syntax.error
    assert repl.run("1 + 1").value.text == "2"


def test_write_in_read_only_mode_is_refused_and_nothing_changes(repl: ReplRunner, other_session):
    before = other_session.run(lambda: list(Submission._base_manager.filter(event__slug="democon")
                                            .order_by("pk").values_list("pk", "title")), scoped=False)
    for source in ("Submission.objects.update(title='hacked')",
                   "s = Submission.objects.first(); s.title = 'hacked'; s.save()",
                   "Tag.objects.create(event=event, tag='tc-repl-refused')",
                   "connection.cursor().execute(\"UPDATE conference_submission SET title='x'\")"):
        res = repl.run(source)
        assert res.error_kind == "refused", (source, res.error)
        assert "nothing was written" in res.error
    after = other_session.run(lambda: list(Submission._base_manager.filter(event__slug="democon")
                                           .order_by("pk").values_list("pk", "title")), scoped=False)
    assert after == before
    assert repl.run("Tag.objects.filter(tag='tc-repl-refused').exists()").value.text == "False"


def test_every_input_is_audited_with_its_scope(repl: ReplRunner, project):
    repl.run("'audit me ' + event.slug")
    repl.run("Submission.objects.update(title='no')")
    records = [r for r in project.audit.outcomes() if r["action"] == "repl_input" and r["session"] == repl.session.name]
    assert records[-2]["code"] == "'audit me ' + event.slug" and records[-2]["outcome"] == "ok"
    assert records[-2]["scope"]["tenants"][0]["label"].endswith("(democon)")
    assert records[-2]["database"] == repl.alias
    assert records[-1]["outcome"] == "refused"


def test_sql_echo_records_the_queries_with_time(repl: ReplRunner):
    res = repl.run("list(Submission.objects.filter(state='accepted')[:2])")
    own = [q for q in res.queries if not q.check]  # the console's tenant check is marked as its own
    assert len(own) == 1
    q = own[0]
    assert "conference_submission" in q.sql and "accepted" in q.sql and q.seconds >= 0 and not q.writes


def test_disabled_scopes_unbind_the_tenant(repl: ReplRunner, other_session):
    repl.set_scope(None, disabled=True)
    assert repl.scope.disabled
    assert repl.run("event").error_kind == "exception"
    total = other_session.run(lambda: Submission._base_manager.count(), scoped=False)
    assert repl.run("Submission.objects.count()").value.text == str(total)


def test_no_standard_input_and_exit_does_not_end_anything(repl: ReplRunner):
    res = repl.run("input('name? ')")
    assert res.error_kind == "exception" and "EOFError" in res.error
    res = repl.run("exit()")
    assert res.error_kind == "exception" and "do not close the console" in res.error
    assert repl.run("2 ** 10").value.text == "1024"


def test_scope_error_says_what_to_do(project, db_alias):
    session = project.session("repl-noscope", alias=db_alias)
    runner = ReplRunner(project, session)
    try:
        res = runner.run("Submission.objects.count()")
        assert res.error_kind == "exception" and "ScopeError" in res.error and "choose one" in res.error
    finally:
        runner.close()
