"""Where a tenant lives in a sharded deployment: the project's own ``DATABASE_ROUTERS``.

A router-sharded project sends each tenant's rows to its shard from
``db_for_read``/``db_for_write`` with the object as the ``instance`` hint. The
console asks the same routers, with the tenant object as the hint, which alias
holds it; the console's own router (which routes a session's thread to the
session's alias) is left out of the question. No router answering means the
project is not sharded by tenant: the tenant lives where it was found.
"""

from __future__ import annotations

from typing import Any


def routed_alias(tenant: Any) -> tuple[str | None, str | None]:
    """``(alias, router)`` the project's routers choose for ``tenant`` (writes), or ``(None, None)``."""
    from django.db import router

    from tenant_console.core.routing import SessionRouter

    for r in router.routers:
        if isinstance(r, SessionRouter):
            continue
        method = getattr(r, "db_for_write", None)
        if method is None:
            continue
        chosen = method(type(tenant), instance=tenant)
        if chosen:
            return str(chosen), f"{type(r).__module__}.{type(r).__qualname__}"
    return None, None
