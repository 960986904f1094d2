"""A field that keeps Django's default ``value_to_string`` loses a non-text value in dumpdata's form (str() of a
list); the export writes the column's own text instead, which the field reads back to the same value."""

from __future__ import annotations

from types import SimpleNamespace

from django.db import models

from tenant_console.core.export.serializer import field_value
from tenant_console.core.importer.values import same, serialized

DELIMITER = "\x1f"


class ListInText(models.TextField):
    """Like pretix's MultiStringField: a list kept as delimited text, without its own value_to_string."""

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return list(value)
        return [v for v in value.split(DELIMITER) if v] if value else []

    def get_prep_value(self, value):
        if isinstance(value, (list, tuple)):
            return DELIMITER + DELIMITER.join(value) + DELIMITER
        return value


class Unreadable(models.TextField):
    """A field that cannot read its own text back: Django's form is kept."""

    def get_prep_value(self, value):
        return "#".join(value)

    def to_python(self, value):
        return value


def _field(cls: type, name: str = "values") -> models.Field:
    f = cls()
    f.set_attributes_from_name(name)
    return f


def test_a_list_in_a_text_column_survives_the_round_trip():
    f = _field(ListInText)
    for value in ([], ["a"], ["a", "b c", "[]"]):
        obj = SimpleNamespace(values=value)
        written = field_value(f, obj)
        assert f.to_python(written) == value  # what loaddata and import read back
        assert f.value_to_string(obj) == str(value)  # Django's own form, which would not survive
    assert f.to_python(str([])) == ["[]"]  # (how the default corrupts an empty list)


def test_other_values_keep_django_form():
    text = _field(models.TextField)
    assert field_value(text, SimpleNamespace(values="plain")) == "plain"
    assert field_value(_field(models.IntegerField), SimpleNamespace(values=3)) == 3  # protected types as they are
    odd = _field(Unreadable)
    assert field_value(odd, SimpleNamespace(values=["a", "b"])) == str(["a", "b"])


def test_the_importer_compares_in_the_same_form():
    f = _field(ListInText)
    f.model = SimpleNamespace  # the carrier only needs a class to hold the value
    assert serialized(f, ["a", "b"]) == f"{DELIMITER}a{DELIMITER}b{DELIMITER}"
    assert same(f, ["a", "b"], f"{DELIMITER}a{DELIMITER}b{DELIMITER}")
    assert not same(f, [], ["[]"])
