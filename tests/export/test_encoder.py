"""The row encoder writes what Django's own ``jsonl`` serializer writes (with the export's two fixes).

The export reads plain columns instead of model instances (``serializer.RowEncoder``); this
checks every row of every demo model, on SQLite, PostgreSQL and MariaDB, against Django's
``jsonl`` serializer run on model instances with ``--natural-foreign --natural-primary``, the
export's field form (``field_value``) and its encoder (``ExactJSONEncoder``). Many-to-many lists
are compared as sets: Django reads them in the related manager's order, the export in the through
table's.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.apps import apps
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db import connections
from django.db.models import CompositePrimaryKey
from django_scopes import scopes_disabled

from tenant_console.core.export.serializer import ExactJSONEncoder, NaturalKeyCache, RowEncoder, field_value

pytestmark = pytest.mark.mariadb


class DjangoForm(JsonlSerializer):  # type: ignore[misc]
    """Django's serializer with the export's value form and encoder: the reference."""

    def _init_options(self) -> None:
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()

    def _value_from_field(self, obj: Any, field: Any) -> Any:
        if isinstance(field, CompositePrimaryKey):
            return super()._value_from_field(obj, field)
        return field_value(field, obj)


def _normal(line: dict[str, Any], m2m: set[str]) -> dict[str, Any]:
    fields = {k: sorted(map(json.dumps, v)) if k in m2m else v for k, v in line["fields"].items()}
    return {**line, "fields": fields}


def test_every_row_of_every_model_is_written_as_django_writes_it(db_alias) -> None:
    checked = 0
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        qs = model._base_manager.using(db_alias).order_by("pk")
        m2m = {f.name for f in opts.local_many_to_many}
        with scopes_disabled():
            reference = io.StringIO()
            DjangoForm().serialize(qs, stream=reference, use_natural_foreign_keys=True,
                                   use_natural_primary_keys=True)
        encoder = RowEncoder(model, db_alias, NaturalKeyCache(db_alias))
        ours = "".join(encoder.encode(rows) for rows in encoder.batches(qs, 500))
        want = [_normal(json.loads(line), m2m) for line in reference.getvalue().splitlines()]
        got = [_normal(json.loads(line), m2m) for line in ours.splitlines()]
        assert got == want, opts.label
        if not m2m:  # without many-to-many lists the lines are the same bytes
            assert ours == reference.getvalue(), opts.label
        checked += len(got)
    connections[db_alias].close()
    assert checked > 500
