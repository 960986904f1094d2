"""The REPL's two status lines: the banner (scope, database, read-only or writable) and the scope warning."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tenant_console.core.repl.runner import ReplRunner


class ReplBanner(Static):
    """``REPL │ scope │ database │ read-only``; writable and uncommitted changes in red, with the way out."""

    def show(self, runner: ReplRunner, database: str, sql_echo: bool) -> None:
        scope = runner.scope
        text = Text(f"REPL │ {scope.describe()} │ {database} │ ")
        writable, dirty = runner.writable, runner.dirty
        if dirty:
            writes = runner.transaction.writes
            text.append(f"WRITABLE · uncommitted changes ({writes} write{'s' if writes != 1 else ''}) · "
                        "ctrl+s commits · :rollback discards")
        elif writable:
            text.append("WRITABLE · transaction open, no changes yet · ctrl+s commits · :rollback")
        else:
            text.append("read-only")
        if sql_echo:
            text.append(" · SQL echo")
        self.update(text)
        self.set_class(writable and not dirty, "-writable")
        self.set_class(dirty, "-dirty")


class ScopeWarning(Static):
    """Shown only when the REPL sees every tenant (scopes disabled) or no tenant at all."""

    def show(self, runner: ReplRunner, has_dimensions: bool) -> None:
        scope = runner.scope
        no_tenant = not scope.disabled and not scope.tenants and has_dimensions
        if scope.disabled:
            self.update("SCOPES ARE DISABLED: this REPL sees every tenant's rows. Choose a tenant to scope it again.")
        elif no_tenant:
            self.update("No tenant chosen: scoped models refuse queries until you pick one in the console (t).")
        self.set_class(scope.disabled or no_tenant, "-on")
        self.set_class(no_tenant, "-none")
