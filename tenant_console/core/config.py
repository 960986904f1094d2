"""The ``TENANT_CONSOLE`` setting, read once and validated.

Every key is optional; discovery guesses what is missing. A mistake in the
setting is reported as one paragraph naming the key, what is wrong and, where
it helps, the closest valid name, rather than being ignored: a console that
silently guesses past a typo would scope the wrong way. Example::

    TENANT_CONSOLE = {
        "DIMENSIONS": {
            # Override what discovery guesses for a django-scopes dimension.
            "event": {
                "model": "conference.Event",        # tenant model at the end of the scope paths
                "search_fields": ["slug", "name"],  # searched with icontains (plus an exact pk match)
                "label": "{name} ({slug})",         # str.format over the tenant's fields/attributes
            },
            # A tenant mechanism that is not django-scopes (see tenant_console.core.backends).
            "workspace": {
                "model": "notes.Workspace",
                "activate": "notes.tenancy.activate",   # callable(tenant) -> context manager
                "disable": "notes.tenancy.unscoped",    # optional: callable() -> context manager
                "scoped_models": {"notes.Note": "workspace", "notes.Comment": "note__workspace"},
            },
        },
        # Ownership of tables without a ScopedManager (see docs/tenancy.md): declare a path to a
        # tenant model where inference cannot tell, or refuse ownership of a model.
        "OWNED": {"shop.Voucher": "event__organizer"},
        "SHARED": ["shop.Banner"],
        "AUDIT_LOG": "/var/log/tenant-console/audit.jsonl",  # None: logger only
        "STATE_DIR": "~/.local/state/tenant-console",
    }

Only the shape of the setting is checked here (it needs no app registry);
:mod:`tenant_console.core.discovery` checks the names against the models.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenant_console.core.errors import ConsoleError, did_you_mean

KNOWN_KEYS = ("AUDIT_LOG", "DIMENSIONS", "OWNED", "READONLY_DATABASE", "SHARED", "STATE_DIR")
KNOWN_DIMENSION_KEYS = ("activate", "disable", "label", "model", "scoped_models", "search_fields")
#: Dimension names become command-line flags (``--event__slug=x``) and shell variables.
_DIMENSION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MODEL_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_DOTTED_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(__[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class DimensionConfig:
    """What the setting says about one scope dimension."""

    name: str
    model: str | None = None
    search_fields: tuple[str, ...] | None = None
    label: str | None = None
    activate: str | None = None
    disable: str | None = None
    scoped_models: dict[str, str] = field(default_factory=dict)

    @property
    def is_custom_backend(self) -> bool:
        return self.activate is not None

    def where(self, key: str | None = None) -> str:
        """``TENANT_CONSOLE['DIMENSIONS']['event']['label']``, for error messages."""
        base = f"TENANT_CONSOLE['DIMENSIONS'][{self.name!r}]"
        return f"{base}[{key!r}]" if key else base


@dataclass(frozen=True)
class ConsoleConfig:
    dimensions: dict[str, DimensionConfig]
    audit_log: Path | None
    state_dir: Path
    #: ``{"app.Model": "field__path"}``: models declared owned, with the path to a tenant model.
    owned: dict[str, str] = field(default_factory=dict)
    #: Models declared shared between tenants (never owned, whatever inference finds).
    shared: tuple[str, ...] = ()
    #: A database alias (a read-only role or a standby) that every read-only session uses;
    #: writable work goes to the project's database. None: read-only sessions use it too.
    readonly_database: str | None = None


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "tenant-console"


def _bad(message: str) -> ConsoleError:
    return ConsoleError(f"The TENANT_CONSOLE setting is invalid: {message}")


def _unknown_keys(given: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in given if k not in known)
    if not unknown:
        return
    hint = "".join(did_you_mean(k, known) for k in unknown[:1])
    raise _bad(f"{where} has the unknown key(s) {', '.join(repr(k) for k in unknown)}.{hint} "
               f"Known keys are {', '.join(known)}.")


def _string(spec: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str] | None = None,
            example: str = "") -> str | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{where}[{key!r}] must be a non-empty string, not {value!r}.")
    if pattern is not None and not pattern.match(value):
        raise _bad(f"{where}[{key!r}] is {value!r}, which is not of the form {example}.")
    return value


def _search_fields(spec: Mapping[str, Any], where: str) -> tuple[str, ...] | None:
    value = spec.get("search_fields")
    if value is None:
        return None
    # A bare string is the classic mistake: tuple("slug") would search s, l, u and g.
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _bad(f"{where}['search_fields'] must be a list of field names such as ['slug', 'name'], "
                   f"not {value!r}.")
    for name in value:
        if not isinstance(name, str) or not _FIELD_PATH.match(name) or "__" in name:
            raise _bad(f"{where}['search_fields'] contains {name!r}, which is not a field name.")
    if len(set(value)) != len(value):
        raise _bad(f"{where}['search_fields'] names a field twice: {list(value)!r}.")
    return tuple(value)


def _label(spec: Mapping[str, Any], where: str) -> str | None:
    value = _string(spec, "label", where)
    if value is None:
        return None
    try:
        names = [parsed[1] for parsed in string.Formatter().parse(value) if parsed[1] is not None]
    except ValueError as exc:
        raise _bad(f"{where}['label'] {value!r} is not a valid format string ({exc}); "
                   "write it like '{name} ({slug})'.")
    if not any(names):
        raise _bad(f"{where}['label'] {value!r} uses no field; write it like '{{name}} ({{slug}})'.")
    if any(name == "" or name[0].isdigit() for name in names):
        raise _bad(f"{where}['label'] {value!r} has a positional placeholder; name the fields, "
                   "as in '{name} ({slug})'.")
    return value


def _scoped_models(spec: Mapping[str, Any], where: str) -> dict[str, str]:
    value = spec.get("scoped_models")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(f"{where}['scoped_models'] must map model labels to field paths, such as "
                   f"{{'notes.Note': 'workspace'}}, not {value!r}.")
    result: dict[str, str] = {}
    for label, path in value.items():
        if not isinstance(label, str) or not _MODEL_LABEL.match(label):
            raise _bad(f"{where}['scoped_models'] has the key {label!r}, which is not a model label "
                       "of the form 'app_label.ModelName'.")
        if not isinstance(path, str) or not _FIELD_PATH.match(path):
            raise _bad(f"{where}['scoped_models'][{label!r}] is {path!r}, which is not a field path "
                       "such as 'workspace' or 'note__workspace'.")
        result[label] = path
    return result


def _owned(raw: Mapping[str, Any]) -> dict[str, str]:
    value = raw.get("OWNED")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(f"OWNED must map model labels to the field path of their tenant, such as "
                   f"{{'shop.Transaction': 'order__event__organizer'}}, not {value!r}.")
    result: dict[str, str] = {}
    for label, path in value.items():
        if not isinstance(label, str) or not _MODEL_LABEL.match(label):
            raise _bad(f"OWNED has the key {label!r}, which is not a model label of the form 'app_label.ModelName'.")
        if not isinstance(path, str) or not _FIELD_PATH.match(path):
            raise _bad(f"OWNED[{label!r}] is {path!r}, which is not a field path to the tenant model such as "
                       "'organizer' or 'order__event__organizer'.")
        result[label] = path
    return result


def _shared(raw: Mapping[str, Any], owned: Mapping[str, str]) -> tuple[str, ...]:
    value = raw.get("SHARED")
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _bad(f"SHARED must be a list of model labels such as ['shop.Banner'], not {value!r}.")
    for label in value:
        if not isinstance(label, str) or not _MODEL_LABEL.match(label):
            raise _bad(f"SHARED contains {label!r}, which is not a model label of the form 'app_label.ModelName'.")
        if label in owned:
            raise _bad(f"{label!r} is in both OWNED and SHARED; a model either belongs to a tenant or is shared.")
    if len(set(value)) != len(value):
        raise _bad(f"SHARED names a model twice: {list(value)!r}.")
    return tuple(value)


def parse_dimension(name: Any, spec: Any) -> DimensionConfig:
    """Validate the shape of one ``DIMENSIONS`` entry."""
    if not isinstance(name, str) or not _DIMENSION_NAME.match(name) or "__" in name:
        raise _bad(f"the dimension name {name!r} in DIMENSIONS must be an identifier without '__' "
                   "(it becomes the command-line option --NAME and a shell variable).")
    where = f"DIMENSIONS[{name!r}]"
    if not isinstance(spec, Mapping):
        raise _bad(f"{where} must be a dict of options, not {spec!r}.")
    _unknown_keys(spec, KNOWN_DIMENSION_KEYS, where)
    dim = DimensionConfig(
        name=name,
        model=_string(spec, "model", where, _MODEL_LABEL, "'app_label.ModelName'"),
        search_fields=_search_fields(spec, where),
        label=_label(spec, where),
        activate=_string(spec, "activate", where, _DOTTED_PATH, "'package.module.callable'"),
        disable=_string(spec, "disable", where, _DOTTED_PATH, "'package.module.callable'"),
        scoped_models=_scoped_models(spec, where),
    )
    if dim.activate is None:
        extra = [k for k in ("disable", "scoped_models") if spec.get(k)]
        if extra:
            raise _bad(f"{where} sets {' and '.join(repr(k) for k in extra)} but no 'activate' callable; "
                       "these only belong to a custom tenant backend, which needs "
                       "'activate': 'package.module.callable' (callable(tenant) -> context manager).")
    else:
        if dim.model is None:
            raise _bad(f"{where} names an 'activate' callable but no tenant 'model' "
                       "('app_label.ModelName'); a custom backend cannot guess it.")
        if not dim.scoped_models:
            raise _bad(f"{where} names an 'activate' callable but no 'scoped_models'; list the models "
                       "it scopes with the field path to the tenant, such as {'notes.Note': 'workspace'}.")
    return dim


def parse_config(raw: Any) -> ConsoleConfig:
    """Validate the raw setting value; unknown keys are errors, not silently ignored."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise _bad(f"it must be a dict, not {type(raw).__name__}.")
    _unknown_keys(raw, KNOWN_KEYS, "TENANT_CONSOLE")
    state_raw = raw.get("STATE_DIR")
    if state_raw is not None and not isinstance(state_raw, (str, os.PathLike)):
        raise _bad(f"STATE_DIR must be a directory path, not {state_raw!r}.")
    state_dir = Path(os.path.expanduser(str(state_raw or default_state_dir())))
    if "AUDIT_LOG" in raw:
        audit_raw = raw["AUDIT_LOG"]
        if audit_raw is not None and not isinstance(audit_raw, (str, os.PathLike)):
            raise _bad(f"AUDIT_LOG must be a file path or None (logger only), not {audit_raw!r}.")
        audit_log = Path(os.path.expanduser(str(audit_raw))) if audit_raw else None
    else:
        audit_log = state_dir / "audit.jsonl"
    raw_dims = raw.get("DIMENSIONS")
    if raw_dims is None:
        raw_dims = {}
    if not isinstance(raw_dims, Mapping):
        raise _bad(f"DIMENSIONS must be a dict of dimension name to options, not {raw_dims!r}.")
    dims = {name: parse_dimension(name, spec) for name, spec in raw_dims.items()}
    owned = _owned(raw)
    readonly_database = raw.get("READONLY_DATABASE")
    if readonly_database is not None and (not isinstance(readonly_database, str) or not readonly_database):
        raise _bad(f"READONLY_DATABASE must be a database alias (a key of DATABASES), not {readonly_database!r}.")
    return ConsoleConfig(dimensions=dims, audit_log=audit_log, state_dir=state_dir,
                         owned=owned, shared=_shared(raw, owned), readonly_database=readonly_database)


def load_config() -> ConsoleConfig:
    from django.conf import settings

    return parse_config(getattr(settings, "TENANT_CONSOLE", None))
