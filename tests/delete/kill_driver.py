"""Runs the ``delete`` CLI in a subprocess, announcing each deleted row (post_delete) on stdout, so that the
atomicity test can SIGKILL it in the middle of the delete. Nothing else is changed in the CLI's behaviour."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]


def main() -> int:
    from tenant_console.core.project import configure_django

    configure_django("tests.settings")
    from django.db.models.signals import post_delete

    def announce(sender, instance, **kwargs):
        print(f"DELETED {sender._meta.label_lower} {instance.pk}", flush=True)
        time.sleep(0.005)

    post_delete.connect(announce, weak=False)
    from tenant_console.cli.main import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
