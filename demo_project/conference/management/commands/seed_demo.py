from django.core.management.base import BaseCommand, CommandError

from conference.seeding import seed


class Command(BaseCommand):
    help = "Seed deterministic demo data (bulk inserts): a few events, or thousands of tenants, or one huge one."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--events", type=int, default=5, help="Number of events with full data (default 5).")
        parser.add_argument("--submissions", type=int, default=40, help="Submissions per event (default 40).")
        parser.add_argument("--users", type=int, default=60, help="Number of users (default 60).")
        parser.add_argument(
            "--large", type=int, default=0, help="Add the event 'megacon' with about this many rows (e.g. 1000000)."
        )
        parser.add_argument("--tenants", type=int, default=0, help="Add this many small extra events (e.g. 100000).")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--flush", action="store_true", help="Delete existing demo rows first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when events already exist.")

    def handle(self, *args, **options):
        from conference.models import Event

        alias = options["database"]
        if options["if_empty"] and Event._base_manager.using(alias).exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        if not options["flush"] and Event._base_manager.using(alias).exists():
            raise CommandError("The database already has events; pass --flush to replace them or --if-empty.")
        report = seed(
            alias,
            events=options["events"],
            submissions=options["submissions"],
            users=options["users"],
            large=options["large"],
            tenants=options["tenants"],
            seed_value=options["seed"],
            flush=options["flush"],
        )
        rate = report.total / report.seconds if report.seconds else 0
        self.stdout.write(f"Seeded {report.total:,} rows in {report.seconds:.1f}s ({rate:,.0f} rows/s).")
