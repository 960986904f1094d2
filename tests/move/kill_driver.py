"""Runs the ``move`` CLI in a subprocess and stops at one checkpoint (``TC_MOVE_STOP_AT=phase:point``),
announcing it on stdout and sleeping there, so the kill trials can SIGKILL it at exactly that point.

Besides the checkpoints of the move itself, two are added here inside the transactions: ``import:writing``
(after the first model's rows are written, uncommitted) and ``delete:row`` (after the first deleted row).
Nothing else in the CLI's behaviour is changed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]


def main() -> int:
    from tenant_console.core.project import configure_django

    configure_django("tests.settings")
    from django.db.models.signals import post_delete

    from tenant_console.core.importer.apply import Applier
    from tenant_console.core.move import CHECKPOINTS
    from tenant_console.core.move.runner import checkpoint

    stop_at = os.environ.get("TC_MOVE_STOP_AT", "")

    def observer(phase: str, point: str) -> None:
        if f"{phase}:{point}" == stop_at:
            print(f"STOPPED {phase}:{point}", flush=True)
            time.sleep(120)

    CHECKPOINTS.append(observer)
    original = Applier._write_model

    def write_model(self, label, done, total):  # type: ignore[no-untyped-def]
        n = original(self, label, done, total)
        checkpoint("import", "writing")
        return n

    Applier._write_model = write_model  # type: ignore[method-assign]
    post_delete.connect(lambda sender, **kw: checkpoint("delete", "row"), weak=False)
    from tenant_console.cli.main import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
