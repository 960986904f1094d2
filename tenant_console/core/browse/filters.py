"""The filter line: Django lookup expressions plus plain words searched in text columns.

    state=accepted title__icontains=ai created__gte=2026-01-01 track__name="Data science" scaling

``path[__lookup]=value`` becomes ``filter(path__lookup=value)``, ``path!=value`` an
``exclude``; ``__in`` takes comma-separated values and ``__isnull`` yes/no. Words
without ``=`` must each appear (icontains) in at least one text column. Every
mistake (unknown field, unknown lookup, a value the field rejects, an unclosed
quote) is a :class:`FilterError` with a message that says which part is wrong.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import models
from django.db.models import Model, Q, QuerySet

from tenant_console.core.discovery import model_label
from tenant_console.core.errors import ConsoleError, did_you_mean

_TERM = re.compile(r"^(?P<path>[A-Za-z_][A-Za-z0-9_]*)(?P<op>!=|=)(?P<value>.*)$", re.S)
_TRUE = {"1", "true", "yes", "y", "t", "on"}
_FALSE = {"0", "false", "no", "n", "f", "off"}


class FilterError(ConsoleError):
    """The filter text is not a valid expression for this model."""


@dataclass(frozen=True)
class Term:
    path: str  # "track__name__icontains"
    value: str
    negate: bool = False


@dataclass(frozen=True)
class ParsedFilter:
    terms: tuple[Term, ...] = ()
    words: tuple[str, ...] = ()
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.terms and not self.words


def parse(text: str) -> ParsedFilter:
    """Split the filter line into lookup terms and plain words (no model needed)."""
    try:
        parts = shlex.split(text)
    except ValueError as exc:
        raise FilterError(f"The filter {text!r} cannot be read: {exc} (close the quote).")
    terms: list[Term] = []
    words: list[str] = []
    for part in parts:
        m = _TERM.match(part)
        if m:
            terms.append(Term(m["path"], m["value"], m["op"] == "!="))
        elif "=" in part:
            raise FilterError(
                f"{part!r} is not a lookup expression; write field=value or field__lookup=value."
            )
        else:
            words.append(part)
    return ParsedFilter(tuple(terms), tuple(words), text.strip())


def text_fields(model: type[Model]) -> list[str]:
    """The columns plain words are searched in: CharField/TextField (and subclasses)."""
    return [f.name for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.is_relation]


def _split_lookup(model: type[Model], path: str) -> tuple[models.Field, str]:
    """Walk ``a__b__lookup``: return the last field and the lookup name ('exact' if none)."""
    parts = path.split("__")
    current: type[Model] = model
    fld: models.Field | None = None
    for i, part in enumerate(parts):
        if fld is not None and fld.related_model is None:
            lookup = "__".join(parts[i:])
            return fld, lookup
        if fld is not None:
            current = fld.related_model  # type: ignore[assignment]
        try:
            fld = current._meta.get_field(part)  # type: ignore[assignment]
        except FieldDoesNotExist:
            if fld is not None:  # e.g. event__exact: a lookup on a relation
                return fld, "__".join(parts[i:])
            names = sorted(f.name for f in current._meta.get_fields())
            raise FilterError(
                f"{model_label(current)} has no field {part!r}.{did_you_mean(part, names)} "
                f"Fields: {', '.join(names)}."
            )
    assert fld is not None
    return fld, "exact"


def _choice(fld: models.Field, path: str, raw: str, notes: list[str] | None) -> object:
    """A value typed (after ``path``, e.g. ``state=``) for a field with choices: the stored value
    as is, or a choice's label (any case) turned into its stored value. ``notes`` gets one line
    saying which matched when it was the label, or that the text is neither (then it is compared
    as typed: stored data may hold values that the choices no longer list)."""
    choices = [(value, str(label)) for value, label in fld.flatchoices if value not in (None, "")]
    if any(str(value) == raw for value, _ in choices):
        return raw
    by_label = [(value, label) for value, label in choices if label.casefold() == raw.casefold()]
    if by_label:
        value, label = by_label[0]
        if notes is not None:
            notes.append(f"{path}{raw}: matched the label {label!r} (stored as {str(value)!r}).")
        return value
    if notes is not None:
        listed = ", ".join(f"{value} ({label})" for value, label in choices[:8])
        more = ", …" if len(choices) > 8 else ""
        notes.append(f"{path}{raw}: {raw!r} is neither a value nor a label of the choices "
                     f"({listed}{more}); compared as typed.")
    return raw


def _value(fld: models.Field, lookup: str, raw: str, path: str = "", notes: list[str] | None = None) -> object:
    last = lookup.split("__")[-1]
    if fld.choices and last in ("exact", "iexact", "in") and raw.lower() not in ("none", "null"):
        if last == "in":
            return [_choice(fld, path, v.strip(), notes) for v in raw.split(",") if v.strip()]
        return _choice(fld, path, raw, notes)
    if last == "isnull":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise FilterError(f"__isnull takes yes or no, not {raw!r}.")
    if last in ("in", "range"):
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if last == "range" and len(values) != 2:
            raise FilterError(f"__range takes two comma-separated values, not {raw!r}.")
        return values
    if isinstance(fld, models.BooleanField) and raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    if raw.lower() in ("none", "null") and last == "exact":
        return None
    return raw


def _crosses_many(model: type[Model], path: str) -> bool:
    """Whether ``path`` walks a many-to-many or reverse foreign key (rows may repeat in a join)."""
    current: type[Model] | None = model
    for part in path.split("__"):
        if current is None:
            return False
        try:
            fld = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if fld.many_to_many or fld.one_to_many:
            return True
        current = fld.related_model if fld.is_relation else None  # type: ignore[assignment]
    return False


def build_q(model: type[Model], parsed: ParsedFilter, notes: list[str] | None = None) -> Q:
    """The ``Q`` for a parsed filter on ``model``; raises :class:`FilterError`. A value typed for a
    field with choices may be the stored value or its label; ``notes`` is told which matched."""
    q = Q()
    for term in parsed.terms:
        fld, lookup = _split_lookup(model, term.path)
        value = _value(fld, lookup, term.value, term.path + ("!=" if term.negate else "="), notes)
        if value is None:
            base = term.path[: -len("__exact")] if term.path.endswith("__exact") else term.path
            one = Q(**{f"{base}__isnull": True})
        else:
            one = Q(**{term.path: value})
        q &= ~one if term.negate else one
    if parsed.words:
        names = text_fields(model)
        if not names:
            raise FilterError(
                f"{model_label(model)} has no text columns to search for {' '.join(parsed.words)!r}; "
                "use a lookup such as pk=42."
            )
        for word in parsed.words:
            any_col = Q()
            for name in names:
                any_col |= Q(**{f"{name}__icontains": word})
            q &= any_col
    return q


def apply(qs: QuerySet, text: str, notes: list[str] | None = None) -> QuerySet:
    """``qs`` filtered by the filter line ``text``; the SQL is compiled here so bad values fail early.
    ``notes`` (if given) collects what the user should know, e.g. that a choice's label matched."""
    parsed = parse(text)
    if parsed.empty:
        return qs
    try:
        q = build_q(qs.model, parsed, notes)
        if any(_crosses_many(qs.model, term.path) for term in parsed.terms if not term.negate):
            # A lookup across a to-many relation (speakers__username=...) joins one row per match, so an
            # object would be listed once per matching speaker. A semi-join (pk IN (SELECT pk ...)) keeps
            # one row per object and leaves the list's own ordering alone, so keyset paging, counts and
            # positions stay right, where DISTINCT would not mix with ORDER BY over the keys.
            inner = qs.model._base_manager.using(qs.db).filter(q).values("pk")
            filtered = qs.filter(pk__in=inner)
        else:
            filtered = qs.filter(q)
        filtered.query.get_compiler(qs.db).as_sql()
    except FilterError:
        raise
    except (FieldError, ValidationError, ValueError, TypeError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else " ".join(str(exc).split())
        raise FilterError(f"The filter {text!r} does not fit {model_label(qs.model)}: {message}")
    return filtered


def check(model_label: str, text: str) -> list[str]:
    """Raise :class:`FilterError` if ``text`` does not fit the model (compiles SQL, runs nothing).
    Returns the notes for the user: which choice values were matched by their label, and values
    that are neither a choice's value nor its label."""
    from tenant_console.core.browse.catalog import get_model

    model = get_model(model_label)
    notes: list[str] = []
    apply(model._base_manager.all(), text, notes)
    return notes


def example(model: type[Model]) -> str:
    """A filter line made of ``model``'s own fields, for the filter's placeholder: a choice, a text and a
    date column when it has them (``state=accepted title__icontains=word created__gte=2026-01-01``)."""
    from tenant_console.core.browse.labels import display_fields
    from tenant_console.core.discovery import looks_secret

    parts: list[str] = []
    fields = [f for f in model._meta.concrete_fields
              if not f.primary_key and not f.is_relation and not looks_secret(f.name)]
    shown = display_fields(model)
    fields.sort(key=lambda f: shown.index(f.name) if f.name in shown else len(shown))  # names first
    choice = next((f for f in fields if f.choices), None)
    if choice is not None:
        value = next(iter(dict(choice.flatchoices)), "")
        if isinstance(value, str) and value and " " not in value:
            parts.append(f"{choice.name}={value}")
    text = next((f for f in fields if not f.choices and isinstance(f, models.CharField)
                 and not isinstance(f, (models.SlugField, models.EmailField, models.URLField))), None)
    if text is not None:
        parts.append(f"{text.name}__icontains=word")
    date = next((f for f in fields if isinstance(f, models.DateField)), None)
    if date is not None:
        parts.append(f"{date.name}__gte=2026-01-01")
    if not parts:
        parts.append("field=value")
    return " ".join(parts) + " word…"
