"""The one normal form the import planner compares values in (``tenant_console.core.importer.values``).

The end-to-end proof (an untouched re-import plans all ``identical`` on SQLite and PostgreSQL, with
a NULL-reads-"" translatable field and JSON floats) is ``tests/edges/test_reimport.py``; these pin
down what counts as the same value and, as important, what does not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tenant_console.core.importer.values import same


def _field(label: str, name: str):
    from django.apps import apps

    return apps.get_model(label)._meta.get_field(name)


@pytest.mark.parametrize(("label", "name", "a", "b"), [
    ("conference.Event", "settings", {"score": 1.0, "w": [1.0, 2]}, {"score": 1, "w": [1, 2.0]}),
    ("conference.Review", "score", Decimal("2.50"), Decimal("2.5")),
    ("conference.Review", "score", Decimal("2.5"), "2.5"),
    ("conference.Submission", "created", dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc),
     dt.datetime(2026, 1, 1, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    ("conference.Submission", "track", "12", 12),
    ("conference.Resource", "id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
     __import__("uuid").UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")),
    ("conference.Event", "date_from", dt.date(2026, 5, 1), "2026-05-01"),
    ("conference.Event", "is_public", True, 1),  # a driver that returns 1 for a boolean column
])
def test_the_same_value_in_another_form(label, name, a, b):
    f = _field(label, name)
    assert same(f, a, b) and same(f, b, a)


@pytest.mark.parametrize(("label", "name", "a", "b"), [
    ("conference.Event", "settings", {"flag": True}, {"flag": 1}),  # JSON true is not 1
    ("conference.Event", "settings", {"score": 1.5}, {"score": 1}),
    ("conference.Submission", "title", "[1.0]", "[1]"),  # plain text is compared as text, never parsed
    ("conference.Submission", "abstract", "", None),  # NULL and "" are different values of a plain field
    ("conference.Review", "score", Decimal("2.5"), Decimal("2.6")),
    ("conference.Submission", "track", 12, 13),
])
def test_a_different_value_is_different(label, name, a, b):
    f = _field(label, name)
    assert not same(f, a, b) and not same(f, b, a)


def test_normalizer_fast_paths_agree_with_normal(project):
    """``normalizer`` states the normal form directly for text and integers (the move digest hashes every
    row through it); on every value of every tenant model of the seeded demo database it must equal
    ``importer.values.normal`` (the one definition)."""
    from tenant_console.core.importer.values import normal, normalizer
    from tenant_console.core.move.digest import tenant_models

    def check() -> int:
        seen = 0
        for model in tenant_models(project.registry):
            fields = list(model._meta.local_concrete_fields)
            for row in model._base_manager.using("default").values_list(*[f.attname for f in fields])[:300]:
                for f, v in zip(fields, row, strict=True):
                    fast, slow = normalizer(f)(v), normal(f, v)
                    assert (type(fast), repr(fast)) == (type(slow), repr(slow)), (model, f.name, v)
                    seen += 1
        return seen

    with project.session("digest-test", alias="default") as s:
        assert s.run(check, scoped=False) > 1000

