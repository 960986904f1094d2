"""``delete_preview()`` in the REPL: the same preview as the CLI, read-only, deleting nothing."""

from __future__ import annotations


def test_delete_preview_in_the_repl_matches_the_core_and_deletes_nothing(repl, other_session, project, db_alias):
    from conference.models import Submission

    def count() -> int:
        return Submission._base_manager.using(db_alias).count()

    before = other_session.run(count, scoped=False)
    res = repl.run("p = delete_preview(Submission.objects.filter(state='accepted'))\np")
    assert res.ok, res.error
    assert res.value is not None and "<DeletePreview:" in res.value.text and "not blocked" in res.value.text
    res = repl.run("p.counts()['conference.submission'] == Submission.objects.filter(state='accepted').count()")
    assert res.ok and res.value.text == "True", res.error
    res = repl.run("delete_preview(Submission.objects.first()).counts()['conference.submission']")
    assert res.ok and res.value.text == "1", res.error
    # an object of another tenant is refused, as in the console and the CLI
    res = repl.run("from django_scopes import scopes_disabled\n"
                   "with scopes_disabled():\n"
                   "    other = Submission.objects.exclude(event=event).first()\n"
                   "delete_preview(other)")
    assert not res.ok and "belongs to another tenant" in (res.error or "")
    assert other_session.run(count, scoped=False) == before
