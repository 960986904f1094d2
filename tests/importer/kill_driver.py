"""Runs the ``import`` CLI in a subprocess, announcing each write batch on stdout so that the atomicity
test can SIGKILL it at a chosen point of the apply. Nothing else is changed in the CLI's behaviour."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]


def main() -> int:
    from tenant_console.core.project import configure_django

    configure_django("tests.settings")
    from tenant_console.core.importer import apply as applymod

    tick = applymod.Applier._tick
    lock = applymod.Applier._lock

    def announce_lock(self, labels):
        lock(self, labels)
        print("LOCKED", flush=True)

    def announce_tick(self, label, done, total):
        tick(self, label, done, total)
        print(f"TICK {label} {done} {total}", flush=True)
        time.sleep(0.01)

    applymod.Applier._lock = announce_lock
    applymod.Applier._tick = announce_tick
    from tenant_console.cli.main import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
