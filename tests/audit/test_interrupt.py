"""ctrl+c tells the truth: a real SIGINT to the CLI either stops the work (rolled back, nothing
written, audited ``interrupted``, exit 130) or waits for it and reports what really happened.

The CLI runs in a subprocess (``sigint_driver`` announces each export/import batch and slows them
down); the test sends SIGINT once the work is under way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conference.models import Tag

from tests.audit.test_outcomes import acts, mark
from tests.importer.conftest import table_state

DRIVER = Path(__file__).resolve().parent / "sigint_driver.py"
MARK = "tc-audit-sigint"


def interrupt_when(args: list[str], ready: str) -> tuple[int, str]:
    """Run the CLI; send SIGINT when a stdout line starts with ``ready``. Returns (exit code, stderr)."""
    cmd = [sys.executable, str(DRIVER), "--settings", "tests.settings", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    sent = False
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(ready):
            proc.send_signal(signal.SIGINT)
            sent = True
            break
    try:
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read() if proc.stderr else ""
    assert sent, f"the command finished before it could be interrupted (rc={rc}): {err}"
    return rc, err


def test_sigint_stops_an_export_and_it_is_audited_interrupted(project, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "democon.jsonl.gz"
    before = mark(project)
    rc, err = interrupt_when(["export", "--event__slug=democon", "--cross-tenant", "omit", "-o", str(target)],
                             "BATCH")
    assert rc == 130, err
    assert "Interrupting the export" in err and "Nothing was written" in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # no data, no manifest, no temporary file
    ((_, ended),) = acts(project, "export", before)
    assert ended["outcome"] == "interrupted" and ended["output"] == str(target) and ended["written"] is False


def test_sigint_stops_an_import_rolled_back_and_audited(importer, make_export):
    project = importer.project
    path = make_export(importer.source)
    state = table_state(importer.alias)
    before = mark(project)
    rc, err = interrupt_when(["--database", importer.alias, "import", str(path), "--new-tenant", "slug=democon-sigint",
                              "--default", "missing_ref=skip", "--apply"], "TICK")
    assert rc == 130, err
    assert "rolled back" in err and "Traceback" not in err
    assert table_state(importer.alias) == state  # nothing committed behind the exit
    ((started, ended),) = acts(project, "import", before)
    assert started["file"] == str(path)
    assert ended["outcome"] == "interrupted" and ended["written"] is False


def test_sigint_stops_a_writable_shell_input_rolled_back(project, db_alias):
    before = mark(project)
    code = (f"Tag.objects.create(event=event, tag='{MARK}')\nprint('CREATED', flush=True)\n"
            "import time\nfor _ in range(600):\n    time.sleep(0.05)\n")
    try:
        rc, err = interrupt_when(["--database", db_alias, "shell", "--event__slug=democon", "--write", "-c", code],
                                 "CREATED")
        assert rc == 130, err
        assert Tag._base_manager.using(db_alias).filter(tag=MARK).count() == 0
    finally:  # never leave a row behind for the other tests, even when this one fails
        Tag._base_manager.using(db_alias).filter(tag=MARK).delete()
    ((_, ended),) = acts(project, "shell_input", before)
    assert ended["outcome"] == "interrupted" and ended["committed"] is False


def test_an_interrupt_that_comes_too_late_reports_the_real_result(project, capsys):
    """ctrl+c while work that can no longer be stopped finishes: the CLI waits and says it finished."""
    import _thread
    import threading
    import time

    from tenant_console.cli.context import CliContext

    ctx = CliContext(project=project, args=None)  # type: ignore[arg-type]
    session = project.session("too-late")
    asked: list[bool] = []

    def work() -> int:
        time.sleep(0.6)  # in C: no interrupt lands here, like a COMMIT already under way
        return 42

    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        result = ctx.run_to_end(session, work, on_interrupt=lambda: asked.append(True), what="the work",
                                scoped=False)
    finally:
        timer.cancel()
        session.close()
    assert result == 42 and asked == [True]
    err = capsys.readouterr().err
    assert "Interrupting the work" in err and "came too late: the work had already finished" in err
