"""The REPL flags shown objects that belong to another tenant (reached around the scope)."""

from __future__ import annotations

import pytest

from tenant_console.core.repl.runner import ReplRunner

# The seed plants one review in democon whose submission is pycon-nordic's.
PLANTED = "Review.objects.filter(submission__event__slug='pycon-nordic').get()"


def test_forward_fk_into_another_tenant_is_flagged(repl: ReplRunner):
    review = repl.run(PLANTED)
    assert review.ok, review.error
    assert review.value.warning == "", "the review itself is democon's"
    res = repl.run(f"{PLANTED}.submission")
    assert res.ok and res.value.kind == "object"
    warning = res.value.warning
    assert warning.startswith("⚠ belongs to another tenant: event=")
    assert "PyCon Nordic" in warning and "pycon-nordic" in warning
    assert "DemoCon" in warning  # names the active tenant it is not
    assert warning in res.value.as_text()


def test_in_scope_values_are_not_flagged(repl: ReplRunner):
    for source in ("Submission.objects.first()", "Submission.objects.all()", "Answer.objects.all()",
                   "Tag.objects.first()", "event", "list(Review.objects.all()[:5])"):
        res = repl.run(source)
        assert res.ok, (source, res.error)
        assert res.value.warning == "", source


def test_a_list_with_one_foreign_object_is_flagged_in_one_batch(repl: ReplRunner):
    res = repl.run("[r.submission for r in Review.objects.order_by('-pk').select_related('submission')[:10]]")
    assert res.ok, res.error
    assert "of 10 shown objects belong" in res.value.warning or "of 10 shown objects belongs" in res.value.warning
    assert "event=PyCon Nordic" in res.value.warning
    # The check reads Submission.event_id from the loaded rows and names the tenant in one query.
    checks = [q for q in res.queries if "conference_event" in q.sql and "conference_review" not in q.sql]
    assert len(checks) <= 1


def test_an_indirect_scope_path_is_checked_with_one_query(repl: ReplRunner, event_pks):
    """Answer is scoped via question__event: one pk__in query for the shown rows, none per row."""
    res = repl.run("Answer._base_manager.exclude(question__event=event).order_by('pk')[:10]")
    assert res.ok, res.error
    assert "of 10 shown objects belong" in res.value.warning
    assert res.value.warning.count("event=") == 1


def test_another_tenant_row_itself_is_flagged(repl: ReplRunner):
    res = repl.run("Event._base_manager.get(slug='pycon-nordic')")
    assert res.ok and "another tenant: event=PyCon Nordic" in res.value.warning


@pytest.mark.parametrize("scope", ["disabled", "none"])
def test_no_warning_without_an_active_tenant(repl: ReplRunner, scope):
    repl.set_scope(None, disabled=scope == "disabled")
    res = repl.run("Review._base_manager.filter(submission__event__slug='pycon-nordic')"
                   ".exclude(event__slug='pycon-nordic').get().submission")
    assert res.ok, res.error
    assert res.value.warning == ""
