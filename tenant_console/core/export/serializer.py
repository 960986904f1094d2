"""Django's ``jsonl`` fixture lines, written from database rows without a model instance per row.

What is written is exactly what ``dumpdata --format jsonl --natural-foreign --natural-primary``
writes for the same rows, with two differences that avoid losing data:

* datetimes and times keep their microseconds (``DjangoJSONEncoder`` cuts them to
  milliseconds, so a round trip would change every ``auto_now`` timestamp; ``loaddata``
  parses either form);
* a list kept in a text column (pretix's ``MultiStringField``) is written in the column's
  own text, not ``str()`` of the list (:func:`field_value`).

How it is fast (profiled: a model instance per row, the serializer's per-field method
calls and ``json.dumps`` per row with a fresh encoder took ~85% of the time): rows are
read as the plain columns of the model (``values_list``, Django's own database
converters applied), column by column: a column whose values the fixture writes as they
are (integers, text of a plain text field, ``None``) is checked at C speed and left
alone; every other column goes through its field's one normal form
(:func:`value_form`), and only fields whose value depends on more than the column (a
descriptor such as ``FileField``'s, or a project's own ``value_to_string``) get a bare
instance of the row. Foreign keys to natural-key models are taken from a cache filled
with one query per chunk and relation (:class:`NaturalKeyCache`), many-to-many values
from one query per chunk on the through table (:func:`fetch_links`), read through base
managers so links into another tenant are written as they are, never filtered by a scope.
Each line is then one call of the C JSON encoder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from json import encoder as json_encoder
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import CompositePrimaryKey, Field, FileField, JSONField, Model, QuerySet
from django.db.models.query_utils import DeferredAttribute
from django.db.models.sql.constants import MULTI
from django.utils.encoding import is_protected_type

from tenant_console.core.errors import ConsoleError

#: Natural keys kept per model before the cache is cleared (keeps memory flat).
CACHE_LIMIT = 50_000


def datetime_text(o: dt.datetime) -> str:
    """A datetime as the export writes it: ISO 8601 with its microseconds, UTC as ``Z``."""
    text = o.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ExactJSONEncoder(DjangoJSONEncoder):
    """``DjangoJSONEncoder`` without the truncation of datetimes and times to milliseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            return datetime_text(o)
        if isinstance(o, dt.time):
            if o.utcoffset() is not None:
                raise ValueError("JSON can't represent timezone-aware times.")
            return o.isoformat()
        return super().default(o)


def line_encoder() -> Callable[[Any], str]:
    """``json.dumps(obj, cls=ExactJSONEncoder, ensure_ascii=False, separators=(",", ": "))``, as one function.

    What Django's ``jsonl`` serializer calls per object, but with the C encoder made once
    instead of per call (``json.dumps`` builds an encoder object every time).
    """
    encoder = ExactJSONEncoder(ensure_ascii=False, separators=(",", ": "), check_circular=False)
    c_make_encoder = getattr(json_encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - an interpreter without the C accelerator
        return encoder.encode
    make = c_make_encoder(None, encoder.default, json_encoder.encode_basestring, None, ": ", ",", False, False, True)
    return lambda o: "".join(make(o, 0))


def field_value(field: Any, obj: Model) -> Any:
    """What a fixture row holds for ``field`` of ``obj`` (see :func:`value_form`).

    Export and the importer's comparisons both ask this function.
    """
    return value_form(field, field.value_from_object(obj), obj)


def value_form(field: Any, value: Any, obj: Any = None) -> Any:
    """What a fixture row holds for a field whose value (``field.value_from_object``) is ``value``.

    The value if it is a protected type, else its text. Django's serializer writes
    ``field.value_to_string(obj)``, which for a field that does not define it is ``str()``
    of the Python value: a list kept in a text column (pretix's ``MultiStringField``)
    becomes ``"['a', 'b']"``, which the field reads back as one element, so ``dumpdata``
    and ``loaddata`` corrupt it silently. Where the field keeps Django's default and the
    value is not text, the column's own text (``get_prep_value``) is written instead, if
    the field reads that text back to the same value; otherwise Django's form stays.

    ``obj`` is only needed for a field with its own ``value_to_string`` (without it, a bare
    instance holding ``value`` stands in); the default form and ``JSONField``'s (the value
    itself) depend on the value alone.
    """
    if is_protected_type(value):
        return value
    to_string = type(field).value_to_string
    if to_string is Field.value_to_string:
        if not isinstance(value, str):
            try:
                prepared = field.get_prep_value(value)
                if isinstance(prepared, str) and field.to_python(prepared) == value:
                    return prepared
            except Exception:  # the field cannot take its own value back: keep Django's form
                pass
        return str(value)  # Field.value_to_string: str(value_from_object(obj))
    if to_string is JSONField.value_to_string:
        return value  # JSONField.value_to_string: value_from_object(obj)
    return field.value_to_string(obj if obj is not None else carrier(field.model, {field.attname: value}))


def carrier(model: type[Model], values: dict[str, Any]) -> Model:
    """A bare instance of ``model`` holding ``values`` by attname (no ``__init__``, no signals, no query).

    Attribute access goes through the model's descriptors as on a loaded instance (a
    ``FileField`` reads as a ``FieldFile``), which is what a field's ``value_to_string`` sees.
    """
    obj = model.__new__(model)
    obj.__dict__.update(values)
    return obj


class NaturalKeyCache:
    """``(model, to-field value) -> natural key`` for foreign keys to natural-key models."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._keys: dict[type[Model], dict[Any, Any]] = {}

    def natural_fk_fields(self, model: type[Model]) -> list[Any]:
        return [f for f in model._meta.concrete_fields
                if f.is_relation and f.related_model is not None and (f.many_to_one or f.one_to_one)
                and hasattr(f.related_model, "natural_key")]

    def prefill_values(self, target: type[Model], tf: str, values: set[Any]) -> dict[Any, Any]:
        """One query for the natural keys of ``values`` the cache lacks; returns the target's cache."""
        known = self._keys.setdefault(target, {})
        wanted = values - known.keys() - {None}
        if not wanted:
            return known
        if len(known) + len(wanted) > CACHE_LIMIT:
            known.clear()
            wanted = values - {None}
        obj: Any
        for obj in target._base_manager.using(self.alias).filter(**{f"{tf}__in": list(wanted)}):
            known[getattr(obj, tf)] = obj.natural_key()
        return known

    def get(self, target: type[Model], value: Any) -> Any:
        return self._keys.get(target, {}).get(value)


def m2m_fields(model: type[Model]) -> list[Any]:
    """The many-to-many fields a fixture row carries (auto-created ``through`` only)."""
    fields: list[Any] = list(model._meta.local_many_to_many)
    return [f for f in fields if f.serialize and f.remote_field.through._meta.auto_created]


def fetch_links(pks: Sequence[Any], fields: Sequence[Any], cache: NaturalKeyCache,
                alias: str) -> dict[str, dict[Any, list[Any]]]:
    """``{field: {source pk: [target values]}}`` for a chunk: one query per field on the through table.

    Reads the through table through its base manager, so links to rows of another
    tenant are written as they are (a scoped related manager would drop them), and
    in the through table's order, so the same data gives the same bytes.
    """
    found: dict[str, dict[Any, list[Any]]] = {}
    for f in fields:
        through = f.remote_field.through
        src = through._meta.get_field(f.m2m_field_name())
        dst = through._meta.get_field(f.m2m_reverse_field_name())
        values: dict[Any, list[Any]] = {}
        rows = through._base_manager.using(alias).filter(**{f"{src.attname}__in": list(pks)}).order_by("pk")
        for s, d in rows.values_list(src.attname, dst.attname):
            values.setdefault(s, []).append(d)
        found[f.name] = values
    return found


#: Types a plain field writes as they are (``str`` only where the field's text form is ``str()``).
_AS_IS = frozenset({int, float, bool, str, type(None)})
_AS_IS_NOT_TEXT = frozenset({int, float, bool, type(None)})


def _plain_descriptor(model: type[Model], field: Any) -> bool:
    """Whether reading ``field`` on an instance gives the column's value itself (no ``FieldFile`` or the like)."""
    descriptor = model.__dict__.get(field.attname)
    if descriptor is None:
        for klass in model.__mro__[1:]:
            descriptor = klass.__dict__.get(field.attname)
            if descriptor is not None:
                break
    return (isinstance(descriptor, DeferredAttribute) and type(descriptor).__get__ is DeferredAttribute.__get__
            and type(field).value_from_object is Field.value_from_object)


class Column:
    """One selected column: Django's database converters for it, and how its value reaches the fixture."""

    def __init__(self, field: Any, converters: list[Any], expression: Any, connection: Any,
                 model: type[Model]) -> None:
        self.field = field
        self.converters = converters
        self.expression = expression
        self.connection = connection
        #: The row's value is not enough: the field reads other attributes or a descriptor wraps the value.
        self.needs_row = not _plain_descriptor(model, field) or not (
            type(field).value_to_string in (Field.value_to_string, JSONField.value_to_string)
            or type(field).value_to_string.__module__.startswith("django.db.models.fields"))
        default_text = type(field).value_to_string in (Field.value_to_string, JSONField.value_to_string)
        self.as_is = _AS_IS if default_text else _AS_IS_NOT_TEXT

    def convert(self, values: Sequence[Any]) -> Sequence[Any]:
        """Django's converters (``from_db_value``, the backend's), as ``values_list`` applies them."""
        if not self.converters:
            return values
        expression, connection = self.expression, self.connection
        for conv in self.converters:
            values = [conv(v, expression, connection) for v in values]
        return values

    def encode(self, values: Sequence[Any]) -> Sequence[Any]:
        """The fixture's form of converted values (for a field whose row value is enough)."""
        as_is = self.as_is
        if set(map(type, values)) <= as_is:
            return values
        field = self.field
        out = []
        for v in values:
            t = type(v)
            if t in as_is:
                out.append(v)
            elif t in _ENCODED:  # a protected type (value_form returns it as it is), in the encoder's text
                out.append(_ENCODED[t](v))
            else:
                out.append(_json_ready(value_form(field, v)))
        return out


class RowEncoder:
    """Fixture lines for rows of one model, read as plain columns (see the module docstring)."""

    def __init__(self, model: type[Model], alias: str, cache: NaturalKeyCache) -> None:
        opts = model._meta
        self.model = model
        self.alias = alias
        self.cache = cache
        self.label = opts.label_lower
        self.natural_pk = hasattr(model, "natural_key")
        pk = opts.pk
        # With natural primary keys (always, here) Django writes a multi-table child's parent link as a field.
        pk_parent = pk if pk.remote_field and pk.remote_field.parent_link else None
        local: list[Any] = list(opts.local_fields)
        self.fields = [f for f in local if f.serialize or f is pk_parent]
        self.pk_fields: list[Any] = list(pk) if isinstance(pk, CompositePrimaryKey) else [pk]
        self.composite = isinstance(pk, CompositePrimaryKey)
        self.file_fields = [f for f in opts.local_concrete_fields if isinstance(f, FileField)]
        attnames: list[str] = []
        for f in [*self.pk_fields, *self.fields, *self.file_fields]:
            if f.attname not in attnames and f.concrete:
                attnames.append(f.attname)
        self.attnames = attnames
        self.position = {name: i for i, name in enumerate(attnames)}
        self.m2m = m2m_fields(model)
        self.names = tuple([f.name for f in self.fields] + [f.name for f in self.m2m])
        self.encode_line = line_encoder()
        self.columns: list[Column] = []

    def batches(self, queryset: QuerySet[Any], chunk: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``queryset`` (of this model) as lists of up to ``chunk`` tuples of raw column values.

        A server-side cursor where the backend has one; closed when the generator is closed.
        """
        compiler = queryset.values_list(*self.attnames).query.get_compiler(using=self.alias)
        results = compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=chunk)
        if not self.columns:
            fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
            converters = compiler.get_converters(fields)
            connection = connections[self.alias]
            by_name = {f.attname: f for f in self.model._meta.concrete_fields}
            self.columns = []
            for i, name in enumerate(self.attnames):
                convs, expression = converters.get(i, ([], None))
                self.columns.append(Column(by_name[name], convs, expression, connection, self.model))
        try:
            yield from results
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()

    def encode(self, rows: Sequence[tuple[Any, ...]], file_names: list[tuple[Any, str]] | None = None) -> str:
        """The fixture lines (each ending in a newline) of ``rows`` from :meth:`batches`.

        ``file_names`` receives ``(field, name)`` for every file a ``FileField`` of the rows names.
        """
        if not rows:
            return ""
        raw = list(zip(*rows, strict=False))
        converted = [col.convert(values) for col, values in zip(self.columns, raw, strict=True)]
        instances: list[Model] | None = None
        if any(self.columns[self.position[f.attname]].needs_row for f in [*self.pk_fields, *self.fields]):
            instances = [carrier(self.model, dict(zip(self.attnames, row, strict=True)))
                         for row in zip(*converted, strict=True)]
        out: list[Sequence[Any]] = []
        for f in self.fields:
            i = self.position[f.attname]
            values = converted[i]
            if f.is_relation and f.remote_field is not None and hasattr(f.remote_field.model, "natural_key"):
                out.append(self._natural_keys(f, values, converted[self.position[self.pk_fields[0].attname]]))
            elif self.columns[i].needs_row:
                assert instances is not None
                out.append([_json_ready(field_value(f, obj)) for obj in instances])
            else:
                out.append(self.columns[i].encode(values))
        pks: Sequence[Any] = ()
        if not self.natural_pk:
            pk_values: list[Sequence[Any]] = []
            for f in self.pk_fields:
                i = self.position[f.attname]
                if self.columns[i].needs_row:
                    assert instances is not None
                    pk_values.append([_json_ready(field_value(f, obj)) for obj in instances])
                else:
                    pk_values.append(self.columns[i].encode(converted[i]))
            pks = [list(t) for t in zip(*pk_values, strict=False)] if self.composite else pk_values[0]
        if self.m2m:
            keys = converted[self.position[self.pk_fields[0].attname]]
            links = fetch_links(keys, self.m2m, self.cache, self.alias)
            for f in self.m2m:
                linked = links[f.name]
                target = f.remote_field.model
                if hasattr(target, "natural_key"):
                    dst = f.remote_field.through._meta.get_field(f.m2m_reverse_field_name())
                    natural = self.cache.prefill_values(target, dst.target_field.attname,
                                                        {v for vs in linked.values() for v in vs})
                    out.append([[natural.get(v) for v in linked.get(k, ())] for k in keys])
                else:
                    out.append([list(linked.get(k, ())) for k in keys])
        if file_names is not None:
            for f in self.file_fields:
                file_names.extend((f, str(v)) for v in converted[self.position[f.attname]] if v)
        encode, label, names = self.encode_line, self.label, self.names
        per_row: Iterable[tuple[Any, ...]] = zip(*out, strict=False) if out else [()] * len(rows)
        if self.natural_pk:
            lines = [encode({"model": label, "fields": dict(zip(names, vals, strict=False))}) for vals in per_row]
        else:
            lines = [encode({"model": label, "pk": pk, "fields": dict(zip(names, vals, strict=False))})
                     for pk, vals in zip(pks, per_row, strict=False)]
        lines.append("")
        return "\n".join(lines)

    def _natural_keys(self, field: Any, values: Sequence[Any], pks: Sequence[Any]) -> list[Any]:
        """The natural keys the rows' foreign key ``field`` points at (one query for those not cached)."""
        target = field.remote_field.model
        known = self.cache.prefill_values(target, field.target_field.attname, set(values))
        keys = [known.get(v) if v is not None else None for v in values]
        for pk, v, key in zip(pks, values, keys, strict=False):
            if key is None and v is not None:
                raise ConsoleError(
                    f"{self.label} {pk}: {field.name} points at {target._meta.label_lower} {v}, which does not exist; "
                    "a reference by natural key cannot be written for a missing row. Nothing was written.")
        return keys


#: What ``ExactJSONEncoder.default`` writes for these exact types, called without going through the encoder.
_ENCODED: dict[type, Callable[[Any], str]] = {dt.datetime: datetime_text, Decimal: str, dt.date: dt.date.isoformat}


def _json_ready(value: Any) -> Any:
    encode = _ENCODED.get(type(value))
    return encode(value) if encode is not None else value
