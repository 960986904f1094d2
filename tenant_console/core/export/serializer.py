"""Django's own ``jsonl`` serializer, fed in chunks, without a query per row.

``dumpdata --natural-foreign`` loses data and time in two ways this module
avoids. ``DjangoJSONEncoder`` cuts datetimes and times to milliseconds (the
ECMA-262 format), so a round trip changes every ``auto_now`` timestamp; here
they keep their microseconds (``loaddata`` parses either form). And it looks up
the related object of every natural-key foreign key row by row
(``getattr(obj, field.name).natural_key()``), and every many-to-many field row
by row: a million rows, a million queries. Otherwise this subclass writes what
``dumpdata --format jsonl --natural-foreign --natural-primary`` writes, but
takes natural keys from a cache filled with one query per chunk and relation,
and many-to-many values from one query per chunk on the through table
(:func:`fetch_links`), read through base managers so that links to another
tenant's rows are written as they are, never silently filtered by a scope.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db.models import CompositePrimaryKey, Field, Model
from django.utils.encoding import is_protected_type

#: Natural keys kept per model before the cache is cleared (keeps memory flat).
CACHE_LIMIT = 50_000


class ExactJSONEncoder(DjangoJSONEncoder):
    """``DjangoJSONEncoder`` without the truncation of datetimes and times to milliseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time):
            if o.utcoffset() is not None:
                raise ValueError("JSON can't represent timezone-aware times.")
            return o.isoformat()
        return super().default(o)


def field_value(field: Any, obj: Model) -> Any:
    """What a fixture row holds for ``field`` of ``obj``: the value if it is a protected type, else its text.

    Django's serializer writes ``field.value_to_string(obj)``, which for a field
    that does not define it is ``str()`` of the Python value: a list kept in a
    text column (pretix's ``MultiStringField``) becomes ``"['a', 'b']"``, which the
    field reads back as one element, so ``dumpdata`` and ``loaddata`` corrupt it
    silently. Where the field keeps Django's default and the value is not text,
    the column's own text (``get_prep_value``) is written instead, if the field
    reads that text back to the same value; otherwise Django's form stays.
    Export and the importer's comparisons both ask this function.
    """
    value = field.value_from_object(obj)
    if is_protected_type(value):
        return value
    if type(field).value_to_string is Field.value_to_string and not isinstance(value, str):
        try:
            prepared = field.get_prep_value(value)
            if isinstance(prepared, str) and field.to_python(prepared) == value:
                return prepared
        except Exception:  # the field cannot take its own value back: keep Django's form
            pass
    return field.value_to_string(obj)


class NaturalKeyCache:
    """``(model, to-field value) -> natural key`` for foreign keys to natural-key models."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._keys: dict[type[Model], dict[Any, Any]] = {}

    def natural_fk_fields(self, model: type[Model]) -> list[Any]:
        return [f for f in model._meta.concrete_fields
                if f.is_relation and f.related_model is not None and (f.many_to_one or f.one_to_one)
                and hasattr(f.related_model, "natural_key")]

    def prefill(self, objs: Sequence[Model], fields: Sequence[Any]) -> None:
        """One query per field for the natural keys this chunk needs and the cache lacks."""
        for f in fields:
            self.prefill_values(f.related_model, f.target_field.attname, {getattr(o, f.attname) for o in objs})

    def prefill_values(self, target: type[Model], tf: str, values: set[Any]) -> None:
        known = self._keys.setdefault(target, {})
        wanted = values - known.keys() - {None}
        if not wanted:
            return
        if len(known) + len(wanted) > CACHE_LIMIT:
            known.clear()
        obj: Any
        for obj in target._base_manager.using(self.alias).filter(**{f"{tf}__in": list(wanted)}):
            known[getattr(obj, tf)] = obj.natural_key()

    def get(self, target: type[Model], value: Any) -> Any:
        return self._keys.get(target, {}).get(value)


class ExportSerializer(JsonlSerializer):  # type: ignore[misc]
    """``jsonl`` with natural keys; FK natural keys come from a :class:`NaturalKeyCache`."""

    _current: Any

    def __init__(self, cache: NaturalKeyCache, links: dict[str, dict[Any, list[Any]]] | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.links = links or {}

    def _init_options(self) -> None:
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()  # type: ignore[misc]

    def _value_from_field(self, obj: Model, field: Any) -> Any:
        if isinstance(field, CompositePrimaryKey):
            return super()._value_from_field(obj, field)  # type: ignore[misc]
        return field_value(field, obj)

    def end_object(self, obj: Model) -> None:
        # json.dumps (one shot) uses the C encoder; json.dump streams through the pure-Python one.
        self.stream.write(json.dumps(self.get_dump_object(obj), **self.json_kwargs) + "\n")
        self._current = None

    def handle_fk_field(self, obj: Model, field: Any) -> None:
        target = field.remote_field.model
        if self.use_natural_foreign_keys and hasattr(target, "natural_key"):
            value = getattr(obj, field.attname)
            if value is None:
                self._current[field.name] = None
                return
            key = self.cache.get(target, value)
            if key is None:  # not prefilled (a missing row): ask Django, as dumpdata would
                related = getattr(obj, field.name)
                key = related.natural_key() if related else None
            self._current[field.name] = key
            return
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: Model, field: Any) -> None:
        if not field.remote_field.through._meta.auto_created:
            return
        values = self.links.get(field.name)
        if values is None:  # not prefilled: Django's own way (one query for this object)
            super().handle_m2m_field(obj, field)
            return
        linked = values.get(obj.pk, ())
        if self.use_natural_foreign_keys and hasattr(field.remote_field.model, "natural_key"):
            target = field.remote_field.model
            self._current[field.name] = [self.cache.get(target, v) for v in linked]
        else:
            self._current[field.name] = list(linked)


def m2m_fields(model: type[Model]) -> list[Any]:
    """The many-to-many fields a fixture row carries (auto-created ``through`` only)."""
    fields: list[Any] = list(model._meta.many_to_many)
    return [f for f in fields if f.remote_field.through._meta.auto_created]


def fetch_links(objs: Sequence[Model], fields: Sequence[Any], cache: NaturalKeyCache,
                alias: str) -> dict[str, dict[Any, list[Any]]]:
    """``{field: {source pk: [target values]}}`` for a chunk: one query per field on the through table.

    Reads the through table through its base manager, so links to rows of another
    tenant are written as they are (a scoped related manager would drop them), and
    in the through table's order, so the same data gives the same bytes.
    """
    found: dict[str, dict[Any, list[Any]]] = {}
    pks = [o.pk for o in objs]
    for f in fields:
        through = f.remote_field.through
        src = through._meta.get_field(f.m2m_field_name())
        dst = through._meta.get_field(f.m2m_reverse_field_name())
        values: dict[Any, list[Any]] = {}
        rows = through._base_manager.using(alias).filter(**{f"{src.attname}__in": pks}).order_by("pk")
        for s, d in rows.values_list(src.attname, dst.attname):
            values.setdefault(s, []).append(d)
        found[f.name] = values
        if hasattr(f.related_model, "natural_key"):
            cache.prefill_values(f.related_model, dst.target_field.attname,
                                 {d for vs in values.values() for d in vs})
    return found
