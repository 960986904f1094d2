"""Delete tests run on a seeded copy (the target databases, seeded per test), never on the shared seeded ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


class Deleter:
    """Preview and apply deletes through a session, as the CLI and the console do."""

    def __init__(self, project: Any, alias: str) -> None:
        from conference.models import Event

        self.project = project
        self.alias = alias
        self.session = project.session("delete-test", alias=alias)
        self.events = dict(self.raw(lambda: list(Event._base_manager.using(alias).values_list("slug", "pk"))))

    def tenant(self, slug: str) -> dict[str, Any]:
        return {"event": self.events[slug]}

    def roots(self, slug: str, *targets: str, filter_text: str | None = None) -> Any:
        from tenant_console.core.delete import find_roots

        return self.session.run(find_roots, self.project.registry, self.alias, self.tenant(slug), list(targets),
                                filter_text)

    def preview(self, slug: str, *targets: str, filter_text: str | None = None) -> Any:
        from tenant_console.core.delete import preview_delete

        roots = self.roots(slug, *targets, filter_text=filter_text)
        return roots, self.session.run(preview_delete, self.project.registry, self.alias, self.tenant(slug), roots)

    def apply(self, slug: str, roots: Any, preview: Any, backup: Any, **kw: Any) -> Any:
        from tenant_console.core.delete import apply_delete

        return self.session.run(apply_delete, self.project, self.alias, self.tenant(slug), roots,
                                expected=preview.fingerprint(), backup=backup, readonly=False, scoped=False, **kw)

    def raw(self, fn: Any, *args: Any) -> Any:
        """Set-up and checks with scopes deliberately off, writable."""
        from django_scopes import scopes_disabled

        def call() -> Any:
            with scopes_disabled():
                return fn(*args)

        return self.session.run(call, readonly=False, scoped=False)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def deleter(project, target_alias) -> Iterator[Deleter]:
    """A :class:`Deleter` on the target database, seeded like the demo for this test (flushed after)."""
    from conference.seeding import seed
    from django.db import connections

    seed(target_alias)
    connections[target_alias].close()
    d = Deleter(project, target_alias)
    yield d
    d.close()
