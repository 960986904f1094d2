"""An export loads with plain ``manage.py loaddata`` into an empty database (tenant_console installed)."""

from __future__ import annotations

import os
import subprocess
import sys

from tenant_console.cli.main import main
from tests.cli.helpers import DEMO


def _manage(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(DATABASE_URL=f"sqlite:///{db}", DJANGO_SETTINGS_MODULE="demo.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=DEMO, env=env, capture_output=True, text=True, timeout=120
    )


def test_plain_loaddata_accepts_an_export_with_scoped_m2m(tmp_path, capsys, db_alias):
    data = tmp_path / "opsfest.jsonl.gz"
    code = main(
        [
            "--settings",
            "tests.settings",
            "--database",
            db_alias,
            "export",
            "--event__slug=opsfest",
            "-o",
            str(data),
            "--json",
        ]
    )
    capsys.readouterr()
    assert code == 0 and data.exists()
    db = tmp_path / "fresh.sqlite3"
    assert _manage("migrate", "--verbosity", "0", db=str(db)).returncode == 0
    loaded = _manage("loaddata", str(data), db=str(db))
    assert loaded.returncode == 0, loaded.stderr
    assert "Installed" in loaded.stdout
    check = _manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django_scopes import scopes_disabled\n"
        "from conference.models import Submission, Event\n"
        "with scopes_disabled():\n"
        "    s = Submission.objects.filter(event__slug='opsfest')\n"
        "    print(s.count(), sum(x.tags.count() for x in s), Event.objects.count())",
        db=str(db),
    )
    assert check.returncode == 0, check.stderr
    subs, tag_links, events = (int(n) for n in check.stdout.strip().splitlines()[-1].split())
    assert (subs, events) == (40, 1)
    assert tag_links == 80  # every submission has two tags: the m2m values were loaded
