"""Putting a finished export in a Django storage (``--storage ALIAS --overwrite``): a failed or interrupted
upload leaves the previous export as it was, and the message and the audit trail say what is in the storage.
The storage is a real FileSystemStorage whose N-th save fails (tests/export/flaky_storage.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from tenant_console.core.export.storage import CommitFailed, StorageOutput
from tests.export.flaky_storage import FlakyStorage
from tests.export.test_cli import cli

DATA, MANIFEST = "exports/dump.jsonl", "exports/dump.manifest.json"


@pytest.fixture
def flaky() -> Iterator[FlakyStorage]:
    from django.core.files.storage import storages

    storage = storages["flaky"]
    assert isinstance(storage, FlakyStorage)
    shutil.rmtree(storage.location, ignore_errors=True)
    storage.arm()
    yield storage
    storage.arm()
    shutil.rmtree(storage.location, ignore_errors=True)


def _files(storage: FlakyStorage) -> dict[str, bytes]:
    root = Path(storage.location)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _output(storage: FlakyStorage, old: bool = True) -> StorageOutput:
    if old:
        storage.save(DATA, ContentFile(b"old data\n"))
        storage.save(MANIFEST, ContentFile(b"old manifest\n"))
    output = StorageOutput("flaky", DATA)
    output.check(True)
    output.data_tmp.write_bytes(b"new data\n")
    output.manifest_tmp.write_bytes(b"new manifest\n")
    storage.arm()
    return output


OLD = {DATA: b"old data\n", MANIFEST: b"old manifest\n"}


def test_a_successful_overwrite_leaves_only_the_new_export(flaky: FlakyStorage) -> None:
    output = _output(flaky)
    output.commit()
    assert _files(flaky) == {DATA: b"new data\n", MANIFEST: b"new manifest\n"}
    assert not output.data_tmp.exists()
    # Uploaded under temporary names first, the previous export copied aside, then each final name.
    assert [n.split(".tmp-")[0].split(".previous-")[0] for n in flaky.saved] == [DATA, MANIFEST] * 3
    assert ".tmp-" in flaky.saved[0] and ".previous-" in flaky.saved[2]


@pytest.mark.parametrize("failing", [1, 2, 3, 4, 5, 6])
def test_a_failed_save_leaves_the_previous_export_as_it_was(flaky: FlakyStorage, failing: int) -> None:
    """1-2: the temporary uploads; 3-4: the copies of the previous export; 5: the data; 6: the manifest."""
    output = _output(flaky)
    flaky.arm(failing)
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    assert failed.value.written is False
    assert "No space left on device" in failed.value.message
    assert ("Nothing was written: the previous export exports/dump.jsonl is in place as it was, and the temporary "
            "files were removed") in failed.value.message
    assert _files(flaky) == OLD


def test_without_a_previous_export_a_failure_leaves_nothing(flaky: FlakyStorage) -> None:
    output = _output(flaky, old=False)
    flaky.arm(4)  # the manifest, under its final name (no copies of a previous export)
    with pytest.raises(CommitFailed, match="Nothing was written: no file was put in place") as failed:
        output.commit()
    output.discard()
    assert failed.value.written is False and _files(flaky) == {}


@pytest.mark.parametrize("failing", [2, 5, 6])
def test_an_interrupt_puts_the_previous_export_back_and_is_raised_again(flaky: FlakyStorage, failing: int) -> None:
    output = _output(flaky)
    flaky.arm(failing, error=KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        output.commit()
    output.discard()
    assert _files(flaky) == OLD


def test_when_the_previous_data_cannot_be_copied_back_the_message_says_what_is_there(flaky: FlakyStorage) -> None:
    output = _output(flaky)
    flaky.arm(6, 7)  # the manifest fails, and so does copying the previous data back
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    message = failed.value.message
    assert failed.value.written is True
    files = _files(flaky)
    kept = [n for n in files if ".previous-" in n and n.startswith(DATA)]
    uploads = sorted(n for n in files if ".tmp-" in n)
    assert DATA not in files and files[MANIFEST] == b"old manifest\n"
    assert len(kept) == 1 and files[kept[0]] == b"old data\n"
    assert f"{DATA} is missing: the previous one could not be copied back" in message and kept[0] in message
    assert [files[n] for n in uploads] == [b"new data\n", b"new manifest\n"]
    assert all(n in message for n in uploads) and "The new export is complete" in message


@pytest.mark.parametrize("undeletable", [DATA, MANIFEST])
def test_a_previous_file_that_cannot_be_deleted_is_left_in_place(flaky: FlakyStorage, undeletable: str) -> None:
    """The undo does not delete again a final name the new file was never saved under: it still holds the
    previous file."""
    output = _output(flaky)
    flaky.arm(undeletable=(undeletable,))
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    assert failed.value.written is False and "Permission denied" in failed.value.message
    assert "the previous export exports/dump.jsonl is in place as it was" in failed.value.message
    assert _files(flaky) == OLD


def test_when_the_new_data_cannot_be_taken_back_the_message_says_so(flaky: FlakyStorage) -> None:
    output = _output(flaky)
    flaky.arm(deletes=(2, 3))  # the previous manifest cannot be deleted, then (undo) neither can the new data
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    files = _files(flaky)
    assert failed.value.written is True
    assert f"{DATA} holds the new file, or part of it, which could not be removed" in failed.value.message
    assert files[DATA] == b"new data\n" and files[MANIFEST] == b"old manifest\n"
    kept = [n for n in files if ".previous-" in n and n.startswith(DATA)]
    assert len(kept) == 1 and files[kept[0]] == b"old data\n" and kept[0] in failed.value.message


def test_a_temporary_upload_that_cannot_be_removed_is_named(flaky: FlakyStorage) -> None:
    output = _output(flaky)
    flaky.arm(deletes=(1, 2))  # the previous data cannot be deleted, then (clean-up) neither can the data upload
    with pytest.raises(CommitFailed) as failed:
        output.commit()
    output.discard()
    files = _files(flaky)
    left = [n for n in files if ".tmp-" in n]
    assert failed.value.written is False and len(left) == 1 and files[left[0]] == b"new data\n"
    assert f"these temporary files could not be removed from the storage 'flaky': {left[0]}" in failed.value.message
    assert {n: files[n] for n in OLD} == OLD and len(files) == 3


def test_an_overwrite_that_cannot_be_uploaded_is_audited_as_not_written(
        flaky: FlakyStorage, capsys: pytest.CaptureFixture[str], project) -> None:
    args = ("export", "--event__slug=democon", "--cross-tenant", "omit", "--storage", "flaky", "-o", DATA,
            "--overwrite")
    assert cli("default", *args) == 0
    before = _files(flaky)
    assert sorted(before) == [DATA, MANIFEST]
    capsys.readouterr()
    flaky.arm(6)
    assert cli("default", *args) == 2
    err = capsys.readouterr().err
    assert "Nothing was written: the previous export exports/dump.jsonl is in place as it was" in err
    assert "Traceback" not in err
    assert _files(flaky) == before
    record = project.audit.outcomes()[-1]
    assert record["action"] == "export" and record["outcome"] == "error" and record["written"] is False
