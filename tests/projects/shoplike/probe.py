"""Test helper: the REPL's other-tenant warning on owned models, and the console's counts, printed as JSON.

Run as ``python -m shoplike.probe`` (``tests/projects`` on ``PYTHONPATH``) against
a database seeded with ``--plant``: with acme active, its planted item's
category (an owned row of globex) must be flagged, its own rows not.
"""

from __future__ import annotations

import json
from typing import Any


def main() -> None:
    from tenant_console.core.browse.counts import count_model_and_default
    from tenant_console.core.project import load_project
    from tenant_console.core.repl.tenancy import foreign_tenant_warning

    project = load_project("shoplike.settings")
    session = project.session("probe")
    try:
        from shoplike.shop.models import Item, Organizer, Transaction

        acme = session.run(lambda: Organizer._base_manager.get(slug="acme"), scoped=False)
        session.activate({"organizer": acme.pk})
        registry = project.registry

        def check() -> dict[str, Any]:
            items = list(Item._base_manager.filter(event__organizer=acme).select_related("category").order_by("pk"))
            planted = items[0]
            others = Transaction._base_manager.exclude(position__order__event__organizer=acme)[:3]
            return {
                "planted_category": foreign_tenant_warning(registry, session.scope, [planted.category]),
                "own_items": foreign_tenant_warning(registry, session.scope, items),
                "other_transactions": foreign_tenant_warning(registry, session.scope, list(others)),
            }

        result = session.run(check)
        # the model browser's count: every row of the tenant, and what Question.objects shows of them
        result["question_counts"] = list(session.run(count_model_and_default, registry, "shop.Question",
                                                     session.scope))
        result["order_counts"] = list(session.run(count_model_and_default, registry, "shop.Order", session.scope))
    finally:
        session.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
