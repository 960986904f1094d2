"""``seed_edges``: migrate the edgeproj database and load its fixed data (once)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled


class Command(BaseCommand):
    help = "Migrate and seed the edgeproj test database."

    def handle(self, *args, **options):
        from edgeproj.fest.seeding import seed

        call_command("migrate", verbosity=0)
        with scopes_disabled():
            seed()
