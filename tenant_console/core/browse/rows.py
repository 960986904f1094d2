"""Columns and rows of an object list: concrete fields, FKs shown as the target's label.

A page of rows is fetched with ``values()`` for the columns and one label query
per FK target model, so the cost of a page does not depend on the model's
``__str__`` or on how many FKs point at the same object.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Model

from tenant_console.core.browse.labels import labels_for
from tenant_console.core.discovery import ScopeRegistry, model_label


@dataclass(frozen=True)
class Column:
    name: str  # field name, the sort key the user picks
    attname: str  # database attribute (``event_id`` for FK ``event``)
    title: str
    kind: str  # pk, fk, choice, bool, number, date, json, text, file, other
    width: int  # a reasonable display width
    nullable: bool
    target: str | None = None  # FK target model label
    sortable: bool = True


@dataclass(frozen=True)
class Cell:
    text: str
    #: A cross-tenant FK target, or a NULL; the UI styles these.
    foreign: bool = False
    null: bool = False


@dataclass(frozen=True)
class Row:
    pk: Any
    key: tuple[Any, ...]
    cells: tuple[Cell, ...]


_WIDTH = {"pk": 8, "fk": 24, "choice": 12, "bool": 5, "number": 10, "date": 19, "json": 28, "text": 30,
          "file": 24, "other": 16}


def _kind(f: models.Field) -> str:
    if f.primary_key and not f.is_relation:
        return "pk"
    if f.is_relation:
        return "fk"
    if f.choices:
        return "choice"
    if isinstance(f, models.BooleanField):
        return "bool"
    if isinstance(f, (models.IntegerField, models.FloatField, models.DecimalField)):
        return "number"
    if isinstance(f, (models.DateField, models.TimeField, models.DurationField)):
        return "date"
    if isinstance(f, models.JSONField):
        return "json"
    if isinstance(f, models.FileField):
        return "file"
    if isinstance(f, (models.CharField, models.TextField)):
        return "text"
    return "other"


def columns(model: type[Model]) -> list[Column]:
    """The concrete fields of ``model``, pk first (metadata only: safe on any thread)."""
    cols = []
    for f in model._meta.concrete_fields:
        kind = _kind(f)
        width = _WIDTH[kind]
        if kind == "pk" and isinstance(f, models.UUIDField):
            width = 36
        if kind == "text" and isinstance(f, models.CharField) and f.max_length and f.max_length < width:
            width = max(len(f.name), f.max_length)
        if kind == "fk" and f.primary_key:  # multi-table inheritance parent link
            kind, width = "pk", 8
        cols.append(Column(
            name=f.name, attname=f.attname, title=f.name, kind=kind, width=max(width, len(f.name)),
            nullable=f.null,
            target=model_label(f.related_model) if f.is_relation and f.related_model else None,
            sortable=not isinstance(f, (models.JSONField, models.TextField)),
        ))
    pk_name = model._meta.pk.name
    cols.sort(key=lambda c: c.name != pk_name)
    return cols


def format_value(value: Any, kind: str = "other") -> str:
    """One-line display text for a value."""
    t = type(value)  # the common cases first: a page formats about a thousand values
    if t is int:
        return str(value)
    if t is str and kind != "json":
        return " ".join(value.split())
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time, decimal.Decimal, uuid.UUID)):
        return str(value)
    if kind == "json" or isinstance(value, (dict, list)):
        if not value and (t is dict or t is list):  # the usual default of a JSON field
            return "{}" if t is dict else "[]"
        return json.dumps(value, ensure_ascii=False, default=str)
    return " ".join(str(value).split())


def build_rows(model: type[Model], cols: Sequence[Column], records: Sequence[Mapping[str, Any]],
               key_attnames: Sequence[str], registry: ScopeRegistry, tenant_pks: Mapping[str, Any],
               alias: str | None = None) -> list[Row]:
    """Turn ``values()`` records into display rows, with FK labels fetched per target model."""
    labels: dict[str, dict[Any, Any]] = {}
    for col in cols:
        if col.kind == "fk":
            target = model._meta.get_field(col.name).related_model
            if isinstance(target, type):
                labels[col.attname] = labels_for(target, (r[col.attname] for r in records), registry,
                                                 tenant_pks, alias)
    makers = [(col.attname, _cell_maker(model, col, labels.get(col.attname, {}))) for col in cols]
    return [Row(rec["pk"], tuple([rec[k] for k in key_attnames]), tuple([make(rec[a]) for a, make in makers]))
            for rec in records]


_NULL = Cell("∅", null=True)


def _text_cell(text: str, _new: Any = object.__new__) -> Cell:
    """``Cell(text)``, equal to it, without the frozen dataclass's ``__init__`` (an ``object.__setattr__``
    per field, 2.5x the cost of this): a page of 100 rows makes about 700 of them."""
    cell = _new(Cell)
    cell.__dict__.update(text=text, foreign=False, null=False)
    return cell


def _cell_maker(model: type[Model], col: Column, labels: Mapping[Any, Any]) -> Callable[[Any], Cell]:
    """The cell of one value of ``col``, chosen once per column (a page makes about a thousand cells).
    FK and choice cells repeat (the event, a few tracks and states): each distinct one is made once."""
    kind = col.kind
    if kind == "fk" or kind == "choice":
        flat = dict(getattr(model._meta.get_field(col.name), "flatchoices", ())) if kind == "choice" else {}
        made: dict[Any, Cell] = {}

        def fresh(value: Any) -> Cell:
            if kind == "choice":
                return Cell(str(flat.get(value, value)))
            label = labels.get(value)
            foreign = bool(label and label.foreign)
            # The mark first: a narrow column cuts the end of a cell, and it must never cut the mark.
            text = label.text if label else f"#{value}"
            return Cell(f"⚠ other tenant: {text}" if foreign else text, foreign=foreign)

        def repeated(value: Any) -> Cell:
            if value is None:
                return _NULL
            try:
                cell = made.get(value)
            except TypeError:  # an unhashable choice value (a list)
                return fresh(value)
            if cell is None:
                cell = made[value] = fresh(value)
            return cell

        return repeated

    def other(value: Any) -> Cell:
        return _NULL if value is None else _text_cell(format_value(value, kind))

    return other
