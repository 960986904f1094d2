"""Object specs: every form the console prints is accepted back as input (issue 13, "Smaller")."""

from __future__ import annotations

import pytest

from tenant_console.core.errors import ConsoleError
from tenant_console.core.graph.objects import parse_object_spec, spec_of
from tenant_console.core.graph.relations import model_key
from tenant_console.core.graph.result import key_text


def test_every_printed_form_parses_back(project) -> None:
    from conference import models as m

    sub = m.Submission(pk=41)
    forms = [
        spec_of(sub),                                      # conference.Submission.41 (CLI, export)
        key_text((model_key(m.Submission), 41)),           # conference.submission:41 (graph keys)
        f"{m.Submission._meta.label} #41",                 # breadcrumbs and detail titles
        "Submission #41",                                  # graph labels of objects without __str__
        "  conference.Submission#41 ",
        "conference.SUBMISSION.41",
        "submission:41",
    ]
    assert forms[:3] == ["conference.Submission.41", "conference.submission:41", "conference.Submission #41"]
    for form in forms:
        assert parse_object_spec(form) == (m.Submission, 41), form


def test_uuid_and_multi_table_keys(project) -> None:
    import uuid

    from conference import models as m

    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    for form in (f"conference.Resource.{key}", f"conference.resource:{key}", f"Resource #{key}"):
        assert parse_object_spec(form) == (m.Resource, key), form
    # a child model of multi-table inheritance keeps its own label
    assert parse_object_spec("conference.choicequestion:7") == (m.ChoiceQuestion, 7)


@pytest.mark.parametrize(("spec", "message"), [
    ("conference.Submission", "is not an object; write app_label.Model.pk"),
    ("conference.Submission", "conference.submission:PK or conference.Submission #PK"),  # the project's own model
    ("conference.submission:abc", "'abc' is not a valid primary key for conference.Submission"),
    ("Submision #3", "There is no model 'Submision'"),
    ("conference.Nope:3", "There is no model 'conference.Nope'"),
    ("conference.Submission #", "is not an object"),
])
def test_bad_specs_say_what_to_write(project, spec: str, message: str) -> None:
    with pytest.raises(ConsoleError) as err:
        parse_object_spec(spec)
    assert message in str(err.value)
