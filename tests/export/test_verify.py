"""``verify`` names each kind of damage precisely, and exits non-zero."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tenant_console.cli.main import main
from tenant_console.core.export.schema import fingerprint
from tenant_console.core.export.verify import verify_export
from tests.export.helpers import export


@pytest.fixture
def exported(project, out: Path) -> dict[str, Path]:
    """A small tenant export in both encodings (SQLite source)."""
    from conference.models import Event

    democon = Event._base_manager.using("default").get(slug="democon").pk
    paths = {}
    for key, name in (("t.jsonl", "t.jsonl"), ("t.jsonl.gz", "g.jsonl.gz")):
        export(project, "default", out / name, tenant={"event": democon}, cross_tenant="omit")
        paths[key] = out / name
    return paths


def _manifest(path: Path) -> Path:
    return path.with_name(path.name.split(".")[0] + ".manifest.json")


def _problems(path: Path, **kw: Any) -> list[tuple[str, str]]:
    return verify_export(path, **kw).problems


def _cli(*args: str) -> int:
    return main(["--settings", "tests.settings", "verify", *args])


def test_a_fresh_export_verifies(exported: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    for path in exported.values():
        report = verify_export(path)
        assert report.ok, report.problems
        assert report.objects == sum(report.counts.values()) > 400
        assert _cli(str(path)) == 0
    # The manifest can be named instead of the data.
    assert _cli(str(_manifest(exported["t.jsonl"]))) == 0
    assert "OK" in capsys.readouterr().out


def test_tampered_data(exported: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = exported["t.jsonl"]
    text = path.read_text()
    title = json.loads(text.splitlines()[-1])["model"]
    path.write_text(text.replace('"Loves Django."', '"Loves Flask."', 1))  # same length? no: size differs too
    kinds = {k for k, _ in _problems(path)}
    assert "checksum" in kinds
    assert title
    assert _cli(str(path)) == 1
    out = capsys.readouterr().out
    assert "[checksum] the checksum of t.jsonl does not match its manifest: SHA-256" in out
    assert "changed or damaged" in out


def test_same_size_tampering_is_caught_by_the_checksum(exported: dict[str, Path]) -> None:
    path = exported["t.jsonl"]
    text = path.read_text()
    path.write_text(text.replace('"Main Hall"', '"Main Hell"', 1))
    problems = _problems(path)
    assert [k for k, _ in problems] == ["checksum"]


@pytest.mark.parametrize("name", ["t.jsonl", "t.jsonl.gz"])
def test_truncated_file(exported: dict[str, Path], name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = exported[name]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    problems = _problems(path)
    kinds = [k for k, _ in problems]
    assert "size" in kinds and "checksum" in kinds and "truncated" in kinds, problems
    assert any("is truncated: it has" in m for k, m in problems if k == "size")
    if name == "t.jsonl":  # fewer objects than recorded (a cut-off gzip stream stops the reading)
        assert "counts" in kinds
    assert _cli(str(path)) == 1
    assert "cut off" in capsys.readouterr().out


def test_manifest_that_does_not_match(exported: dict[str, Path]) -> None:
    path = exported["t.jsonl.gz"]
    manifest_path = _manifest(path)
    manifest = json.loads(manifest_path.read_text())
    manifest["models"]["conference.submission"]["count"] = 39
    manifest_path.write_text(json.dumps(manifest))
    problems = _problems(path)
    # Reading stops at the first object more than the manifest lists.
    assert any(k == "counts" and "is conference.submission object number 40, but the manifest lists 39" in m
               for k, m in problems), problems


def test_missing_or_invalid_manifest(exported: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = exported["t.jsonl"]
    manifest_path = _manifest(path)
    manifest_path.write_text("{not json")
    assert _problems(path)[0][0] == "manifest" and "not valid JSON" in _problems(path)[0][1]
    manifest_path.unlink()
    problems = _problems(path)
    assert problems[0][0] == "manifest" and "is missing beside the data file" in problems[0][1]
    assert _cli(str(path)) == 1


def test_a_file_from_a_project_whose_models_changed(exported: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Simulated by editing the recorded schema (and its fingerprint, as the other project would have it)."""
    path = exported["t.jsonl.gz"]
    manifest_path = _manifest(path)
    manifest = json.loads(manifest_path.read_text())
    entry = manifest["models"]["conference.submission"]
    fields = entry["schema"]["fields"]
    fields["title"] = {"type": "TextField", "null": False}  # was CharField(max_length=200)
    fields["subtitle"] = {"type": "CharField", "null": True, "max_length": 100}  # gone from the model now
    del fields["abstract"]  # a field the model has and the file lacks
    entry["fingerprint"] = fingerprint(entry["schema"])
    manifest_path.write_text(json.dumps(manifest))
    problems = [m for k, m in _problems(path) if k == "schema"]
    assert "conference.submission.title: type is 'TextField' in the file, 'CharField' now" in problems
    assert "conference.submission.title: max_length is None in the file, 200 now" in problems
    assert any(m.startswith("conference.submission.subtitle: in the file (CharField), but the model has no such")
               for m in problems)
    assert "conference.submission.abstract: TextField on the model, not in the file" in problems
    # Lines that carry a field the recorded schema lacks are named too.
    assert any(k == "fields" and "abstract" in m for k, m in _problems(path))
    assert _cli(str(path)) == 1
    assert "[schema] conference.submission.title" in capsys.readouterr().out
    # --no-models checks the file against its manifest only.
    assert not [k for k, _ in _problems(path, check_models=False) if k == "schema"]


def test_an_edited_schema_without_its_fingerprint_is_named(exported: dict[str, Path]) -> None:
    path = exported["t.jsonl"]
    manifest_path = _manifest(path)
    manifest = json.loads(manifest_path.read_text())
    manifest["models"]["conference.tag"]["schema"]["fields"]["tag"]["max_length"] = 10
    manifest_path.write_text(json.dumps(manifest))
    assert ("manifest", "conference.tag: the recorded schema does not match its fingerprint (the manifest was "
            "edited)") in _problems(path)


def test_invalid_json_line_is_located(exported: dict[str, Path]) -> None:
    path = exported["t.jsonl.gz"]
    with gzip.open(path, "rt") as fh:
        lines = fh.read().splitlines(keepends=True)
    lines[3] = lines[3][:20] + "\n"
    with gzip.open(path, "wt") as fh:
        fh.writelines(lines)
    assert any(k == "parse" and m.startswith("line 4 of g.jsonl.gz is not valid JSON") for k, m in _problems(path))


def test_verify_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(str(tmp_path / "nope.jsonl")) == 1
    assert "does not exist" in capsys.readouterr().err
    assert _cli(str(tmp_path)) == 2
    assert "is a directory" in capsys.readouterr().err
