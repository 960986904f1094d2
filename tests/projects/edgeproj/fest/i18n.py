"""A translatable text field shaped like django-i18nfield's ``I18nCharField``.

It is a ``TextField`` that stores a JSON object of translations (``{"en": "DemoCon"}``) or
plain text, and reads back a :class:`Translated` value; NULL reads back as an empty
translation (``""``), which is what makes database and Python values differ in form.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class Translated:
    def __init__(self, data: Any) -> None:
        if isinstance(data, str):
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = data
            data = parsed if isinstance(parsed, dict) else data
        self.data = data

    def __str__(self) -> str:
        if isinstance(self.data, dict):
            return str(self.data.get("en") or next(iter(self.data.values()), ""))
        return "" if self.data is None else str(self.data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Translated):
            return self.data == other.data
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))


class TranslatedField(models.TextField):
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Translated:
        return Translated(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Translated) or value is None:
            return value
        return Translated(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Translated):
            value = value.data
        if isinstance(value, dict):
            return json.dumps(value, sort_keys=True)
        return value

    def value_to_string(self, obj: Any) -> Any:
        value = self.value_from_object(obj)
        if isinstance(value, Translated):
            value = value.data
        if isinstance(value, dict):
            return json.dumps(value, sort_keys=True)
        return value if value is None else str(value)
