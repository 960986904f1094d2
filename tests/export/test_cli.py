"""``tenant-console export`` and its bad-input cases: one clear paragraph, non-zero exit, no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenant_console.cli.main import main
from tests.export.conftest import leftovers

pytestmark = pytest.mark.mariadb


def cli(alias: str, *args: str) -> int:
    return main(["--settings", "tests.settings", "--database", alias, *args])


def test_dry_run_lists_counts_and_the_cross_tenant_reference(db_alias, out: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(db_alias, "export", "--event__slug=democon", "--dry-run", "-o", str(out / "x.jsonl")) == 1
    text = capsys.readouterr().out
    assert "conference.submission" in text and "Total:" in text
    assert "1 cross-tenant reference(s)" in text and ".submission -> conference.submission." in text
    # The other tenant is named (in the table and the list), not left blank or given as a bare key.
    row = next(line for line in text.splitlines() if line.startswith("conference.submission "))
    assert row.rstrip().endswith("1 ref → PyCon Nordic (pycon-nordic)"), row
    assert "(belongs to PyCon Nordic (pycon-nordic), event=" in text
    assert leftovers(out) == []
    assert cli(db_alias, "export", "--event__slug=democon", "--dry-run", "--cross-tenant", "omit") == 0
    text = capsys.readouterr().out
    assert "1 left out → PyCon Nordic (pycon-nordic)" in text
    assert "`manage.py loaddata` will fail unless the target database already has those rows" in text
    assert "tenant-console import" in text
    assert cli(db_alias, "export", "--event__slug=democon", "--dry-run", "--json", "--cross-tenant", "omit") == 0
    data = json.loads(capsys.readouterr().out)
    counts = {m["model"]: m["count"] for m in data["models"]}
    assert counts["conference.submission"] == 40 and counts["conference.event"] == 1
    assert data["refused"] is False and data["references"][0]["reason"] == "cross-tenant"


def test_refused_export_writes_nothing(db_alias, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(db_alias, "export", "--event__slug=democon", "-o", str(out / "x.jsonl.gz")) == 1
    err = capsys.readouterr().err
    assert "stopped before writing anything" in err and "--cross-tenant omit" in err
    assert leftovers(out) == []


def test_export_and_verify_with_json(db_alias, out: Path, capsys: pytest.CaptureFixture[str], project) -> None:
    path = out / "democon.jsonl.gz"
    assert cli(db_alias, "export", "--event__slug=democon", "--cross-tenant", "omit", "-o", str(path), "--json",
               "--exclude", "conference.ActivityLog") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["objects"] > 300 and "conference.activitylog" not in data["counts"]
    assert len(data["dangling"]) == 1
    assert leftovers(out) == ["democon.jsonl.gz", "democon.manifest.json"]
    manifest = json.loads((out / "democon.manifest.json").read_text())
    assert manifest["data"]["sha256"] == data["sha256"]
    vendor = {"default": "sqlite", "postgres": "postgresql", "mariadb": "mysql"}[db_alias]
    assert manifest["source"] == {"vendor": vendor, "alias": db_alias, "settings": "tests.settings"}
    assert "password" not in json.dumps(manifest["source"]) and "host" not in json.dumps(manifest["source"])
    assert manifest["rules"]["exclude"] == ["conference.ActivityLog"]
    record = project.audit.outcomes()[-1]
    assert record["action"] == "export" and record["outcome"] == "ok" and record["sha256"] == data["sha256"]
    assert record["database"] == db_alias and record["scope"]["event"]["label"] == "DemoCon 2026 (democon)"
    assert cli(db_alias, "verify", str(path)) == 0


def test_object_export_cli(db_alias, out: Path, capsys: pytest.CaptureFixture[str], event_pks) -> None:
    from conference.models import Submission

    pk = Submission._base_manager.using(db_alias).filter(event_id=event_pks["democon"]).order_by("pk")[3].pk
    path = out / "sub.jsonl"
    assert cli(db_alias, "export", "--objects", f"conference.Submission.{pk}", "--depth", "1", "-o", str(path),
               "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["conference.submission"] >= 1 and data["counts"]["conference.event"] == 1


def test_an_object_of_another_tenant_is_refused_naming_both_tenants(db_alias, out: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    event_pks) -> None:
    from conference.models import Submission

    pk = Submission._base_manager.using(db_alias).filter(event_id=event_pks["pycon-nordic"]).order_by("pk")[0].pk
    assert cli(db_alias, "export", "--objects", f"conference.Submission.{pk}", "--event__slug=democon",
               "-o", str(out / "x.jsonl")) != 0
    err = capsys.readouterr().err
    # The model as written (app_label.Model), the tenant it belongs to and the chosen one, by name.
    assert (f"conference.Submission.{pk} belongs to event PyCon Nordic (pycon-nordic), not to the chosen tenant "
            "(event DemoCon 2026 (democon))") in err, err
    assert "conference.submission." not in err and "event=" not in err
    assert leftovers(out) == []


def test_default_name_in_current_directory(out: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(out)
    assert cli("default", "export", "--event__slug=datacamp") == 0
    names = leftovers(out)
    assert len(names) == 2 and names[0].startswith("export-event-") and names[0].endswith(".jsonl.gz")


def test_storage_output(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.files.storage import storages

    storage = storages["default"]
    name = "exports/datacamp-test.jsonl.gz"
    try:
        assert cli("default", "export", "--event__slug=datacamp", "--storage", "default", "-o", name) == 0
        assert storage.exists(name) and storage.exists("exports/datacamp-test.manifest.json")
        assert "default:exports/datacamp-test.jsonl.gz" in capsys.readouterr().out
        assert cli("default", "verify", "--storage", "default", name) == 0
        # The same name again is refused rather than silently renamed or replaced.
        assert cli("default", "export", "--event__slug=datacamp", "--storage", "default", "-o", name) == 2
        assert "already exists in the storage" in capsys.readouterr().err
    finally:
        for n in (name, "exports/datacamp-test.manifest.json"):
            if storage.exists(n):
                storage.delete(n)


def test_with_files_copies_named_files_and_records_missing_ones(out: Path, capsys: pytest.CaptureFixture[str],
                                                                settings_media: Path) -> None:
    from conference.models import Event, Resource

    democon = Event._base_manager.using("default").get(slug="democon").pk
    names = sorted(Resource._base_manager.using("default").filter(submission__event_id=democon)
                   .values_list("resource", flat=True))
    present = names[0]
    (settings_media / present).parent.mkdir(parents=True, exist_ok=True)
    (settings_media / present).write_bytes(b"%PDF-1.4 slides")
    files = out / "files"
    path = out / "d.jsonl"
    assert cli("default", "export", "--event__slug=democon", "--cross-tenant", "omit", "-o", str(path),
               "--with-files", str(files)) == 0
    assert (files / present).read_bytes() == b"%PDF-1.4 slides"
    manifest = json.loads((out / "d.manifest.json").read_text())
    assert manifest["files"]["included"] is True and present in manifest["files"]["sha256"]
    assert set(names[1:]) <= set(manifest["files"]["missing"])
    assert set(names) <= set(manifest["files"]["names"])
    assert cli("default", "verify", str(path)) == 0
    (files / present).write_bytes(b"changed")
    assert cli("default", "verify", str(path)) == 1
    assert f"[files] {present}: SHA-256" in capsys.readouterr().out


@pytest.fixture
def settings_media() -> Path:
    from django.conf import settings

    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    return media


@pytest.mark.parametrize(("args", "message"), [
    (["export"], "Nothing to export"),
    (["export", "--event__slug=democon", "-o", "x.json"], "must end in .jsonl or .jsonl.gz"),
    (["export", "--event__slug=democon", "--exclude", "conference.Submision"], "Did you mean"),
    (["export", "--event__slug=nosuchcon"], "no conference.Event matches"),
    (["export", "--evnt=1"], "Unknown option --evnt for 'export'. Did you mean the scope option --event"),
    (["export", "--objects", "conference.Submission"], "is not an object; write app_label.Model.pk"),
    (["export", "--objects", "conference.Submission.abc"], "is not a valid primary key"),
    (["export", "--objects", "conference.Submission.999999"], "There is no conference.Submission with primary key"),
    (["export", "--objects", "nope.Model.1"], "There is no model"),
    (["export", "--event__slug=democon", "--depth", "2"], "apply to object exports"),
    (["export", "--objects", "conference.Submission.1", "--depth", "-1"], "--depth must be 0 or more"),
    (["export", "--event__slug=democon", "--storage", "s3"], "there is no such storage"),
    (["export", "--event__slug=democon", "--cross-tenant", "maybe"], "invalid choice"),
    (["export", "--event__slug=democon", "-o", "/nonexistent-dir/x.jsonl"], "does not exist"),
])
def test_bad_input(args: list[str], message: str, out: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(out)
    code = cli("default", *args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert err.count("\n") == 1  # one paragraph
    assert leftovers(out) == []


def test_existing_output_needs_overwrite(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = out / "dc.jsonl"
    assert cli("default", "export", "--event__slug=datacamp", "-o", str(path)) == 0
    before = path.read_bytes()
    assert cli("default", "export", "--event__slug=datacamp", "-o", str(path)) == 2
    assert "already exists; choose another name or pass --overwrite" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert cli("default", "export", "--event__slug=datacamp", "-o", str(path), "--overwrite") == 0
    assert leftovers(out) == ["dc.jsonl", "dc.manifest.json"]


def test_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from tenant_console.cli.commands.export import ProgressBar
    from tenant_console.core.export.writer import WriteProgress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    bar = ProgressBar()
    bar(WriteProgress(done=500, total=1000, model="conference.submission", started=0.0))
    bar.close()
    err = capsys.readouterr().err
    assert "50% 500/1,000 rows" in err and "rows/s" in err and "conference.submission" in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    quiet = ProgressBar()
    quiet(WriteProgress(done=5, total=10, model="x", started=0.0))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_planted_at_a_temporary_name_is_never_written_through(db_alias, out: Path, jobs: str,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The export's temporary files (data, parts of --jobs, manifest) are created exclusively: a symlink
    someone planted at the name (the suffix made predictable here) fails the export, and the file it
    points at is left as it was."""
    if jobs == "2" and db_alias != "postgres":
        pytest.skip("--jobs is PostgreSQL's")
    from tenant_console.core.export import storage

    monkeypatch.setattr(storage, "tmp_suffix", lambda: ".tmp-1-planted0")
    victim = out / "victim.txt"
    victim.write_text("precious\n")
    target = out / "dump.jsonl"
    (out / "dump.jsonl.tmp-1-planted0").symlink_to(victim)
    code = cli(db_alias, "export", "--event__slug=democon", "--cross-tenant", "omit", "--jobs", jobs,
               "-o", str(target))
    assert code != 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert victim.read_text() == "precious\n"
    assert not target.exists()
