"""Putting a finished export in place: a failure part-way leaves the previous export as it was, and the
message and the audit trail say what is in place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tenant_console.core.export import storage
from tenant_console.core.export.files import FileCopier
from tenant_console.core.export.storage import CommitFailed, LocalOutput
from tests.export.conftest import leftovers
from tests.export.test_cli import cli


def test_a_folder_at_the_manifest_name_is_refused_before_the_previous_data_is_replaced(
        out: Path, capsys: pytest.CaptureFixture[str], project) -> None:
    target = out / "dump.jsonl"
    target.write_text("OLD EXPORT DATA\n")
    (out / "dump.manifest.json").mkdir()
    (out / "dump.manifest.json" / "x").write_text("x")
    code = cli("default", "export", "--event__slug=democon", "--cross-tenant", "omit", "-o", str(target),
               "--overwrite")
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "dump.manifest.json is a directory" in err and "Nothing was written" in err
    assert target.read_text() == "OLD EXPORT DATA\n"
    assert leftovers(out) == ["dump.jsonl", "dump.manifest.json"]
    assert (out / "dump.manifest.json" / "x").read_text() == "x"
    record = project.audit.outcomes()[-1]
    assert record["action"] == "export" and record["written"] is False


def _output(out: Path, old: bool = True) -> LocalOutput:
    output = LocalOutput(out / "dump.jsonl")
    if old:
        output.path.write_text("old data\n")
        output.manifest_path.write_text("old manifest\n")
    output.check(True)
    output.data_tmp.write_text("new data\n")
    output.manifest_tmp.write_text("new manifest\n")
    return output


def _failing(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """``os.replace`` in storage fails for a destination named in ``names`` (a full disk, a lost mount...)."""
    real = os.replace

    def replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        if Path(dst).name in names:
            raise OSError(5, "Input/output error", str(dst))
        real(src, dst)

    monkeypatch.setattr(storage.os, "replace", replace)


def test_a_manifest_that_cannot_be_put_in_place_puts_the_previous_data_back(out: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    output = _output(out)
    _failing(monkeypatch, "dump.manifest.json")
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    assert failed.value.written is False
    assert "Nothing was written: the previous export dump.jsonl is in place as it was" in failed.value.message
    assert output.path.read_text() == "old data\n" and output.manifest_path.read_text() == "old manifest\n"
    assert leftovers(out) == ["dump.jsonl", "dump.manifest.json"]


def test_without_a_previous_export_nothing_is_left(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = _output(out, old=False)
    _failing(monkeypatch, "dump.manifest.json")
    with pytest.raises(CommitFailed, match="Nothing was written: no file was put in place") as failed:
        output.commit()
    output.discard()
    assert failed.value.written is False and leftovers(out) == []


def test_when_the_new_data_cannot_be_taken_back_the_message_says_so(out: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    output = _output(out)
    _failing(monkeypatch, "dump.manifest.json", output.data_tmp.name)
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    assert failed.value.written is True
    assert "now holds the new data WITHOUT its manifest" in failed.value.message
    kept = [n for n in leftovers(out) if ".previous-" in n]
    assert len(kept) == 1 and kept[0] in failed.value.message and (out / kept[0]).read_text() == "old data\n"
    assert output.path.read_text() == "new data\n" and output.manifest_path.read_text() == "old manifest\n"


def _interrupted(monkeypatch: pytest.MonkeyPatch, name: str, *, after: bool) -> None:
    """ctrl+c (or SIGTERM, which the CLI turns into KeyboardInterrupt) arrives at the rename whose destination
    starts with ``name``: before it, or once it is done (Python raises it when the call returns)."""
    real = os.replace

    def replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        if Path(dst).name.startswith(name):
            if after:
                real(src, dst)
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(storage.os, "replace", replace)


@pytest.mark.parametrize(("name", "after"), [("dump.jsonl.previous-", True), ("dump.jsonl", False),
                                             ("dump.jsonl", True), ("dump.manifest.json", False)])
def test_an_interrupt_during_the_renames_puts_the_previous_export_back(
        out: Path, monkeypatch: pytest.MonkeyPatch, name: str, after: bool) -> None:
    output = _output(out)
    _interrupted(monkeypatch, name, after=after)
    with pytest.raises(KeyboardInterrupt):
        output.commit()
    output.discard()
    assert output.path.read_text() == "old data\n" and output.manifest_path.read_text() == "old manifest\n"
    assert leftovers(out) == ["dump.jsonl", "dump.manifest.json"]


def test_an_interrupt_once_the_manifest_is_in_place_finishes_the_commit(out: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    output = _output(out)
    _interrupted(monkeypatch, "dump.manifest.json", after=True)
    output.commit()
    assert output.path.read_text() == "new data\n" and output.manifest_path.read_text() == "new manifest\n"
    assert leftovers(out) == ["dump.jsonl", "dump.manifest.json"]


def test_an_interrupt_whose_undo_fails_says_what_is_on_disk(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = _output(out)
    real = os.replace

    def replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        if Path(dst).name == "dump.manifest.json":
            raise KeyboardInterrupt
        if Path(dst) == output.data_tmp:
            raise OSError(5, "Input/output error", str(dst))
        real(src, dst)

    monkeypatch.setattr(storage.os, "replace", replace)
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    assert failed.value.written is True and isinstance(failed.value.__cause__, KeyboardInterrupt)
    assert "interrupted while dump.manifest.json was being moved into place" in failed.value.message
    kept = [n for n in leftovers(out) if ".previous-" in n]
    assert len(kept) == 1 and kept[0] in failed.value.message and (out / kept[0]).read_text() == "old data\n"


def test_a_successful_overwrite_leaves_only_the_new_export(out: Path) -> None:
    output = _output(out)
    output.commit()
    assert output.path.read_text() == "new data\n" and output.manifest_path.read_text() == "new manifest\n"
    assert leftovers(out) == ["dump.jsonl", "dump.manifest.json"]


def test_the_previous_files_folder_comes_back_when_the_export_is_not_put_in_place(out: Path) -> None:
    final = out / "media"
    final.mkdir()
    (final / "old.txt").write_text("old")
    files = FileCopier(final, overwrite=True)
    (files.tmp / "new.txt").write_text("new")
    files.commit()
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    files.restore()
    files.discard()
    assert leftovers(out) == ["media"] and sorted(p.name for p in final.iterdir()) == ["old.txt"]
    again = FileCopier(final, overwrite=True)
    (again.tmp / "new.txt").write_text("new")
    again.commit()
    again.finish()
    assert leftovers(out) == ["media"] and sorted(p.name for p in final.iterdir()) == ["new.txt"]


def test_a_file_at_the_files_folder_name_is_refused(out: Path) -> None:
    (out / "media").write_text("not a folder")
    with pytest.raises(Exception, match="that is a file, not a directory"):
        FileCopier(out / "media", overwrite=True)
    assert leftovers(out) == ["media"]


def test_an_overwrite_with_files_that_cannot_be_put_in_place_keeps_the_previous_export_and_files(
        out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project) -> None:
    """The manifest's rename fails (an I/O error) after the files folder was committed: the previous data,
    manifest and files folder are all as they were, and the message and the audit say nothing was written."""
    path, files = out / "d.jsonl", out / "files"
    args = ("export", "--event__slug=democon", "--cross-tenant", "omit", "-o", str(path), "--with-files", str(files),
            "--overwrite")
    assert cli("default", *args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (files / "old-marker.txt").write_text("previous files")
    _failing(monkeypatch, "d.manifest.json")
    assert cli("default", *args) == 2
    err = capsys.readouterr().err
    assert "Nothing was written: the previous export d.jsonl is in place as it was" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (files / "old-marker.txt").read_text() == "previous files"
    assert leftovers(out) == ["d.jsonl", "d.manifest.json", "files"]
    record = project.audit.outcomes()[-1]
    assert record["action"] == "export" and record["outcome"] == "error" and record["written"] is False
