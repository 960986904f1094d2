"""``manage.py loaddata`` that works on django-scopes projects.

Django's ``loaddata`` sets many-to-many values through a related manager built
from the target model's default manager. When that is a ``ScopedManager``, the
manager refuses every query outside a scope, so loading any fixture with scoped
m2m values (a tenant-console export, or ``dumpdata``'s own output) fails with
``ScopeError``. A fixture is not a tenant's view of the data, so this command is
Django's ``loaddata`` run inside ``scopes_disabled()``; nothing else changes.

It takes effect when ``tenant_console`` is in ``INSTALLED_APPS``; an app listed
before it that defines its own ``loaddata`` still wins.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.loaddata import Command as DjangoLoadData


class Command(DjangoLoadData):
    help = DjangoLoadData.help + " (tenant-console: with django-scopes disabled for the load.)"

    def handle(self, *fixture_labels: str, **options: Any) -> None:
        try:
            from django_scopes import scopes_disabled
        except ImportError:  # pragma: no cover - django-scopes is a dependency
            return super().handle(*fixture_labels, **options)
        with scopes_disabled():
            return super().handle(*fixture_labels, **options)
