"""Django's own ``jsonl`` serializer, fed in chunks, without a query per row.

``dumpdata --natural-foreign`` loses data and time in two ways this module
avoids. ``DjangoJSONEncoder`` cuts datetimes and times to milliseconds (the
ECMA-262 format), so a round trip changes every ``auto_now`` timestamp; here
they keep their microseconds (``loaddata`` parses either form). And it looks up the related object of every natural-key
foreign key row by row (``getattr(obj, field.name).natural_key()``), and every
many-to-many field row by row unless prefetched: a million rows, a million
queries. Otherwise this subclass writes what ``dumpdata --format jsonl
--natural-foreign --natural-primary`` writes, but takes natural keys from a cache
filled with one query per chunk and relation, and expects many-to-many values
prefetched through base managers (see :func:`m2m_prefetches`), so that rows of
another tenant in an m2m are written as they are, never silently filtered by a scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db.models import Model, Prefetch

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
            target = f.related_model
            known = self._keys.setdefault(target, {})
            wanted = {getattr(o, f.attname) for o in objs} - known.keys() - {None}
            if not wanted:
                continue
            if len(known) + len(wanted) > CACHE_LIMIT:
                known.clear()
            tf = f.target_field.attname
            for obj in target._base_manager.using(self.alias).filter(**{f"{tf}__in": list(wanted)}):
                known[getattr(obj, tf)] = obj.natural_key()

    def get(self, target: type[Model], value: Any) -> Any:
        return self._keys.get(target, {}).get(value)


class ExportSerializer(JsonlSerializer):
    """``jsonl`` with natural keys; FK natural keys come from a :class:`NaturalKeyCache`."""

    def __init__(self, cache: NaturalKeyCache) -> None:
        super().__init__()
        self.cache = cache

    def _init_options(self) -> None:
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()

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


def m2m_prefetches(model: type[Model]) -> list[Prefetch]:
    """Prefetch every serialized m2m field through the target's base manager (no scope filtering)."""
    found = []
    for f in model._meta.many_to_many:
        if not f.remote_field.through._meta.auto_created:
            continue
        target = f.related_model
        qs = target._base_manager.all()
        if not hasattr(target, "natural_key"):
            qs = qs.only("pk")
        found.append(Prefetch(f.name, queryset=qs))
    return found
