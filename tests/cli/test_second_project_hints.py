"""Hints in messages name the project at hand, not the demo project (the operator trial on pretix and
pretalx read ``conference.Submission`` and ``--event__slug=democon`` in their errors).

saasproj has no ``conference`` app and no ``democon``: every hint below must use its own models
(``ticketing.*``), its own dimensions (``organizer``, with a ``handle`` and no slug), or a placeholder.
"""

from __future__ import annotations

import pytest

from tests.core.second_project import cli

DEMO = ("conference.", "democon", "Submission", "event__slug")


@pytest.mark.parametrize(("args", "words"), [
    (["export"], "Nothing to export: choose a tenant (for example --organizer__handle=HANDLE) or objects "
                 "(--objects ticketing."),
    (["export", "--objects", "ticketing.Ticket"], "is not an object; write app_label.Model.pk (ticketing."),
    (["graph", "nope"], "is not an object; write app_label.Model.pk (ticketing."),
    (["graph", "ticketing.Ticket.1", "--stop-at", "reviews"], "name a relation as app_label.Model.relation "
                                                               "(for example ticketing."),
    (["delete", "ticketing.Ticket.1"], "Choose the tenant whose rows you delete (for example "
                                       "--organizer__handle=HANDLE)"),
    (["delete", "--organizer__handle=acme", "ticketing.Ticket.1", "--filter", "code=X"],
     "--filter takes one model (app_label.Model) to filter, for example `delete ticketing."),
    (["move", "--to", "default"], "Choose the tenant to move (for example --organizer__handle=HANDLE)"),
    (["models", "--organizer"], "needs a value, as in --organizer=VALUE. Scope options have the form "
                                "--DIMENSION=PK or --DIMENSION__LOOKUP=VALUE (here --organizer=PK or "
                                "--organizer__FIELD=VALUE)."),
])
def test_hints_use_the_projects_own_names(args, words):
    done = cli(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert words in done.stderr, done.stderr
    assert not any(d in done.stderr for d in DEMO), done.stderr
