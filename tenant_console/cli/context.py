"""What every headless command gets: the loaded project, its options, and a session factory."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from tenant_console.cli.output import warn
from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.core.project import Project
from tenant_console.core.session import Session


@dataclass
class CliContext:
    project: Project
    args: argparse.Namespace
    scope_flags: list[ScopeFlag] = field(default_factory=list)
    _checked: bool = False

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def open_session(self, name: str = "cli", *, readonly: bool = True, check: bool = True) -> Session:
        """A session on the chosen database, checked once (reachable, migrated)."""
        from tenant_console.core.checks import check_database

        session = self.project.session(name, readonly=readonly)
        if check and not self._checked:
            try:
                for message in session.run(check_database, self.project.alias, scoped=False, readonly=False):
                    warn(message)
            except BaseException:
                session.close()
                raise
            self._checked = True
        for message in self.project.warnings:
            warn(message)
        self.project.warnings.clear()
        return session

    def resolve_scope(self, session: Session, *, allow_disabled: bool = False) -> dict[str, Any]:
        """Turn the ``--DIM[__LOOKUP]=VALUE`` flags into ``{dimension: pk}`` (on the session thread)."""
        from tenant_console.core.tenants import parse_scope_flag, resolve_tenant

        registry = self.project.registry
        parsed = [(flag, *parse_scope_flag(registry, flag.name, flag.value)) for flag in self.scope_flags]

        def resolve() -> dict[str, Any]:
            selection: dict[str, Any] = {}
            for flag, dim, lookup in parsed:
                if dim in selection:
                    from tenant_console.core.errors import ScopeSelectionError

                    raise ScopeSelectionError(f"The dimension {dim!r} was given twice ({flag.text}).")
                selection[dim] = resolve_tenant(registry, dim, lookup, flag.value, alias=session.alias)
            return selection

        return session.run(resolve, scoped=False, readonly=True)
