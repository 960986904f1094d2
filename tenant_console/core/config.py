"""The ``TENANT_CONSOLE`` setting, read once and validated.

Every key is optional; discovery guesses what is missing. Example::

    TENANT_CONSOLE = {
        "DIMENSIONS": {
            "event": {
                "model": "conference.Event",        # tenant model at the end of the path
                "search_fields": ["slug", "name"],  # searched with icontains (plus exact pk)
                "label": "{name} ({slug})",         # str.format over the tenant's fields
            },
            # A tenant mechanism that is not django-scopes: a context manager activates it.
            "workspace": {
                "model": "notes.Workspace",
                "activate": "notes.tenancy.activate",   # callable(tenant) -> context manager
                "scoped_models": {"notes.Note": "workspace", "notes.Comment": "note__workspace"},
            },
        },
        "AUDIT_LOG": "/var/log/tenant-console/audit.jsonl",  # None: logger only
        "STATE_DIR": "~/.local/state/tenant-console",
    }
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenant_console.core.errors import ConsoleError

KNOWN_KEYS = {"DIMENSIONS", "AUDIT_LOG", "STATE_DIR"}
KNOWN_DIMENSION_KEYS = {"model", "search_fields", "label", "activate", "disable", "scoped_models"}


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


@dataclass(frozen=True)
class ConsoleConfig:
    dimensions: dict[str, DimensionConfig]
    audit_log: Path | None
    state_dir: Path


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "tenant-console"


def _bad(message: str) -> ConsoleError:
    return ConsoleError(f"The TENANT_CONSOLE setting is invalid: {message}")


def parse_config(raw: Any) -> ConsoleConfig:
    """Validate the raw setting value; unknown keys are errors, not silently ignored."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _bad(f"it must be a dict, not {type(raw).__name__}.")
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise _bad(f"unknown key(s) {', '.join(sorted(unknown))}; known keys are {', '.join(sorted(KNOWN_KEYS))}.")
    state_dir = Path(os.path.expanduser(str(raw.get("STATE_DIR") or default_state_dir())))
    if "AUDIT_LOG" in raw:
        audit_log = Path(os.path.expanduser(str(raw["AUDIT_LOG"]))) if raw["AUDIT_LOG"] else None
    else:
        audit_log = state_dir / "audit.jsonl"
    dims: dict[str, DimensionConfig] = {}
    for name, spec in (raw.get("DIMENSIONS") or {}).items():
        if not isinstance(spec, dict):
            raise _bad(f"DIMENSIONS[{name!r}] must be a dict.")
        unknown = set(spec) - KNOWN_DIMENSION_KEYS
        if unknown:
            raise _bad(
                f"DIMENSIONS[{name!r}] has unknown key(s) {', '.join(sorted(unknown))}; "
                f"known keys are {', '.join(sorted(KNOWN_DIMENSION_KEYS))}."
            )
        if spec.get("activate") and not spec.get("model"):
            raise _bad(f"DIMENSIONS[{name!r}] names an 'activate' callable but no tenant 'model'.")
        search = spec.get("search_fields")
        dims[name] = DimensionConfig(
            name=name,
            model=spec.get("model"),
            search_fields=tuple(search) if search is not None else None,
            label=spec.get("label"),
            activate=spec.get("activate"),
            disable=spec.get("disable"),
            scoped_models=dict(spec.get("scoped_models") or {}),
        )
    return ConsoleConfig(dimensions=dims, audit_log=audit_log, state_dir=state_dir)


def load_config() -> ConsoleConfig:
    from django.conf import settings

    return parse_config(getattr(settings, "TENANT_CONSOLE", None))
