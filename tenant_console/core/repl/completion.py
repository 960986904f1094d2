"""Tab completion from the live namespace: names, attributes, model fields and lookups.

Jedi's ``Interpreter`` completes against the real objects (so ``event.`` offers
the tenant's attributes and ``Submission.`` its fields). Django lookups are
keyword arguments jedi cannot know, so inside ``.filter(``/``.exclude(``/
``.get(`` (and the string arguments of ``.order_by(``/``.values(``/...) the
model's fields, relations and lookups are offered, following ``__`` paths
across relations (``submission__event__sl`` -> ``submission__event__slug``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Manager, Model, QuerySet

MAX_COMPLETIONS = 200
#: Characters before the cursor examined for a queryset call (keeps the regex cheap on long inputs).
MAX_CONTEXT = 2000

KWARG_METHODS = {"filter", "exclude", "get", "get_or_create", "update_or_create", "update", "create", "count"}
STRING_METHODS = {"order_by", "values", "values_list", "only", "defer", "select_related", "prefetch_related",
                  "distinct", "latest", "earliest", "dates", "datetimes", "in_bulk"}

# name(.attr | .call(...))* .method( args-so-far
_CALL = re.compile(
    r"(?P<root>[A-Za-z_]\w*)(?P<chain>(?:\s*\.\s*\w+(?:\((?:[^()]|\([^()]*\))*\))?)*?)"
    r"\s*\.\s*(?P<method>\w+)\((?P<args>(?:[^()]|\([^()]*\))*)$",
    re.S,
)
_STEP = re.compile(r"\.\s*(\w+)(\()?")


@dataclass(frozen=True)
class Completion:
    """``text`` replaces the ``prefix_length`` characters before the cursor."""

    text: str
    kind: str
    prefix_length: int
    detail: str = ""


def complete(source: str, line: int, column: int, namespace: dict[str, Any]) -> list[Completion]:
    """Completions at 1-based ``line`` and 0-based ``column`` of ``source``."""
    lines = source.split("\n")
    before = "\n".join([*lines[:line - 1], lines[line - 1][:column]]) if line - 1 < len(lines) else source
    found = lookup_completions(before, namespace)
    if found is not None:
        return found
    return jedi_completions(source, line, column, namespace)


def jedi_completions(source: str, line: int, column: int, namespace: dict[str, Any]) -> list[Completion]:
    """Jedi's completions; waits for the warm-up if it is running (:mod:`.warmup`)."""
    from tenant_console.core.repl.warmup import JEDI_LOCK

    with JEDI_LOCK:  # the names are computed lazily: inside the lock too
        import jedi

        try:
            items = jedi.Interpreter(source, [namespace]).complete(line, column)
        except Exception:
            return []
        out: list[Completion] = []
        for item in items[:MAX_COMPLETIONS]:
            prefix = len(item.name) - len(item.complete or "")
            if (item.name.startswith("__")
                    and not source.split("\n")[line - 1][:column].rsplit(".", 1)[-1].startswith("_")):
                continue
            out.append(Completion(item.name, item.type, prefix))
        return out


def lookup_completions(before: str, namespace: dict[str, Any]) -> list[Completion] | None:
    """Field and lookup names inside a queryset call, or None when the cursor is not in one."""
    match = _CALL.search(before[-MAX_CONTEXT:])
    if not match:
        return None
    method = match.group("method")
    if method not in KWARG_METHODS and method not in STRING_METHODS:
        return None
    model = _model_of(match.group("root"), match.group("chain"), namespace)
    if model is None:
        return None
    args = match.group("args")
    if method in STRING_METHODS:
        m = re.search(r"""['"](-?)([\w]*)$""", args)
        if not m:
            return None
        partial = m.group(2)
        return _path_completions(model, partial, lookups=False)
    current = re.split(r",", args)[-1]
    if "=" in current:
        return None
    m = re.fullmatch(r"\s*(\w*)", current)
    if not m:
        return None
    return _path_completions(model, m.group(1), lookups=method not in {"create", "update", "get_or_create",
                                                                         "update_or_create"})


def _model_of(root: str, chain: str, namespace: dict[str, Any]) -> type[Model] | None:
    obj = namespace.get(root)
    model: type[Model] | None = None
    if isinstance(obj, type) and issubclass(obj, Model):
        model = obj
    elif isinstance(obj, Model):
        model = type(obj)
    elif isinstance(obj, (QuerySet, Manager)):
        model = obj.model
    if model is None:
        return None
    instance_level = isinstance(obj, Model)
    for name, is_call in _STEP.findall(chain):
        if is_call:
            continue  # a queryset method keeps its model (close enough for completion)
        if name in {m.name for m in model._meta.managers} or name == "objects":
            instance_level = False
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            related = next((f for f in model._meta.get_fields() if f.is_relation and f.auto_created
                            and getattr(f, "get_accessor_name", lambda: None)() == name), None)
            if related is None:
                return None
            field = related
        if not field.is_relation or field.related_model is None:
            return None
        model = field.related_model  # type: ignore[assignment]
    if instance_level:
        return None  # ``event.name.`` etc.: not a queryset
    return model


def _query_names(model: type[Model]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for f in model._meta.get_fields():
        names[f.name] = f  # a reverse relation's ``name`` is its query name
    names.setdefault("pk", model._meta.pk)
    return names


def _path_completions(model: type[Model], partial: str, *, lookups: bool) -> list[Completion]:
    parts = partial.split("__")
    prefix = parts[-1]
    done: list[str] = []
    current: type[Model] | None = model
    field: Any = None
    for part in parts[:-1]:
        if current is not None:
            field = _query_names(current).get(part)
            if field is None:
                return []
            done.append(part)
            current = field.related_model if field.is_relation else None
            if current is None and not lookups:
                return []
        else:  # after a plain field: transforms (``date__year``) only
            done.append(part)
    candidates: list[tuple[str, str, str]] = []
    if current is not None:
        for name, f in sorted(_query_names(current).items()):
            kind = "relation" if f.is_relation else "field"
            detail = type(f).__name__
            candidates.append((name, kind, detail))
    target = field if current is None else (current._meta.pk if done else None)
    if lookups and current is None and isinstance(target, Field):
        for name in sorted(target.get_lookups()):
            candidates.append((name, "lookup", ""))
    elif lookups and done and current is not None:
        candidates += [(n, "lookup", "") for n in ("exact", "in", "isnull")]
    head = "__".join(done) + ("__" if done else "")
    return [Completion(head + name, kind, len(partial), detail)
            for name, kind, detail in candidates if name.startswith(prefix)][:MAX_COMPLETIONS]
