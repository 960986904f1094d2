"""Readable values: model instances, querysets and everything else, as plain data.

The REPL shows the value of an expression without ``print()``. A queryset
becomes a small table of its first rows plus the total count; a model instance
becomes its fields; anything else is pretty-printed. Values in tables and
objects are written by the object table's own function
(:func:`tenant_console.core.browse.rows.format_value`: ``2026-05-04 09:30:00``,
not ``datetime.datetime(...)``). A table also says in which order its columns
are read (:attr:`Rendered.priority`: the key, the fields that name the object
for people (its label's :func:`~tenant_console.core.browse.labels.display_fields`),
choices, links, other codes and short text, then the rest, secret-looking
fields last), so that the UI keeps the first ones whole on a narrow terminal.
Every field a table does not show is named in one note
(:meth:`Rendered.hidden_note`), whether the core left it out (beyond
:data:`MAX_COLUMNS`) or the UI did (too narrow). A foreign key cell that
points into another tenant is marked ``⚠`` (see :mod:`.tenancy`). This module
produces only strings and rows (the UI decides colours, borders and widths) and
must run on the session thread, because rendering a queryset runs queries
inside the scope.
"""

from __future__ import annotations

import pprint
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db import models
from django.db.models import Manager, Model, QuerySet

from tenant_console.core.browse.access import code_fields
from tenant_console.core.browse.labels import display_fields
from tenant_console.core.browse.rows import format_value
from tenant_console.core.discovery import looks_secret
from tenant_console.core.repl.tenancy import TableCheck

MAX_ROWS = 10
#: Columns a table carries at most (the UI shows those that fit and names the rest).
MAX_COLUMNS = 16
MAX_CELL = 40
MAX_TEXT = 20_000
#: Hidden columns named in a table's note at most (then "and N more").
MAX_NAMED_COLUMNS = 12
#: The mark of a foreign key cell that points into another tenant.
FOREIGN_MARK = "⚠"


@dataclass(frozen=True)
class Rendered:
    """A value ready to show: ``text`` for plain values, ``columns``/``rows`` for tables and objects."""

    kind: Literal["text", "table", "object"]
    text: str = ""
    title: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    total: int | None = None
    note: str = ""
    #: Said in red with the value: the shown objects belong to another tenant (see :mod:`.tenancy`).
    warning: str = ""
    #: Column indexes in the order a person reads them, the key first (empty: left to right).
    priority: tuple[int, ...] = ()
    #: Fields of the model the table does not carry (beyond :data:`MAX_COLUMNS`), in reading order.
    omitted: tuple[str, ...] = ()

    def reading_order(self) -> tuple[int, ...]:
        """:attr:`priority`, completed with any column it leaves out, left to right."""
        seen = [i for i in self.priority if 0 <= i < len(self.columns)]
        return tuple(seen + [i for i in range(len(self.columns)) if i not in seen])

    def hidden_note(self, left_out: Sequence[str] = ()) -> str:
        """One line naming every column not shown: ``left_out`` (carried, but dropped by the UI for the
        width) then :attr:`omitted`; the count and the names are of the same columns."""
        hidden = list(dict.fromkeys([*left_out, *self.omitted]))
        if not hidden:
            return ""
        named = ", ".join(hidden[:MAX_NAMED_COLUMNS])
        more = f" and {len(hidden) - MAX_NAMED_COLUMNS} more" if len(hidden) > MAX_NAMED_COLUMNS else ""
        return (f"{len(hidden)} more column{'s' if len(hidden) != 1 else ''} not shown: {named}{more}"
                " (_[0] shows every field of a row)")

    def as_text(self) -> str:
        """A plain-text form (for the headless shell, logs and tests)."""
        if self.kind == "text":
            return self.text
        lines = [self.title] if self.title else []
        if self.columns:
            widths = [max([len(c)] + [len(r[i]) for r in self.rows]) for i, c in enumerate(self.columns)]
            lines.append("  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=False)))
            lines.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) for r in self.rows)
        if self.note:
            lines.append(self.note)
        if self.hidden_note():
            lines.append(self.hidden_note())
        if self.warning:
            lines.append(self.warning)
        return "\n".join(lines)


#: Given the model instances about to be shown, a warning (or "") about whose they are.
TenantCheck = Callable[[Sequence[Model]], str]
#: Given a model, its instances about to be shown in a table and the foreign keys among its columns:
#: whose the rows are and which cells point into another tenant (replaces :data:`TenantCheck` there).
TableCheckFn = Callable[[type[Model], Sequence[Model], Sequence[str]], TableCheck]


def cell(value: Any, limit: int = MAX_CELL) -> str:
    """One short line for a table cell, written as the object table writes it (one function for both)."""
    text = str(value) if isinstance(value, Model) else format_value(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _reading_rank(f: models.Field, display: Sequence[str], codes: Sequence[str]) -> int:
    """How early a person looks at a column: the key, the fields that name the object (``title``,
    ``code``), choices, links, other codes and short text, numbers and dates, long text and JSON, and
    secret-looking fields (``invitation_token``) last (found from the field's kind and the label's
    fields, never from a list of this module's own)."""
    if f.primary_key:
        return 0
    if looks_secret(f.name):
        return 8
    if f.name in display:
        return 1
    if f.choices:
        return 2
    if f.is_relation:
        return 3
    if f.name in codes or isinstance(f, models.CharField):
        return 4
    if isinstance(f, (models.TextField, models.JSONField, models.BinaryField)):
        return 6
    return 5


@dataclass(frozen=True)
class _Columns:
    cols: list[tuple[str, str]]  # (header, attname) of the carried fields, in model order (pk first)
    priority: tuple[int, ...]  # reading order of ``cols``
    omitted: tuple[str, ...]  # the fields left out, in reading order
    relations: tuple[str, ...]  # the carried foreign keys (field names)


def _model_columns(model: type[Model]) -> _Columns:
    """The concrete fields a table carries (at most :data:`MAX_COLUMNS`, the first read), and the rest."""
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk
    fields.sort(key=lambda f: f is not pk)
    display, codes = display_fields(model), code_fields(model)
    ranked = sorted(range(len(fields)), key=lambda i: (_reading_rank(fields[i], display, codes), i))
    kept = sorted(ranked[:MAX_COLUMNS])
    return _Columns(cols=[(fields[i].name, fields[i].attname) for i in kept],
                    priority=tuple(kept.index(i) for i in ranked[:MAX_COLUMNS]),
                    omitted=tuple(fields[i].name for i in ranked[MAX_COLUMNS:]),
                    relations=tuple(fields[i].name for i in kept
                                    if fields[i].is_relation and not fields[i].primary_key))


def _model_table(model: type[Model], head: Sequence[Model], title: str, total: int,
                 check: TenantCheck | None, table_check: TableCheckFn | None) -> Rendered:
    """A table of model instances: the carried columns, FK cells into another tenant marked."""
    layout = _model_columns(model)
    found = TableCheck()
    if table_check is not None and head:
        found = table_check(model, head, layout.relations)
    elif check is not None and head:
        found = TableCheck(rows=check(head))
    foreign = found.cells
    warnings = [found.rows, found.references]
    rows = []
    for obj in head:
        row = []
        for name, attname in layout.cols:
            value = getattr(obj, attname, None)
            text = cell(value)
            if value is not None and value in foreign.get(name, ()):
                text = f"{FOREIGN_MARK} {text}"
            row.append(text)
        rows.append(tuple(row))
    return Rendered("table", title=title, columns=tuple(h for h, _ in layout.cols), rows=tuple(rows),
                    total=total, note=_note(len(head), total), warning="\n".join(w for w in warnings if w),
                    priority=layout.priority, omitted=layout.omitted)


def _note(shown: int, total: int | None) -> str:
    if total is None:
        return ""
    return f"{total:,} row{'s' if total != 1 else ''}" + (f", first {shown} shown" if total > shown else "")


def render_queryset(qs: QuerySet, rows: int = MAX_ROWS, check: TenantCheck | None = None,
                    table_check: TableCheckFn | None = None) -> Rendered:
    model = qs.model
    sliced = qs.query.is_sliced
    head = list(qs) if sliced else list(qs[:rows])
    total = len(head) if sliced else (len(head) if len(head) < rows else qs.count())
    head = head[:rows]
    title = f"<QuerySet {label(model)}>"
    if head and isinstance(head[0], dict):
        columns = tuple(head[0].keys())
        body = tuple(tuple(cell(r.get(c)) for c in columns) for r in head)
        return Rendered("table", title=title, columns=columns, rows=body, total=total, note=_note(len(head), total))
    if head and isinstance(head[0], tuple) and not isinstance(head[0], Model):
        names = list(getattr(qs.query, "values_select", ()) or ())
        if qs.query.annotation_select:
            names += [n for n in qs.query.annotation_select if n not in names]
        columns = tuple(names) if len(names) == len(head[0]) else tuple(f"col{i}" for i in range(len(head[0])))
        body = tuple(tuple(cell(v) for v in r) for r in head)
        return Rendered("table", title=title, columns=columns, rows=body, total=total, note=_note(len(head), total))
    if head and not isinstance(head[0], Model):  # values_list(flat=True)
        body = tuple((cell(v),) for v in head)
        return Rendered("table", title=title, columns=("value",), rows=body, total=total,
                        note=_note(len(head), total))
    return _model_table(model, head, title, total, check, table_check)


def render_instance(obj: Model, check: TenantCheck | None = None) -> Rendered:
    """Every concrete field of one object, FKs as their id (no extra queries)."""
    opts = obj._meta
    rows: list[tuple[str, str]] = []
    for f in opts.concrete_fields:
        value = getattr(obj, f.attname, None)
        shown = cell(value, 120)
        if f.is_relation and value is not None and f.related_model is not None:
            shown = f"{shown} → {label(f.related_model)}"  # type: ignore[arg-type]
        elif f.choices and value is not None:
            display = getattr(obj, f"get_{f.name}_display", None)
            if callable(display) and str(display()) != str(value):
                shown = f"{shown} ({display()})"
        rows.append((f.name, shown))
    try:
        text = str(obj)
    except Exception as exc:
        text = f"<str() failed: {type(exc).__name__}>"
    title = f"{label(type(obj))} #{cell(obj.pk)}" + (f"  {cell(text, 80)}" if text else "")
    return Rendered("object", title=title, columns=("field", "value"), rows=tuple(rows),
                    warning=check([obj]) if check is not None else "")


def render(value: Any, rows: int = MAX_ROWS, width: int = 100, check: TenantCheck | None = None,
           table_check: TableCheckFn | None = None) -> Rendered | None:
    """How the REPL shows ``value``; None (nothing shown) for ``None``, as the standard REPL does.

    ``check`` is asked about the model instances shown (an instance, the first
    rows of a queryset or list) and its warning travels with the value;
    ``table_check`` replaces it for a table of model instances: asked once per
    table (its rows and its FK columns), it also marks the cells that point into
    another tenant.
    """
    if value is None:
        return None
    if isinstance(value, Manager):
        value = value.all()
    if isinstance(value, QuerySet):
        return render_queryset(value, rows, check, table_check)
    if isinstance(value, Model):
        return render_instance(value, check)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Model) for v in value) \
            and len({type(v) for v in value}) == 1:
        model = type(value[0])
        return _model_table(model, list(value[:rows]), f"{type(value).__name__} of {label(model)}", len(value),
                            check, table_check)
    try:
        text = pprint.pformat(value, width=width, sort_dicts=False)
    except Exception:
        text = repr(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT:,} more characters)"
    return Rendered("text", text=text)
