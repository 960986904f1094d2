"""Export order follows nullability, so plain ``loaddata`` loads every export (issue 12).

In edgeproj a speaker (serialized by natural key) points at its photo through a nullable FK, and the
photo at the speaker through a non-nullable one. Sorted by label alone the photos came first; then
``loaddata`` could not resolve the photo's owner (a natural key of a row not loaded yet), left it
NULL and failed on NOT NULL. The cycle is broken at the nullable side: speakers first.
"""

from __future__ import annotations

import gzip
import json

import pytest

from tests.core.edge_project import KINDS, PYTHON, SETTINGS, cli, empty, fresh, probe, run


@pytest.mark.parametrize("kind", KINDS)
def test_plain_loaddata_loads_an_export_with_a_nullable_cycle(kind, tmp_path):
    source = fresh(kind)
    path = tmp_path / "democon.jsonl.gz"
    done = cli(source, "export", "--festival__slug=democon", "-o", str(path), "--json")
    assert done.returncode == 0, done.stderr
    with gzip.open(path, "rt") as fh:
        models = list(dict.fromkeys(json.loads(line)["model"] for line in fh))
    assert models.index("fest.speaker") < models.index("fest.photo"), models
    target = empty(kind)
    done = run([PYTHON, "-m", "django", "loaddata", str(path), *SETTINGS], target)
    assert done.returncode == 0, done.stderr
    before, after = probe(source), probe(target)
    assert after["counts"]["democon"] == before["counts"]["democon"]
    assert after["rows"]["democon"] == before["rows"]["democon"]
