"""``tenant-console`` with no command, end to end in a pseudo-terminal (POSIX only)."""

from __future__ import annotations

import os
import re
import select
import sys
import time
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")
ROOT = Path(__file__).resolve().parents[2]


def _plain(out: bytes) -> bytes:
    """Terminal output without escape sequences (they may split a word)."""
    return re.sub(rb"\x1b\[[0-9;?<>=]*[A-Za-z~]", b"", out).replace(b"\r\n", b" ")


def _run_in_pty(args: list[str], answer: bytes, wait_for: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    """Start the console, type ``answer`` once ``wait_for`` is on screen, return (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real entry point, as a user would run it
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "tenant_console", *args])
    out = b""
    sent = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal: it is exiting
                chunk = b""
            if not chunk:
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status), out
            out += chunk
        if not sent and wait_for in _plain(out):
            time.sleep(0.3)
            os.write(fd, answer)
            sent = True
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), out
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError(f"the console did not finish; sent={sent}; output tail: {out[-500:]!r}")


def test_unknown_scope_flag_shows_the_cli_message_and_quits_with_2():
    code, out = _run_in_pty(["--settings", "tests.settings", "--pythonpath", "demo_project", "--evnt=3"], b"q", b"evnt")
    text = _plain(out).decode(errors="replace")
    assert code == 2
    assert "there is no scope dimension 'evnt'" in text and "Did you mean 'event'?" in text


def test_opens_into_the_tenant_and_quits_cleanly():
    code, out = _run_in_pty(["--settings", "tests.settings", "--pythonpath", "demo_project",
                              "--event__slug=democon"], b"\x11", b"Submission")
    assert code == 0
    assert b"DemoCon 2026 (democon)" in _plain(out)
