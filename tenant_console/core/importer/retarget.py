"""Importing a tenant's export as a different tenant: a new one, or an existing one.

This is how an engineer copies a customer's event to staging or restores it beside
the live one. The tenant row of the file is either replaced by an existing tenant
of the target (``into``: every scope reference is pointed at it, the tenant row
itself is never written) or imported as a new tenant with a fresh key and the
field values given (``new``: ``slug=democon-copy``). Rows whose keys are taken in
the target get new keys by default, unique values held by another tenant are
renamed, and shared rows (users, organisers) that differ are kept as they are
unless the user decides otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenant_console.core.importer.errors import ImportInputError

if TYPE_CHECKING:
    from tenant_console.core.discovery import ScopeRegistry
    from tenant_console.core.importer.reader import Export


class NewKey:
    """Stands for a key the import will allocate (a new tenant, a row moved away from a clash)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


NEW_TENANT: Any = NewKey("<new tenant>")
NEW_KEY: Any = NewKey("<new key>")


def is_new(value: Any) -> bool:
    return isinstance(value, NewKey)


@dataclass
class Retarget:
    """Where the file's tenant goes. ``mode``: ``same`` (as exported), ``into`` or ``new``."""

    mode: str = "same"
    into: dict[str, Any] = field(default_factory=dict)  # into: {dimension: target tenant pk}
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # new: {dimension: {field: value}}
    labels: dict[str, str] = field(default_factory=dict)  # {dimension: human label of the target tenant}
    _refs: dict[str, tuple[str, Any]] = field(default_factory=dict)  # {dimension: (tenant label, source key)}

    @classmethod
    def into_tenant(cls, selection: dict[str, Any], labels: dict[str, str] | None = None) -> Retarget:
        return cls(mode="into", into=dict(selection), labels=dict(labels or {}))

    @classmethod
    def new_tenant(cls, overrides: dict[str, dict[str, Any]]) -> Retarget:
        return cls(mode="new", overrides={d: dict(v) for d, v in overrides.items()})

    def prepare(self, export: Export, alias: str, registry: ScopeRegistry) -> None:
        """Check the retarget against the file and the project; remember the source tenant keys."""
        self._refs = {}
        if self.mode == "same":
            return
        scope = export.scope
        if not scope:
            raise ImportInputError(
                f"{export.data_path.name} records no tenant scope in its manifest, so it cannot be imported as "
                "another tenant. Import it as it is, or export the tenant (not single objects)."
            )
        dims = self.into if self.mode == "into" else self.overrides
        for dim in dims:
            if dim not in registry.dimensions:
                raise ImportInputError(f"There is no scope dimension {dim!r} in this project.")
            if dim not in scope:
                raise ImportInputError(
                    f"{export.data_path.name} was exported for {', '.join(scope)}, not for {dim!r}; it can only be "
                    f"retargeted along the dimensions it was exported for."
                )
        for dim, source in scope.items():
            if dim not in dims:
                continue
            model = registry.dimensions[dim].model
            label = model._meta.label_lower
            key = model._meta.pk.to_python(source)
            self._refs[dim] = (label, key)
            if self.mode == "new":
                rows = export.rows.get(label, [])
                if not any(r.key == key for r in rows):
                    raise ImportInputError(
                        f"--new-tenant needs the tenant row itself ({label} {source}) in the file, and "
                        f"{export.data_path.name} does not contain it. Import into an existing tenant instead."
                    )
                for name in self.overrides[dim]:
                    try:
                        f = model._meta.get_field(name)
                    except Exception:
                        raise ImportInputError(f"--new-tenant: {model._meta.label} has no field {name!r}.")
                    if not f.concrete or f.primary_key or f.is_relation:
                        raise ImportInputError(f"--new-tenant: {name!r} cannot be set (only plain fields can).")
                    _validate(model, f, name, self.overrides[dim][name])

    def map_ref(self, ref: tuple[str, Any]) -> Any:
        """The target key of a reference to the file's tenant, or None if ``ref`` is not a tenant."""
        for dim, (label, key) in self._refs.items():
            if ref[0] == label and str(ref[1]) == str(key):
                return self.into[dim] if self.mode == "into" else NEW_TENANT
        return None

    def forced_items(self) -> list[tuple[tuple[str, Any], str, dict[str, Any] | None]]:
        """(tenant row ref, forced decision, field overrides) for the file's tenant rows."""
        forced = "use_existing" if self.mode == "into" else "new_key"
        return [(ref, forced, self.overrides.get(dim) if self.mode == "new" else None)
                for dim, ref in self._refs.items()]

    def implied(self) -> dict[str, str]:
        """Default decisions per class that the retarget implies (below the user's own decisions)."""
        if self.mode == "same":
            return {}
        return {"key_clash": "new_key", "unique_clash": "rename_or_use_existing", "changed_shared": "keep"}

    def describe(self) -> dict[str, Any]:
        if self.mode == "into":
            return {"mode": "into", "tenants": {d: {"pk": str(pk), "label": self.labels.get(d, "")}
                                                for d, pk in self.into.items()}}
        if self.mode == "new":
            return {"mode": "new", "tenants": self.overrides}
        return {"mode": "same"}

    def text(self) -> str:
        if self.mode == "into":
            return "into " + ", ".join(f"{d} {self.labels.get(d) or pk}" for d, pk in self.into.items())
        if self.mode == "new":
            return "as a new " + ", ".join(
                f"{d} ({', '.join(f'{k}={v}' for k, v in o.items())})" for d, o in self.overrides.items())
        return "as exported (same tenant)"


def _validate(model: Any, field: Any, name: str, value: Any) -> None:
    """The field's own rules for a value given on the command line (a slug's validator, choices, length),
    as the project's forms would apply them: pretix refuses ``bad slug!`` as an organizer's slug."""
    from django.core.exceptions import ValidationError

    try:
        field.clean(value, None)
    except ValidationError as exc:
        why = " ".join(str(m) for m in exc.messages)
        raise ImportInputError(f"--new-tenant: {value!r} is not a valid {model._meta.label}.{name}: {why}") from None
    except Exception:  # a field whose clean needs the model instance: the plan's own checks still apply
        return
