"""The bad-input corpus: each file gets one clear paragraph, a non-zero exit and nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.importer.conftest import table_state

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = json.loads((CORPUS / "cases.json").read_text())


def cli(alias, *args):
    from tenant_console.cli.main import main

    return main(["--settings", "tests.settings", "--database", alias, "import", *map(str, args)])


@pytest.mark.parametrize("case", CASES, ids=[c.get("decisions") or c["file"] for c in CASES])
def test_corpus(case, target_alias, capsys):
    before = table_state(target_alias)
    args = [CORPUS / case["file"], "--apply"]
    if case.get("decisions"):
        args += ["--decisions", CORPUS / case["decisions"]]
    rc = cli(target_alias, *args)
    err = capsys.readouterr().err
    assert rc == case["exit"], err
    message = err.strip().splitlines()[-1]
    assert message.startswith("tenant-console: error: ")
    assert re.search(case["message"], message), message
    assert "Traceback" not in err
    assert table_state(target_alias) == before


def test_valid_corpus_file_imports(target_alias, capsys):
    rc = cli(target_alias, CORPUS / "valid.jsonl", "--apply")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "Imported" in out and "conference.track" in out
    from conference.models import Track
    from django.db import connections

    assert Track._base_manager.using(target_alias).filter(event__slug="corpus-event").count() == 2
    connections[target_alias].close()
