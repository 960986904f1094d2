"""``seed_shop``: migrate the shop-like test database and load its fixed data."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from shoplike.seeding import seed


class Command(BaseCommand):
    help = "Migrate and seed the shoplike test database."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--plant", action="store_true", help="plant a cross-tenant category reference")
        parser.add_argument("--empty", action="store_true", help="only migrate (an import target)")

    def handle(self, *args, **options):
        alias = options["database"]
        call_command("migrate", database=alias, verbosity=0)
        if options["empty"]:
            return
        counts = seed(alias, plant=options["plant"])
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
