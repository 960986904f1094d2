"""Readable values: model instances, querysets and everything else, as plain data.

The REPL shows the value of an expression without ``print()``. A queryset
becomes a small table of its first rows plus the total count; a model instance
becomes its fields; anything else is pretty-printed. This module produces only
strings and rows (the UI decides colours and borders) and must run on the
session thread, because rendering a queryset runs queries inside the scope.
"""

from __future__ import annotations

import pprint
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Manager, Model, QuerySet

MAX_ROWS = 10
MAX_COLUMNS = 8
MAX_CELL = 40
MAX_TEXT = 20_000


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
        if self.warning:
            lines.append(self.warning)
        return "\n".join(lines)


#: Given the model instances about to be shown, a warning (or "") about whose they are.
TenantCheck = Callable[[Sequence[Model]], str]


def cell(value: Any, limit: int = MAX_CELL) -> str:
    """One short line for a table cell."""
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, Model) else str(value)
    text = " ".join(str(text).split()) if "\n" in str(text) or "\t" in str(text) else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _model_columns(model: type[Model]) -> tuple[list[tuple[str, str]], int]:
    """``[(header, attname)]`` for the concrete fields, pk first, and how many were left out."""
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk
    fields.sort(key=lambda f: f is not pk)
    cols = [(f.name, f.attname) for f in fields]
    return cols[:MAX_COLUMNS], max(0, len(cols) - MAX_COLUMNS)


def _model_rows(objs: Sequence[Model], cols: list[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(cell(getattr(o, attname, None)) for _, attname in cols) for o in objs)


def _note(shown: int, total: int | None, hidden_columns: int) -> str:
    parts = []
    if total is not None:
        parts.append(f"{total:,} row{'s' if total != 1 else ''}" + (f", first {shown} shown" if total > shown else ""))
    if hidden_columns:
        parts.append(f"{hidden_columns} more column{'s' if hidden_columns != 1 else ''} not shown")
    return "; ".join(parts)


def render_queryset(qs: QuerySet, rows: int = MAX_ROWS, check: TenantCheck | None = None) -> Rendered:
    model = qs.model
    sliced = qs.query.is_sliced
    head = list(qs) if sliced else list(qs[:rows])
    total = len(head) if sliced else (len(head) if len(head) < rows else qs.count())
    head = head[:rows]
    title = f"<QuerySet {label(model)}>"
    if head and isinstance(head[0], dict):
        columns = tuple(head[0].keys())
        body = tuple(tuple(cell(r.get(c)) for c in columns) for r in head)
        return Rendered("table", title=title, columns=columns, rows=body, total=total, note=_note(len(head), total, 0))
    if head and isinstance(head[0], tuple) and not isinstance(head[0], Model):
        names = list(getattr(qs.query, "values_select", ()) or ())
        if qs.query.annotation_select:
            names += [n for n in qs.query.annotation_select if n not in names]
        columns = tuple(names) if len(names) == len(head[0]) else tuple(f"col{i}" for i in range(len(head[0])))
        body = tuple(tuple(cell(v) for v in r) for r in head)
        return Rendered("table", title=title, columns=columns, rows=body, total=total, note=_note(len(head), total, 0))
    if head and not isinstance(head[0], Model):  # values_list(flat=True)
        body = tuple((cell(v),) for v in head)
        return Rendered("table", title=title, columns=("value",), rows=body, total=total,
                        note=_note(len(head), total, 0))
    cols, hidden = _model_columns(model)
    return Rendered("table", title=title, columns=tuple(h for h, _ in cols), rows=_model_rows(head, cols),
                    total=total, note=_note(len(head), total, hidden),
                    warning=check(head) if check is not None and head else "")


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


def render(value: Any, rows: int = MAX_ROWS, width: int = 100, check: TenantCheck | None = None) -> Rendered | None:
    """How the REPL shows ``value``; None (nothing shown) for ``None``, as the standard REPL does.

    ``check`` is asked about the model instances shown (an instance, the first
    rows of a queryset or list) and its warning travels with the value.
    """
    if value is None:
        return None
    if isinstance(value, Manager):
        value = value.all()
    if isinstance(value, QuerySet):
        return render_queryset(value, rows, check)
    if isinstance(value, Model):
        return render_instance(value, check)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Model) for v in value) \
            and len({type(v) for v in value}) == 1:
        model = type(value[0])
        cols, hidden = _model_columns(model)
        head = list(value[:rows])
        return Rendered("table", title=f"{type(value).__name__} of {label(model)}",
                        columns=tuple(h for h, _ in cols), rows=_model_rows(head, cols), total=len(value),
                        note=_note(len(head), len(value), hidden),
                        warning=check(head) if check is not None else "")
    try:
        text = pprint.pformat(value, width=width, sort_dicts=False)
    except Exception:
        text = repr(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT:,} more characters)"
    return Rendered("text", text=text)
