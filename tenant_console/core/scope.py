"""What is active in a session: tenants per dimension, or scoping deliberately off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TenantRef:
    """A chosen tenant, by primary key, with the label the user saw."""

    dimension: str
    pk: Any
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "pk": str(self.pk), "label": self.label}


@dataclass(frozen=True)
class ScopeState:
    tenants: tuple[TenantRef, ...] = ()
    disabled: bool = False

    @property
    def is_active(self) -> bool:
        return bool(self.tenants) and not self.disabled

    def pks(self) -> dict[str, Any]:
        return {t.dimension: t.pk for t in self.tenants}

    def tenant(self, dimension: str) -> TenantRef | None:
        return next((t for t in self.tenants if t.dimension == dimension), None)

    def describe(self) -> str:
        if self.disabled:
            return "SCOPES DISABLED (all tenants)"
        if not self.tenants:
            return "no scope"
        return ", ".join(f"{t.dimension}={t.label}" for t in self.tenants)

    def as_dict(self) -> dict[str, Any]:
        return {"disabled": self.disabled, "tenants": [t.as_dict() for t in self.tenants]}
