"""What a tenant holds in one database: rows per model and a content checksum, comparable across engines.

A move is verified by computing this on both sides. The rows are the tenant's
rows as the tenancy layer defines them (:func:`~tenant_console.core.tenancy.rows.tenant_rows`:
the base manager filtered by ``ScopeRegistry.tenant_q``), and the counts are
``COUNT(*)`` in the database.

The checksum is computed over the rows as the database returns them, put into the
importer's normal form (:func:`tenant_console.core.importer.values.normal`, the one
definition of "the same value" that ``import`` uses), not by a hash function in SQL.
A checksum in SQL would have to render every type the same way on SQLite,
PostgreSQL and MariaDB: timestamps (``timestamptz`` text, MariaDB ``DATETIME(6)``,
SQLite text), decimals (scale and trailing zeros), booleans (``t``/``1``), floats,
JSON (``jsonb`` reorders keys, MariaDB keeps the text), UUIDs (native or ``char(32)``),
and SQLite has no hash function at all. That would be a second definition of value
equality, in three SQL dialects, that disagrees with the importer's wherever one of
them is wrong. So: the rows are selected and counted in the database, and each row
is streamed once (``values_list`` in chunks, flat memory) and hashed in its normal
form. It costs one read of the tenant's rows per side, about what an export's read costs.

References to models written with natural keys (users, content types) are compared
by natural key: their primary keys legitimately differ between databases. Every
row's hash is added modulo 2**128, so the checksum does not depend on the order in
which the database returns rows (collations differ across engines). Many-to-many
links (auto-created through tables) count as rows of the model that declares them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ConsoleError
from tenant_console.core.export.serializer import NaturalKeyCache
from tenant_console.core.graph.relations import concrete
from tenant_console.core.importer.values import normal, normalizer
from tenant_console.core.tenancy.rows import tenant_rows

CHUNK = 2000
MOD = 1 << 128


@dataclass
class ModelDigest:
    count: int = 0
    links: int = 0
    checksum: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "links": self.links, "checksum": self.checksum}


@dataclass
class TenantDigest:
    """``{label: ModelDigest}`` for every model of the tenant (zero-row models included)."""

    alias: str
    models: dict[str, ModelDigest] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(m.count for m in self.models.values())

    def as_dict(self) -> dict[str, Any]:
        return {label: m.as_dict() for label, m in sorted(self.models.items())}

    @classmethod
    def from_dict(cls, alias: str, data: Mapping[str, Any]) -> TenantDigest:
        return cls(alias, {label: ModelDigest(int(d["count"]), int(d["links"]), str(d["checksum"]))
                           for label, d in data.items()})

    def differences(self, other: TenantDigest) -> list[str]:
        """What differs, one phrase per model (``conference.review: 12 rows here, 11 there``); empty: the same."""
        out = []
        for label in sorted(set(self.models) | set(other.models)):
            a, b = self.models.get(label, ModelDigest()), other.models.get(label, ModelDigest())
            if a.count != b.count:
                out.append(f"{label}: {a.count:,} rows on {self.alias}, {b.count:,} on {other.alias}")
            elif a.links != b.links:
                out.append(f"{label}: {a.links:,} many-to-many links on {self.alias}, {b.links:,} on {other.alias}")
            elif a.count and a.checksum != b.checksum:
                out.append(f"{label}: the same {a.count:,} rows, but their contents differ (checksum)")
        return out


def tenant_models(registry: ScopeRegistry) -> list[type[Model]]:
    """The concrete models whose rows belong to tenants, in a stable order."""
    found = {concrete(m) for m in registry.in_tenant_models()}
    return sorted((m for m in found if not m._meta.proxy), key=lambda m: m._meta.label_lower)


def count_rows(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any]) -> dict[str, int]:
    """``COUNT(*)`` of the tenant's rows per model, in the database (cheap: what ``status`` shows)."""
    return {m._meta.label_lower: tenant_rows(registry, m, tenant_pks, alias).count() for m in tenant_models(registry)}


def tenant_digest(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any]) -> TenantDigest:
    """Counts and checksums of the tenant's rows on ``alias`` (call on a session thread)."""
    digest = TenantDigest(alias)
    cache = NaturalKeyCache(alias)
    for model in tenant_models(registry):
        digest.models[model._meta.label_lower] = _model_digest(registry, alias, tenant_pks, model, cache)
    return digest


def _model_digest(registry: ScopeRegistry, alias: str, tenant_pks: Mapping[str, Any], model: type[Model],
                  cache: NaturalKeyCache) -> ModelDigest:
    qs = tenant_rows(registry, model, tenant_pks, alias).order_by()
    out = ModelDigest(count=qs.count())
    natural_pk = hasattr(model, "natural_key")
    fields: list[Any] = [f for f in model._meta.local_concrete_fields if not (natural_pk and f.primary_key)]
    natural_fks = {f.attname for f in cache.natural_fk_fields(model)}
    total = 0
    rows = 0
    for chunk in _chunks(qs.values_list(*[f.attname for f in fields]).iterator(chunk_size=CHUNK)):
        for i, f in enumerate(fields):
            if f.attname in natural_fks:
                cache.prefill_values(f.related_model, f.target_field.attname, {r[i] for r in chunk})
        for row in chunk:
            values = [_value(f, v, cache, f.attname in natural_fks) for f, v in zip(fields, row, strict=True)]
            total = (total + _hash(values)) % MOD
            rows += 1
    m2m: Any
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through
        if not through._meta.auto_created:
            continue  # an explicit through model is a model of its own (counted where it belongs)
        src: Any = through._meta.get_field(m2m.m2m_field_name())
        dst: Any = through._meta.get_field(m2m.m2m_reverse_field_name())
        links = (through._base_manager.db_manager(alias).filter(**{f"{src.attname}__in": qs.values("pk")})
                 .order_by().values_list(src.attname, dst.attname))
        natural = hasattr(m2m.related_model, "natural_key")
        for chunk in _chunks(links.iterator(chunk_size=CHUNK)):
            if natural:
                cache.prefill_values(m2m.related_model, dst.target_field.attname, {d for _, d in chunk})
            for s, d in chunk:
                target = cache.get(m2m.related_model, d) if natural else normal(dst, d)
                total = (total + _hash(["link", m2m.name, normal(src, s), target])) % MOD
                out.links += 1
    if rows != out.count:
        raise ConsoleError(f"{model._meta.label_lower} on {alias}: COUNT(*) said {out.count:,} rows but {rows:,} "
                           "were read; the tenant's rows changed while they were read (writes into the tenant "
                           "during a move: stop them and run the step again).")
    out.checksum = f"{total:032x}"
    return out


def _value(field: Any, value: Any, cache: NaturalKeyCache, natural: bool) -> Any:
    if natural and value is not None:
        return ["natural", cache.get(field.related_model, value)]
    return normalizer(field)(value)


def _hash(values: list[Any]) -> int:
    text = json.dumps(values, default=str, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:16], "big")


def _chunks(it: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in it:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
