"""Runs the ``export`` CLI in a subprocess whose writer stops after its first progress report: it
prints ``WRITING`` and waits (as a long write would, looking at the cancel flag), so that the test
can signal it while the data file is half written. Nothing else is changed in the CLI's behaviour."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "demo_project")]


def main() -> int:
    from tenant_console.cli.commands import export as export_cmd

    jobs: list[Any] = []

    class HoldingBar(export_cmd.ProgressBar):
        def __init__(self) -> None:
            from tenant_console.core.export import runner  # Django is set up by now

            self.enabled = False
            self.held = False
            init = runner.ExportJob.__init__

            def remember(job: Any, *args: Any, **kwargs: Any) -> None:
                init(job, *args, **kwargs)
                jobs.append(job)

            runner.ExportJob.__init__ = remember  # type: ignore[method-assign]

        def __call__(self, p: Any) -> None:
            if not self.held:
                self.held = True
                print("WRITING", flush=True)
                deadline = time.monotonic() + 60  # never forever: a failing test must not hang the run
                while time.monotonic() < deadline and not any(j.cancelled.is_set() for j in jobs):
                    time.sleep(0.05)  # a long write: the writer looks at the cancel flag after each chunk

    export_cmd.ProgressBar = HoldingBar  # type: ignore[misc]
    from tenant_console.cli.main import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
