"""Finding tenants: search in the database, and resolve ``--event__slug=democon`` flags.

Searches never load all tenants, and at a million tenants they use what the
database offers before they read the table (:func:`find_tenants`):

1. an exact primary key, and a **prefix** of the *key field* (the first search
   field with an index of its own, usually ``slug``), read in index order; when
   that fills the page, the search is done (``strategy == "prefix"``);
2. otherwise the rest of the page comes from the text *inside* any search
   field: on PostgreSQL with ``pg_trgm`` and a trigram index on every search
   field (``CREATE INDEX ... USING gin (name gin_trgm_ops)``) that is an index
   search (``"trigram"``), anywhere else a scan of the table (``"scan"``).

Whatever answers, the result is the one a single ranked scan would give
(exact pk, then key-prefix matches, then the other matches, each by key):
``find_tenants(..., strategy="scan")`` is that scan, and the tests compare the
two. Translatable names (django-i18nfield's JSON in a text column) are
searched in their stored, escaped form too. Call these on a session thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import DatabaseError, connections, models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import Lookup

from tenant_console.core.discovery import SECRET_NAME_PARTS, Dimension, ScopeRegistry, looks_secret
from tenant_console.core.errors import ScopeSelectionError, did_you_mean

#: Strategies, cheapest first: ``list`` (empty text, index order), ``prefix`` (pk and key prefix,
#: index range), ``trigram`` (pg_trgm index), ``scan`` (every row read).
STRATEGIES = ("list", "prefix", "trigram", "scan")
#: pg_trgm finds nothing to look up in a text shorter than a trigram: such a search reads the table.
TRIGRAM_MIN = 3


@dataclass(frozen=True)
class TenantHit:
    dimension: str
    pk: Any
    label: str
    fields: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "pk": str(self.pk),
            "label": self.label,
            "fields": {k: str(v) for k, v in self.fields.items()},
        }


@dataclass(frozen=True)
class SearchPlan:
    """What the database offers for searching one tenant table (found once per process)."""

    vendor: str
    key: str | None  # the indexed text field searched by prefix, or None
    trigram_installed: bool = False
    trigram_fields: tuple[str, ...] = ()  # search fields with a pg_trgm index on the plain column


@dataclass(frozen=True)
class TenantSearch:
    """The hits of one search and how the database found them."""

    dimension: str
    text: str
    strategy: str
    plan: SearchPlan
    search_fields: tuple[str, ...]
    hits: list[TenantHit] = field(default_factory=list)

    def describe(self) -> str:
        """One line for people: which index answered, or that the table was read."""
        key = self.plan.key
        prefix = f"{key} prefix (index)" if key else ""
        if self.strategy == "list":
            return f"by {key} (index)" if key else "by primary key (index)"
        if self.strategy == "prefix":
            return prefix
        then = f"{prefix}, then " if prefix else ""
        fields = ", ".join(self.search_fields)
        if self.strategy == "trigram":
            return f"{then}trigram index ({fields})"
        if self.plan.vendor != "postgresql":
            why = f"{self.plan.vendor} has no trigram index"
        elif len(self.text) < TRIGRAM_MIN and _trigram_covers(self.plan, self.search_fields):
            why = f"fewer than {TRIGRAM_MIN} characters"
        elif not self.plan.trigram_installed:
            why = "pg_trgm is not installed"
        else:
            missing = [f for f in self.search_fields if f not in self.plan.trigram_fields]
            why = f"no trigram index on {', '.join(missing)}"
        return f"{then}full scan ({why})"

    def as_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "strategy_text": self.describe()}


class _ILike(Lookup):
    """``column ILIKE pattern`` (PostgreSQL): what a pg_trgm index on the plain column answers
    (Django's ``icontains`` is ``UPPER(column::text) LIKE ...``, which it does not)."""

    lookup_name = "tc_ilike"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", (*lhs_params, *rhs_params)


_PLANS: dict[tuple[str, str, str], SearchPlan] = {}


def forget_search_plans() -> None:
    """Look again at the indexes next time (after creating or dropping one)."""
    _PLANS.clear()


def search_plan(dim: Dimension, alias: str | None = None) -> SearchPlan:
    """The key field and the trigram indexes of ``dim``'s table on ``alias`` (cached per process)."""
    from django.db import router

    alias = alias or router.db_for_read(dim.model)
    conn = connections[alias]
    cache_key = (alias, str(conn.settings_dict.get("NAME")), dim.model._meta.db_table)
    found = _PLANS.get(cache_key)
    if found is None:
        installed, trigram = (_trigram_indexes(conn, dim) if conn.vendor == "postgresql" else (False, ()))
        found = _PLANS[cache_key] = SearchPlan(conn.vendor, _key_field(dim), installed, trigram)
    return found


def _key_field(dim: Dimension) -> str | None:
    """The first search field that is a text column with an index of its own (unique or db_index, or
    first in an index or unique constraint): a prefix of it is an index range."""
    meta = dim.model._meta
    leading = {idx.fields[0].lstrip("-") for idx in meta.indexes if getattr(idx, "fields", None)}
    leading |= {c.fields[0] for c in meta.constraints
                if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None}
    leading |= {fields[0] for fields in meta.unique_together if fields}
    for name in dim.search_fields:
        try:
            f = meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not isinstance(f, models.CharField) or f.get_internal_type() not in ("CharField", "SlugField"):
            continue
        if f.unique or getattr(f, "db_index", False) or name in leading or f.attname in leading:
            return name
    return None


_TRIGRAM_SQL = """
SELECT a.attname
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[]) AS k(attnum, opclass)
JOIN pg_opclass oc ON oc.oid = k.opclass
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s::regclass AND i.indisvalid AND i.indpred IS NULL AND k.attnum > 0
  AND oc.opcname IN ('gin_trgm_ops', 'gist_trgm_ops')
"""


def _trigram_indexes(conn: Any, dim: Dimension) -> tuple[bool, tuple[str, ...]]:
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cur.fetchone() is None:
            return False, ()
        cur.execute(_TRIGRAM_SQL, [conn.ops.quote_name(dim.model._meta.db_table)])
        columns = {row[0] for row in cur.fetchall()}
    by_column = {f.column: f.name for f in dim.model._meta.concrete_fields}
    return True, tuple(by_column[c] for c in sorted(columns) if c in by_column)


def _trigram_covers(plan: SearchPlan, search_fields: tuple[str, ...]) -> bool:
    return bool(search_fields) and set(search_fields) <= set(plan.trigram_fields)


def _pk_filter(dim: Dimension, text: str) -> Q | None:
    try:
        value = dim.model._meta.pk.to_python(text)
    except (ValidationError, ValueError, TypeError):
        return None
    return Q(pk=value) if value not in (None, "") else None


def _text_forms(text: str) -> list[str]:
    """The text, and how it looks inside JSON when that differs: translatable names are stored as
    ``{"en": "D\\u00fcsseldorf"}`` by django-i18nfield (``json.dumps`` escapes non-ASCII)."""
    escaped = json.dumps(text)[1:-1]
    return [text] if escaped == text else [text, escaped]


def _prefix_forms(text: str) -> list[str]:
    """The text as typed, in lower case, and as a slug (``Tenant 05`` -> ``tenant-05``): slugs are
    lower case and hyphenated, and an operator types a name."""
    from django.utils.text import slugify

    return [f for f in dict.fromkeys([text, text.lower(), slugify(text)]) if f]


def _prefix_filter(plan: SearchPlan, text: str) -> Q | None:
    """Any of :func:`_prefix_filters`, or None without a key field."""
    q = None
    for one in _prefix_filters(plan, text):
        q = one if q is None else q | one
    return q


def _prefix_filters(plan: SearchPlan, text: str) -> list[Q]:
    """Key values that start with one of :func:`_prefix_forms`, written so that the key's own index
    answers: a range (``key >= 'ab' AND key < 'ab\U0010ffff'``) that a btree reads in order, on
    SQLite (whose LIKE ignores case, and so no index) and PostgreSQL (with the ``LIKE 'ab%'`` too: the
    planner would otherwise take a trigram index for the LIKE alone, slower for a prefix);
    ``LIKE 'ab%'`` on MySQL/MariaDB, whose planner makes it a range itself."""
    if plan.key is None:
        return []
    filters = []
    for form in _prefix_forms(text):
        if plan.vendor in ("sqlite", "postgresql"):
            bounds = {f"{plan.key}__gte": form, f"{plan.key}__lt": form + "\U0010ffff"}
            filters.append(Q(**bounds, **({f"{plan.key}__startswith": form} if plan.vendor == "postgresql" else {})))
        else:
            filters.append(Q(**{f"{plan.key}__startswith": form}))
    return filters


def _contains_filter(dim: Dimension, plan: SearchPlan, text: str, alias: str) -> Q:
    """Any search field containing ``text`` (any case): ``ILIKE`` on PostgreSQL (a trigram index
    answers it where there is one), ``icontains`` elsewhere."""
    q = Q()
    for name in dim.search_fields:
        for form in _text_forms(text):
            if plan.vendor == "postgresql":
                pattern = f"%{connections[alias].ops.prep_for_like_query(form)}%"
                q |= Q(_ILike(F(name), Value(pattern)))
            else:
                q |= Q(**{f"{name}__icontains": form})
    return q


def _order(dim: Dimension, plan: SearchPlan) -> list[Any]:
    if plan.key:
        return [plan.key, "pk"]
    return [Lower(dim.search_fields[0]), "pk"] if dim.search_fields else ["pk"]


def _hits(dim: Dimension, qs: Any, limit: int) -> list[TenantHit]:
    if limit <= 0:
        return []
    fields = list(dict.fromkeys(["pk", *dim.search_fields, *dim.label_fields()]))
    return [TenantHit(dim.name, obj.pk, dim.label(obj), {n: getattr(obj, n) for n in dim.search_fields})
            for obj in qs.only(*[f for f in fields if f != "pk"])[:limit]]


def find_tenants(dim: Dimension, text: str = "", limit: int = 20, alias: str | None = None,
                 strategy: str | None = None) -> TenantSearch:
    """Best matches for ``text`` (the first ``limit`` tenants by key when empty), and how they were found.

    ``strategy="scan"`` answers with one ranked query over the whole table, the
    reference the index strategies must equal.
    """
    from django.db import router

    alias = alias or router.db_for_read(dim.model)
    plan = search_plan(dim, alias)
    qs = dim.model._base_manager.using(alias).all()
    text = text.strip()
    order = _order(dim, plan)
    if not text:
        return TenantSearch(dim.name, text, "list", plan, dim.search_fields, _hits(dim, qs.order_by(*order), limit))
    by_pk = _pk_filter(dim, text)
    prefix = _prefix_filter(plan, text)
    contains = _contains_filter(dim, plan, text, alias)
    if strategy == "scan":
        anywhere = contains
        whens = []
        for rank, q in enumerate((by_pk, prefix)):
            if q is not None:
                anywhere |= q
                whens.append(When(q, then=Value(rank)))
        ranked = qs.filter(anywhere)
        if whens:
            ranked = ranked.annotate(_tc_rank=Case(*whens, default=Value(2), output_field=IntegerField()))
            ranked = ranked.order_by("_tc_rank", *order)
        else:
            ranked = ranked.order_by(*order)
        return TenantSearch(dim.name, text, "scan", plan, dim.search_fields, _hits(dim, ranked, limit))
    hits: list[TenantHit] = []
    seen = Q()
    if by_pk is not None:
        hits += _hits(dim, qs.filter(by_pk), limit)
        seen |= by_pk
    used = "prefix"
    if prefix is not None:
        hits += _prefix_hits(dim, qs, _prefix_filters(plan, text), seen, order, limit - len(hits))
        seen |= prefix
    if len(hits) < limit:
        used = "trigram" if (_trigram_covers(plan, dim.search_fields) and len(text) >= TRIGRAM_MIN) else "scan"
        rest = qs.filter(contains)
        hits += _hits(dim, (rest.exclude(seen) if seen else rest).order_by(*order), limit - len(hits))
    return TenantSearch(dim.name, text, used, plan, dim.search_fields, hits)


def _prefix_hits(dim: Dimension, qs: Any, filters: list[Q], seen: Q, order: list[Any], limit: int) -> list[TenantHit]:
    """The first ``limit`` rows (by key) matching any of ``filters``: each form's own index range read in
    order (an OR of ranges would read and sort all their rows), then the few candidates ordered by the
    database, in its collation."""
    if limit <= 0:
        return []
    if len(filters) == 1:
        one = qs.filter(filters[0])
        return _hits(dim, (one.exclude(seen) if seen else one).order_by(*order), limit)
    candidates: list[Any] = []
    for q in filters:
        one = qs.filter(q)
        candidates += (one.exclude(seen) if seen else one).order_by(*order).values_list("pk", flat=True)[:limit]
    return _hits(dim, qs.filter(pk__in=set(candidates)).order_by(*order), limit)


def search_tenants(dim: Dimension, text: str = "", limit: int = 20, alias: str | None = None) -> list[TenantHit]:
    """Best matches for ``text`` (all tenants' first ``limit`` when empty), searched in the database."""
    return find_tenants(dim, text, limit, alias).hits


def parse_scope_flag(registry: ScopeRegistry, flag: str, value: str) -> tuple[str, str]:
    """Split ``event__slug`` into (``event``, ``slug``); the lookup defaults to ``pk``."""
    name = flag.lstrip("-")
    dim, _, lookup = name.partition("__")
    if dim not in registry.dimensions:
        known = sorted(registry.dimensions)
        raise ScopeSelectionError(
            f"--{name}: there is no scope dimension {dim!r}.{did_you_mean(dim, known)} "
            f"Known dimensions: {', '.join(known) or 'none (no ScopedManager was found)'}."
        )
    return dim, lookup or "pk"


def _shown(value: str, limit: int = 60) -> str:
    """A flag value as an error message quotes it: long values are cut (a message stays one paragraph)."""
    return value if len(value) <= limit else f"{value[:limit]}... ({len(value):,} characters)"


def _refuse_secret_lookup(dim: Dimension, lookup: str) -> None:
    """A scope flag must not probe secrets: ``--event__organiser__members__password__startswith=pbkdf2``."""
    for part in lookup.split("__"):
        if looks_secret(part):
            raise ScopeSelectionError(
                f"--{dim.name}__{lookup}: tenants cannot be looked up through {part!r}; fields whose names "
                f"contain {', '.join(SECRET_NAME_PARTS)} are secrets, and a lookup on them would tell their "
                f"values. Choose the tenant by a field such as --{dim.name}__pk=... or "
                f"--{dim.name}__{(dim.search_fields or ('pk',))[0]}=..."
            )


def resolve_tenant(registry: ScopeRegistry, dim_name: str, lookup: str, value: str, alias: str | None = None) -> Any:
    """The pk of the one tenant of ``dim_name`` whose ``lookup`` equals ``value``.

    Lookups through secret fields are refused; a value the database cannot use
    (an invalid ``__regex``, a value too long for a ``LIKE``) is a
    :class:`ScopeSelectionError`, never a traceback.
    """
    dim = registry.dimensions[dim_name]
    _refuse_secret_lookup(dim, lookup)
    qs = dim.model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    try:
        matches = list(qs.filter(**{lookup: value}).values_list("pk", flat=True)[:2])
    except (FieldError, FieldDoesNotExist) as exc:
        fields = [f.name for f in dim.model._meta.concrete_fields]
        field_name = lookup.split("__")[0]
        raise ScopeSelectionError(
            f"--{dim_name}__{lookup}: {dim.model_label} cannot be looked up by {lookup!r} "
            f"({' '.join(str(exc).split())}).{did_you_mean(field_name, fields)}"
        )
    except (ValidationError, ValueError, TypeError) as exc:
        raise ScopeSelectionError(
            f"--{dim_name}__{lookup}={_shown(value)}: {_shown(value)!r} is not a valid value for {lookup!r} of "
            f"{dim.model_label} ({_first_line(exc)})."
        )
    except DatabaseError as exc:
        raise ScopeSelectionError(
            f"--{dim_name}__{lookup}={_shown(value)}: the {_vendor(qs)} database could not run this lookup with "
            f"that value ({_first_line(exc)}), so no tenant was chosen. Check the value: a valid regular "
            "expression for __regex, a value of a sensible length, the right type for the field."
        )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        try:
            near = search_tenants(dim, value, limit=5, alias=alias)
            if not near and dim.search_fields:
                near = _closest_by_name(dim, value, alias)
        except DatabaseError:  # a value the database cannot search for (too long for LIKE): no hint
            near = []
        hint = f" Closest tenants: {', '.join(h.label for h in near)}." if near else ""
        raise (
            ScopeSelectionError(f"--{dim_name}__{lookup}={_shown(value)}: no {dim.model_label} matches.{hint}")
            if lookup != "pk"
            else ScopeSelectionError(
                f"--{dim_name}={_shown(value)}: there is no {dim.model_label} with primary key "
                f"{_shown(value)!r}.{hint}"
            )
        )
    raise ScopeSelectionError(
        f"--{dim_name}__{lookup}={_shown(value)}: several {dim.model_label} rows match; use a unique field "
        f"such as --{dim_name}__pk=..."
    )


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _vendor(qs: Any) -> str:
    from django.db import connections

    return str(connections[qs.db].vendor)


def _closest_by_name(dim: Dimension, value: str, alias: str | None) -> list[TenantHit]:
    """Fuzzy suggestions from a bounded sample (only used after an exact lookup failed)."""
    import difflib

    qs = dim.model._base_manager.all()
    if alias:
        qs = qs.using(alias)
    field = dim.search_fields[0]
    names = [str(v) for v in qs.values_list(field, flat=True)[:5000]]
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
    if not close:
        return []
    return [h for name in close for h in search_tenants(dim, name, limit=1, alias=alias)]


@dataclass(frozen=True)
class OwnerHit:
    """A row of a model inside tenants whose slug is the searched text, and the tenant it belongs to
    (pretix's tenant is the organizer; operators think in events: ``acmefest1`` is an event of ``acme``)."""

    model: str  # app_label.Model of the row found
    key: str  # the slug as stored
    tenant: TenantHit

    def describe(self) -> str:
        return f"{self.key!r} is a {self.model} of {self.tenant.label}"


def owners_by_slug(registry: ScopeRegistry, dim: Dimension, text: str, alias: str | None = None,
                   limit: int = 5) -> list[OwnerHit]:
    """When no tenant of ``dim`` matches ``text``: rows of the models inside its tenants whose slug field
    equals it (case-insensitive), with their tenant. One query per model that has a slug field and a path
    to the dimension (pretix: the event), then one for the tenants; nothing for other models."""
    from django.db import router

    from tenant_console.core.discovery import model_label

    text = text.strip()
    if not text or len(text) > 200:
        return []
    found: list[tuple[str, str, Any]] = []
    for model in registry.in_tenant_models():
        if model is dim.model or model._meta.proxy:
            continue
        slug = next((f for f in model._meta.concrete_fields if isinstance(f, models.SlugField)
                     or (f.name == "slug" and isinstance(f, models.CharField))), None)  # pretix: a CharField
        path = dict(registry.owner_paths(model)).get(dim.name)
        if slug is None or path is None:
            continue
        using = alias or router.db_for_read(model)
        rows = (model._base_manager.using(using).filter(**{f"{slug.attname}__iexact": text})
                .values_list(slug.attname, path)[:limit])
        found += [(model_label(model), str(key), tenant_pk) for key, tenant_pk in rows]
        if len(found) >= limit:
            break
    if not found:
        return []
    using = alias or router.db_for_read(dim.model)
    tenants = {str(t.pk): t for t in _hits(dim, dim.model._base_manager.using(using).filter(
        pk__in={pk for _m, _k, pk in found if pk is not None}), limit)}
    return [OwnerHit(label, key, tenants[str(pk)]) for label, key, pk in found[:limit] if str(pk) in tenants]
