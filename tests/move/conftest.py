"""Move tests: a seeded source and an empty target per test, both restored after it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _alias_or_skip, flush

ROOT = Path(__file__).resolve().parent.parent.parent
DRIVER = Path(__file__).resolve().parent / "kill_driver.py"


@dataclass
class Pair:
    project: Any
    source: str
    target: str
    tmp: Path
    #: Set by a test that changed the source in a way the per-tenant totals do not show (it is reseeded).
    dirty: bool = False

    def event_pk(self, slug: str = "djangocon-lab") -> Any:
        from conference.models import Event

        return self.read(self.source, lambda: Event._base_manager.using(self.source).filter(slug=slug)
                         .values_list("pk", flat=True).first())

    def digest(self, alias: str, pk: Any) -> Any:
        """Counts and checksums of the tenant ``event=pk`` on ``alias`` (the move's own verification)."""
        from tenant_console.core.move import tenant_digest

        return self.read(alias, tenant_digest, self.project.registry, alias, {"event": pk})

    def totals(self, alias: str) -> dict[str, int]:
        """Rows of every tenant, per event slug (to check that the other tenants are untouched)."""
        from conference.models import Event, Submission

        def count() -> dict[str, int]:
            return {e.slug: Submission._base_manager.using(alias).filter(event=e).count()
                    for e in Event._base_manager.using(alias).all()}

        return self.read(alias, count)

    def read(self, alias: str, fn: Any, *args: Any) -> Any:
        with self.project.session("move-test", alias=alias) as s:
            return s.run(fn, *args, scoped=False, readonly=True)

    def write(self, alias: str, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in one writable call on ``alias`` (the source is reseeded after the test)."""
        if alias == self.source:
            self.dirty = True
        with self.project.session("move-test", alias=alias) as s:
            return s.run(fn, *args, scoped=False, readonly=False)

    def killed_at(self, point: str) -> None:
        """Start ``move --delete-source`` and SIGKILL it at the checkpoint ``point`` (``phase:point``)."""
        cmd = [sys.executable, str(DRIVER), "--settings", "tests.settings", "move", "--event__slug=djangocon-lab",
               "--from", self.source, "--to", self.target, "--journal", str(self.tmp / "j"), "--delete-source",
               "--confirm-tenant", "djangocon-lab"]
        env = {**os.environ, "TC_MOVE_STOP_AT": point, "PYTHONPATH": f"{ROOT}:{ROOT / 'demo_project'}"}
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(f"STOPPED {point}"):
                proc.send_signal(signal.SIGKILL)
                break
        rc = proc.wait(timeout=120)
        assert rc == -signal.SIGKILL, (point, rc, proc.stderr.read() if proc.stderr else "")

    def cli(self, *args: str, driver: bool = False, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        script = [str(DRIVER)] if driver else ["-m", "tenant_console.cli.main"]
        return subprocess.run([sys.executable, *script, "--settings", "tests.settings", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'demo_project'}", **(env or {})})

    def move(self, *extra: str, slug: str = "djangocon-lab", journal: str = "j") -> subprocess.CompletedProcess[str]:
        return self.cli("move", f"--event__slug={slug}", "--from", self.source, "--to", self.target,
                        "--journal", str(self.tmp / journal), *extra)

    def journal(self, name: str = "j") -> dict[str, Any]:
        return json.loads((self.tmp / name / "journal.json").read_text())


def seeded(alias: str) -> None:
    from conference.seeding import seed
    from django.db import connections

    flush(alias)
    seed(alias)
    connections[alias].close()


@pytest.fixture
def pair(request: pytest.FixtureRequest, project: Any, tmp_path: Path) -> Iterator[Pair]:
    """``(source, target, reseed)``: the source is seeded for the test when ``reseed``, the target flushed."""
    source, target, reseed = request.param
    _alias_or_skip(source)
    _alias_or_skip(target)
    if reseed:
        seeded(source)
    flush(target)
    p = Pair(project, source, target, tmp_path)
    before = None if reseed else p.totals(source)
    yield p
    flush(target)
    if reseed:
        flush(source)
    elif p.dirty or p.totals(source) != before:  # a shared seeded database: put it back as it was
        seeded(source)
