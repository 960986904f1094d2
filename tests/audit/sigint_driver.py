"""Runs the CLI in a subprocess, announcing each export batch (``BATCH``) and import batch (``TICK``) on
stdout and slowing them down, so that a test can send a real SIGINT while the work is under way.
Nothing else is changed in the CLI's behaviour."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]


def main() -> int:
    from tenant_console.core.project import configure_django

    configure_django("tests.settings")
    from tenant_console.core.export.serializer import RowEncoder
    from tenant_console.core.importer import apply as applymod

    tick = applymod.Applier._tick
    encode = RowEncoder.encode

    def announce_tick(self, label, done, total):
        tick(self, label, done, total)
        print(f"TICK {label} {done} {total}", flush=True)
        time.sleep(0.2)

    def announce_batch(self, rows, *args, **kwargs):  # the export encodes and writes one batch of rows
        data = encode(self, rows, *args, **kwargs)
        print(f"BATCH {len(rows)}", flush=True)
        time.sleep(0.2)
        return data

    applymod.Applier._tick = announce_tick
    RowEncoder.encode = announce_batch
    from tenant_console.cli.main import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
