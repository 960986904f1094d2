"""The headless commands of the foundation: tenants, models, shell; and every bad-input case."""

from __future__ import annotations

import json
import os

import pytest

from tenant_console.cli.main import main
from tests.cli.helpers import ROOT, run_cli


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--settings", "tests.settings", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- tenants -------------------------------------------------------------------------------------


def test_tenants_search_runs_in_the_database(capsys, db_alias):
    code, out, _ = cli(capsys, "--database", db_alias, "tenants", "--search", "nordic", "--json")
    assert code == 0
    data = json.loads(out)
    hits = data["dimensions"]["event"]["tenants"]
    assert [h["fields"]["slug"] for h in hits] == ["pycon-nordic"]
    assert data["dimensions"]["event"]["search_fields"] == ["slug", "name"]


def test_tenants_exact_match_ranks_first_and_limit_applies(capsys, db_alias, event_pks):
    code, out, _ = cli(capsys, "--database", db_alias, "tenants", "--search", "democon", "--json", "--limit", "1")
    assert code == 0
    hits = json.loads(out)["dimensions"]["event"]["tenants"]
    assert len(hits) == 1 and hits[0]["pk"] == str(event_pks["democon"])
    code, out, _ = cli(capsys, "--database", db_alias, "tenants", "--search", str(event_pks["opsfest"]), "--json")
    assert json.loads(out)["dimensions"]["event"]["tenants"][0]["fields"]["slug"] == "opsfest"


def test_tenants_search_says_how_it_was_found(capsys, db_alias):
    """The output names what answered: the slug's index for a prefix, a scan (or trigram index) for text
    inside a name."""
    code, out, _ = cli(capsys, "--database", db_alias, "tenants", "--search", "pycon", "--limit", "1", "--json")
    event = json.loads(out)["dimensions"]["event"]
    assert code == 0 and event["strategy"] == "prefix" and event["strategy_text"] == "slug prefix (index)"
    code, out, _ = cli(capsys, "--database", db_alias, "tenants", "--search", "Nordic")
    assert code == 0 and "  found by slug prefix (index), then full scan (" in out and "pycon-nordic" in out
    code, out, _ = cli(capsys, "--database", db_alias, "tenants")
    assert "found by" not in out  # nothing searched


def test_tenants_table_output(capsys):
    code, out, _ = cli(capsys, "tenants")
    assert code == 0
    assert "event (conference.Event; searched in slug, name)" in out
    assert "DemoCon 2026 (democon)" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["tenants", "--limit", "0"], "--limit must be at least 1"),
        (["tenants", "--dimension", "evnt"], "Did you mean 'event'?"),
        (["models", "--app", "confrence"], "Did you mean 'conference'?"),
        (["models", "--evnt=3"], "Unknown option --evnt for 'models'. Did you mean the scope option --event=...?"),
        (["models", "--event__slug=democn"], "Closest tenants: DemoCon 2026 (democon)"),
        (["models", "--event__title=x"], "cannot be looked up by 'title'"),
        (["models", "--event=abc"], "is not a valid value"),
        (["models", "--event"], "needs a value"),
        (["models", "--bogus-option"], "Unrecognised argument"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_paragraph_and_exit_2(capsys, args, message):
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""
    assert err.count("\n") == 1


def test_a_closed_pipe_never_reports_success():
    """``tenant-console ... | head`` must not turn an unfinished command into exit 0, nor print a traceback."""
    import subprocess

    from tests.cli.helpers import EXE

    env = {**os.environ, "TC_TEST_DIR": os.environ["TC_TEST_DIR"]}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        [EXE, "--settings", "tests.settings", "--pythonpath", "demo_project", "models"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # the reader is gone before the first line is written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141
    assert "Traceback" not in err


# -- models --------------------------------------------------------------------------------------


def test_models_lists_scope_paths_and_counts(capsys, db_alias):
    code, out, _ = cli(capsys, "--database", db_alias, "models", "--app", "conference", "--json")
    assert code == 0
    rows = {r["model"]: r for r in json.loads(out)["models"]}
    assert rows["conference.SpeakerRole"]["dimensions"] == {"event": "submission__event"}
    assert rows["conference.Answer"]["dimensions"] == {"event": "question__event"}
    assert rows["conference.Event"]["tenant_model_of"] == ["event"]
    assert rows["conference.Organiser"]["scoped"] is False
    assert rows["conference.Submission"]["count"] == 200  # five events of 40


def test_models_counts_in_a_scope(capsys, db_alias):
    code, out, _ = cli(
        capsys, "--database", db_alias, "models", "--app", "conference", "--event__slug=democon", "--json"
    )
    assert code == 0
    data = json.loads(out)
    rows = {r["model"]: r for r in data["models"]}
    assert rows["conference.Submission"]["count"] == 40
    assert rows["conference.Review"]["count"] == 81  # 80 of its own + the planted cross-tenant one
    assert rows["conference.Event"]["count"] == 1
    assert "democon" in data["scope"]


def test_models_in_a_scope_says_which_counts_are_of_the_whole_database(capsys, db_alias):
    """A shared model has no rows "in" a tenant: its count is every row, and says so (operator trial on
    pretalx: Organiser 3, Team 5, User 108 under "rows in scope", read as the tenant's)."""
    from conference.models import Organiser

    code, out, _ = cli(capsys, "--database", db_alias, "models", "--app", "conference", "--event__slug=democon",
                       "--json")
    assert code == 0
    rows = {r["model"]: r for r in json.loads(out)["models"]}
    organisers = Organiser._base_manager.using(db_alias).count()
    assert rows["conference.Organiser"]["count"] == organisers  # the meaning of count is unchanged
    assert rows["conference.Organiser"]["count_of"] == "database"
    assert rows["conference.Submission"]["count_of"] == "tenant"
    assert rows["conference.Event"]["count_of"] == "tenant"
    code, out, _ = cli(capsys, "--database", db_alias, "models", "--app", "conference", "--event__slug=democon")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.split()[1:2] == ["Organiser"])
    assert f"(shared) {organisers:,}" in line
    submissions = next(ln for ln in out.splitlines() if ln.split()[1:2] == ["Submission"])
    assert "(shared)" not in submissions and " 40 " in submissions
    assert "(shared) N: a model no tenant owns" in out and "every row of the database" in out
    code, out, _ = cli(capsys, "--database", db_alias, "models", "--app", "conference")
    assert code == 0 and "(shared)" not in out  # without a tenant, every count is of the whole database


# -- shell ---------------------------------------------------------------------------------------


def test_shell_runs_code_in_the_scope(capsys, db_alias):
    code, out, err = cli(
        capsys,
        "--database",
        db_alias,
        "shell",
        "--event__slug=democon",
        "-c",
        "print(Submission.objects.count(), event.slug)",
    )
    assert (code, err) == (0, "")
    assert out.strip() == "40 democon"


def test_shell_is_read_only_unless_write(capsys, db_alias):
    from conference.models import Track

    before = Track._base_manager.using(db_alias).count()
    code, _, err = cli(
        capsys,
        "--database",
        db_alias,
        "shell",
        "--event__slug=democon",
        "-c",
        "Track.objects.create(event=event, name='sneaky')",
    )
    assert code == 1
    assert "read-only session: INSERT refused" in err
    assert Track._base_manager.using(db_alias).count() == before


def test_shell_write_commits_and_is_audited(capsys, db_alias, project):
    from conference.models import Track

    code, _, err = cli(
        capsys,
        "--database",
        db_alias,
        "shell",
        "--event__slug=opsfest",
        "--write",
        "-c",
        "Track.objects.create(event=event, name='written-by-shell')",
    )
    try:
        assert code == 0
        assert err == f"committed: 1 statement(s) that write, on {db_alias}\n"
        assert Track._base_manager.using(db_alias).filter(name="written-by-shell").count() == 1
        records = [
            r for r in project.audit.outcomes() if r["action"] == "shell_input" and "written-by-shell" in r["code"]
        ]
        assert records and records[-1]["writable"] is True and records[-1]["database"] == db_alias
        assert (records[-1]["outcome"], records[-1]["writes"], records[-1]["committed"]) == ("ok", 1, True)
    finally:
        Track._base_manager.using(db_alias).filter(name="written-by-shell").delete()


def test_shell_write_input_is_all_or_nothing(capsys, db_alias):
    from conference.models import Track

    code, _, err = cli(capsys, "--database", db_alias, "shell", "--event__slug=opsfest", "--write", "-c",
                       "Track.objects.create(event=event, name='half-written')\n1/0")
    assert code == 1 and "ZeroDivisionError" in err
    assert not Track._base_manager.using(db_alias).filter(name="half-written").exists()


def test_shell_needs_a_tenant_or_disabled(capsys):
    code, _, err = cli(capsys, "shell", "-c", "pass")
    assert code == 2 and "Choose a tenant for the shell" in err and "--disabled" in err
    code, _, err = cli(capsys, "shell", "--disabled", "--event=1", "-c", "pass")
    assert code == 2 and "not both" in err


def test_shell_disabled_sees_all_tenants_and_is_audited(capsys, project):
    code, out, _ = cli(capsys, "shell", "--disabled", "-c", "print(Submission.objects.count())")
    assert code == 0 and out.strip() == "200"
    assert any(r["action"] == "scopes_disabled" for r in project.audit.outcomes())


def test_shell_exception_shows_user_traceback_only(capsys):
    code, _, err = cli(capsys, "shell", "--event__slug=democon", "-c", "1/0")
    assert code == 1
    assert "ZeroDivisionError" in err and "session.py" not in err


def test_shell_several_dimensions_and_lookups(capsys, event_pks):
    code, out, _ = cli(capsys, "shell", f"--event__pk={event_pks['datacamp']}", "-c", "print(event.name)")
    assert (code, out.strip()) == (0, "DataCamp Berlin")


def test_plain_repl_reads_stdin(tmp_path):
    result = run_cli(
        "--settings",
        "tests.settings",
        "--pythonpath",
        "demo_project",
        "shell",
        "--event__slug=democon",
        "--plain",
        cwd=ROOT,
        stdin="n = Submission.objects.count()\nprint('count', n)\n",
        env={"TC_TEST_DIR": os.environ["TC_TEST_DIR"]},
    )
    assert result.returncode == 0, result.stderr
    assert "count 40" in result.stdout



def test_a_piped_shell_goes_on_after_a_refused_input_and_exits_1():
    """``shell < script``: a refused write (read-only) or an exception is reported and the next inputs run,
    but the exit code says that something failed (automation must be able to tell)."""
    def piped(script: str):
        return run_cli("--settings", "tests.settings", "--pythonpath", "demo_project", "shell",
                       "--event__slug=democon", "--plain", cwd=ROOT, stdin=script,
                       env={"TC_TEST_DIR": os.environ["TC_TEST_DIR"]})

    refused = piped("Tag.objects.create(event=event, tag='tc-piped')\nprint('after', Tag.objects.filter("
                    "tag='tc-piped').count())\n")
    assert refused.returncode == 1, refused.stderr
    assert "Start the shell with --write to allow writes" in refused.stderr
    assert "after 0" in refused.stdout
    raised = piped("1 / 0\nprint('still here')\n")
    assert raised.returncode == 1 and "ZeroDivisionError" in raised.stderr and "still here" in raised.stdout
    assert piped("print('fine')\n").returncode == 0

# -- loading a project: each failure is one paragraph and exit 2 -------------------------------------


def test_settings_that_do_not_import():
    result = run_cli("--settings", "nosuch.settings", "models")
    assert result.returncode == 2
    assert "cannot be imported: ModuleNotFoundError: No module named 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_that_raise(tmp_path):
    (tmp_path / "broken_settings.py").write_text("SECRET_KEY='x'\nraise RuntimeError('boom in settings')\n")
    result = run_cli("--settings", "broken_settings", "--pythonpath", str(tmp_path), "models")
    assert result.returncode == 2
    assert "RuntimeError: boom in settings" in result.stderr


def test_settings_that_read_settings_while_importing():
    """Loaded as manage.py loads them: the read inside the module must not freeze a half-imported
    configuration (empty DATABASES)."""
    env = {"EAGER_DB": os.path.join(os.environ["TC_TEST_DIR"], "default.sqlite3")}
    result = run_cli("--settings", "tests.cli.eager_settings", "--pythonpath", "demo_project",
                     "tenants", "--search", "democon", "--json", cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert "democon" in json.dumps(hits)


def test_no_settings_at_all():
    result = run_cli("models")
    assert result.returncode == 2 and "No Django settings were given" in result.stderr


def test_unknown_database_alias():
    result = run_cli("--settings", "demo.settings", "--database", "replca", "models")
    assert result.returncode == 2
    assert "no database alias 'replca'" in result.stderr and "Known aliases: default" in result.stderr


def test_database_that_cannot_be_reached():
    result = run_cli(
        "--settings", "demo.settings", "models", env={"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    )
    assert result.returncode == 2
    assert "Cannot reach the postgresql database 'nowhere' on 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["sqlite:///{path}", "sqlite:///file:{path}?mode=rwc"])
def test_a_missing_sqlite_file_is_reported_and_never_created(tmp_path, url):
    """Real-project finding F14: looking at a mistyped SQLite path created an empty file."""
    path = tmp_path / "nosuch.sqlite3"
    result = run_cli("--settings", "demo.settings", "models", env={"DATABASE_URL": url.format(path=path)})
    assert result.returncode == 2
    assert "does not exist; nothing was created" in result.stderr and "Traceback" not in result.stderr
    assert not path.exists()


def test_unapplied_migrations_warn_and_name_the_apps(tmp_path):
    db = tmp_path / "partial.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "contenttypes", "--verbosity", "0"],
        cwd=ROOT / "demo_project",
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "demo.settings"},
        check=True,
    )
    result = run_cli("--settings", "demo.settings", "models", env=env)
    assert result.returncode == 0, result.stderr
    assert "unapplied migrations for auth" in result.stderr and "conference" in result.stderr
    assert "no table" in result.stdout


def test_project_without_django_scopes(tmp_path):
    env = {"PLAIN_DB": str(tmp_path / "plain.sqlite3")}
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--settings", "tests.cli.plain_settings", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    result = run_cli("--settings", "tests.cli.plain_settings", "models", cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert "No scope dimensions were found" in result.stderr
    assert "auth" in result.stdout and "shared" in result.stdout


def test_manage_py_tenant_console_has_the_same_commands():
    """``manage.py tenant_console`` runs the same CLI (on the tests' seeded copy of the demo data)."""
    import subprocess
    import sys

    db = os.path.join(os.environ["TC_TEST_DIR"], "default.sqlite3")
    result = subprocess.run(
        [sys.executable, "manage.py", "tenant_console", "tenants", "--search", "ops", "--json"],
        cwd=ROOT / "demo_project",
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
             "DATABASE_URL": f"sqlite:///{db}"},
    )
    assert result.returncode == 0, result.stderr
    assert "opsfest" in result.stdout
