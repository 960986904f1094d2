"""Command palette providers: tenants (searched in the database), models, and actions."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


class _ConsoleProvider(Provider):
    @property
    def console(self) -> TenantConsoleApp:
        return cast("TenantConsoleApp", self.app)


class TenantCommands(_ConsoleProvider):
    """``Tenant: DemoCon 2026 (democon)`` — activates that tenant's scope."""

    async def search(self, query: str) -> Hits:
        console = self.console
        if console.project is None or console.session is None or len(query.strip()) < 1:
            return
        from tenant_console.core.tenants import search_tenants

        matcher = self.matcher(query)
        for dim in console.project.registry.dimensions.values():
            try:
                hits = await console.db(search_tenants, dim, query, 8, console.session.alias, scoped=False,
                                        quiet=True)
            except Exception:
                return
            for hit in hits:
                text = f"Tenant {dim.name}: {hit.label}"
                yield Hit(max(matcher.match(text), 0.5), matcher.highlight(text),
                          partial(console.choose_tenant, dim.name, hit.pk, hit.label),
                          text=text, help=f"Activate {dim.model_label} #{hit.pk} as the scope")


class ModelCommands(_ConsoleProvider):
    """``Model: conference.Submission`` — opens its object list."""

    def _models(self) -> list[tuple[str, str]]:
        project = self.console.project
        if project is None:
            return []
        from tenant_console.core.browse.catalog import catalog

        return [(f"Model {i.label}", i.scope_text()) for i in catalog(project.registry)]

    async def discover(self) -> Hits:
        for text, scope in self._models():
            yield DiscoveryHit(text, partial(self.console.open_model, text.removeprefix("Model ")), help=scope)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, scope in self._models():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text),
                          partial(self.console.open_model, text.removeprefix("Model ")), text=text, help=scope)


class ActionCommands(_ConsoleProvider):
    """Every ``:`` command (built in or from an extension) as a palette action."""

    def _actions(self) -> list[tuple[str, str, str]]:
        return [(f":{c.name}", c.help, c.name) for c in self.console.extensions.commands.values() if c.palette]

    async def discover(self) -> Hits:
        for text, help_text, name in self._actions():
            yield DiscoveryHit(text, partial(self.console.run_command_line, name), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, name in self._actions():
            score = max(matcher.match(text), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self.console.run_command_line, name),
                          text=text, help=help_text)
