"""``manage.py tenant_console``: the same console and commands as ``tenant-console``."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Open tenant-console (or run one of its headless commands) on this project."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("args", nargs=argparse.REMAINDER)
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # Everything after "tenant_console" belongs to tenant-console's own parser.
        import os

        from tenant_console.cli.main import main

        remaining = list(argv[2:])
        if "--settings" not in " ".join(remaining) and os.environ.get("DJANGO_SETTINGS_MODULE"):
            remaining = ["--settings", os.environ["DJANGO_SETTINGS_MODULE"], *remaining]
        raise SystemExit(main(remaining))

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - run_from_argv handles it
        from tenant_console.cli.main import main

        raise SystemExit(main(list(args)))
