"""``seed_saas``: migrate the second test project's database and load its fixed data."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from saasproj.seeding import seed


class Command(BaseCommand):
    help = "Migrate and seed the saasproj test database with its small fixed data set."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        alias = options["database"]
        call_command("migrate", database=alias, verbosity=0)
        counts = seed(alias)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
