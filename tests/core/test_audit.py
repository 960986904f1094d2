"""The audit trail: JSON lines to a file and to the logger ``tenant_console.audit``."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
import pwd
import stat
import threading
from pathlib import Path

import pytest

from tenant_console.core.audit import AuditTrail, AuditUnavailable, outcome_of
from tenant_console.core.config import default_state_dir, parse_config
from tenant_console.core.errors import Cancelled, ConsoleError, ReadOnlyViolation
from tenant_console.core.readonly import ReadOnlyBreached

FIELDS = {"time", "user", "settings", "database", "action", "scope", "outcome"}


def _logged(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "tenant_console.audit"
            and r.levelno == logging.INFO]


def test_record_goes_to_the_file_and_the_logger(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="tenant_console.audit")
    trail = AuditTrail(tmp_path / "state" / "audit.jsonl", "mysite.settings", "replica")
    scope = {"disabled": False, "tenants": [{"dimension": "event", "pk": "3", "label": "DemoCon"}]}
    entry = trail.record("scope_activated", scope=scope, session="console-1")
    lines = (tmp_path / "state" / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 1
    on_file = json.loads(lines[0])
    assert on_file == entry
    assert set(on_file) >= FIELDS
    assert on_file["user"] == getpass.getuser()
    assert on_file["settings"] == "mysite.settings"
    assert on_file["database"] == "replica"
    assert on_file["action"] == "scope_activated"
    assert on_file["scope"] == scope
    assert on_file["outcome"] == "ok"
    assert on_file["session"] == "console-1"
    when = dt.datetime.fromisoformat(on_file["time"])
    assert when.tzinfo is not None and abs(dt.datetime.now(dt.timezone.utc) - when).total_seconds() < 60
    assert _logged(caplog) == [entry]
    assert caplog.records[-1].audit == entry  # structured, for handlers that want the dict


def test_database_and_outcome_can_be_given_per_record(tmp_path):
    trail = AuditTrail(tmp_path / "a.jsonl", "s", "default")
    trail.record("export", database="postgres", outcome="failed", error="disk full", rows=12)
    (rec,) = trail.read()
    assert (rec["database"], rec["outcome"], rec["error"], rec["rows"]) == ("postgres", "failed", "disk full", 12)


def test_values_that_are_not_json_become_strings(tmp_path):
    trail = AuditTrail(tmp_path / "a.jsonl", "s", "default")
    trail.record("repl_input", code="Submission.objects.count()", when=dt.date(2026, 1, 2), path=Path("/x"))
    (rec,) = trail.read()
    assert rec["when"] == "2026-01-02" and rec["path"] == "/x"


def test_file_is_private_and_appended(tmp_path):
    path = tmp_path / "deep" / "er" / "audit.jsonl"
    trail = AuditTrail(path, "s", "default")
    trail.record("one")
    AuditTrail(path, "s", "default").record("two")  # a second console appends
    assert [r["action"] for r in trail.read()] == ["one", "two"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_audit_log_none_means_logger_only(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="tenant_console.audit")
    config = parse_config({"AUDIT_LOG": None, "STATE_DIR": str(tmp_path)})
    assert config.audit_log is None
    trail = AuditTrail(config.audit_log, "s", "default")
    trail.record("scopes_disabled", reason="incident 42")
    assert list(tmp_path.iterdir()) == []
    assert trail.read() == []
    assert [r["reason"] for r in _logged(caplog)] == ["incident 42"]


def test_default_and_configured_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert parse_config({}).audit_log == tmp_path / "xdg" / "tenant-console" / "audit.jsonl"
    assert default_state_dir() == tmp_path / "xdg" / "tenant-console"
    assert parse_config({"STATE_DIR": str(tmp_path / "st")}).audit_log == tmp_path / "st" / "audit.jsonl"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert parse_config({"AUDIT_LOG": "~/audit.jsonl"}).audit_log == tmp_path / "home" / "audit.jsonl"


def unwritable_audit_path(tmp_path: Path, why: str) -> Path:
    """An audit path that cannot be written even by root (the tests run as root)."""
    if why == "parent_is_a_file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file" / "audit.jsonl"
    if why == "path_is_a_directory":
        path = tmp_path / "audit.jsonl"
        path.mkdir()
        return path
    raise ValueError(why)


@pytest.mark.parametrize("why", ["parent_is_a_file", "path_is_a_directory"])
def test_unwritable_path_fails_closed_and_names_the_path(tmp_path, caplog, why):
    caplog.set_level(logging.INFO, logger="tenant_console.audit")
    path = unwritable_audit_path(tmp_path, why)
    trail = AuditTrail(path, "s", "default")
    done = []
    with pytest.raises(AuditUnavailable) as raised, trail.act("export", n=1):
        done.append(1)
    assert done == []  # the act never ran
    message = raised.value.message
    assert str(path) in message and "was not done" in message and "\n" not in message
    assert raised.value.exit_code != 0
    with pytest.raises(AuditUnavailable, match="could not be written"):
        trail.record("import", outcome="refused")
    assert trail.last_error and str(path) in trail.last_error
    # Nothing went to the logger as if it had been recorded.
    assert [r for r in _logged(caplog) if r["action"] == "export"] == []


def test_an_act_is_a_started_record_then_its_outcome(tmp_path):
    trail = AuditTrail(tmp_path / "a.jsonl", "s", "default")
    with trail.act("export", scope={"event": "3"}, kind="tenant") as act:
        act.note(objects=12)
    with pytest.raises(KeyError), trail.act("verify", file="x"):
        raise KeyError("boom")
    started, ended, v_started, v_ended = trail.read()
    assert started["outcome"] == "started" and started["act"] == ended["act"] == act.id
    assert ended["outcome"] == "ok" and ended["objects"] == 12 and ended["kind"] == "tenant"
    assert "objects" not in started
    assert (v_started["outcome"], v_ended["outcome"]) == ("started", "error")
    assert v_ended["act"] == v_started["act"] != act.id and "boom" in v_ended["error"]


@pytest.mark.parametrize("exc, outcome", [
    (ReadOnlyViolation("INSERT", "writes"), "refused"),
    (Cancelled("stopped"), "interrupted"),
    (KeyboardInterrupt(), "interrupted"),
    (ReadOnlyBreached("the transaction was ended"), "breach"),
    (ConsoleError("bad"), "error"),
    (ValueError("bad"), "error"),
])
def test_outcome_of_errors(tmp_path, exc, outcome):
    assert outcome_of(exc) == outcome
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = exc
    assert outcome_of(wrapped) == outcome  # drivers and Django wrap errors with ``raise ... from``
    trail = AuditTrail(tmp_path / "a.jsonl", "s", "default")
    with pytest.raises(type(exc)), trail.act("shell_input"):
        raise exc
    assert [r["outcome"] for r in trail.read()] == ["started", outcome]


def test_who_is_the_uid_not_only_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "someone-else")
    trail = AuditTrail(tmp_path / "a.jsonl", "s", "default")
    (rec,) = [trail.record("x")]
    assert rec["user"] == pwd.getpwuid(os.getuid()).pw_name
    assert rec["uid"] == os.getuid()
    assert rec["env_user"] == "someone-else"
    assert rec["host"] and rec["pid"] == os.getpid()


def test_database_identity_never_has_the_password(project):
    from django.db import connections

    trail = project.audit
    rec = trail.record("x")
    conn = connections["default"]
    assert rec["database"] == "default"
    assert rec["db"]["vendor"] == conn.vendor
    assert rec["db"]["name"] == str(conn.settings_dict["NAME"])
    assert set(rec["db"]) == {"vendor", "host", "port", "name"}
    password = conn.settings_dict.get("PASSWORD")
    if password:
        assert password not in json.dumps(rec)


def test_concurrent_records_never_interleave(tmp_path):
    trail = AuditTrail(tmp_path / "a.jsonl", "s", "default")
    other = AuditTrail(tmp_path / "a.jsonl", "s", "default")  # a second console, own lock
    padding = "x" * 5000

    def write(t: AuditTrail, k: int) -> None:
        for i in range(50):
            t.record("repl_input", code=f"{k}-{i}-{padding}")

    threads = [threading.Thread(target=write, args=(trail if k % 2 else other, k)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = trail.read()
    assert len(records) == 400
    assert {r["code"].split("-", 2)[2] for r in records} == {padding}


def test_the_project_trail_is_configured_from_settings(project):
    from django.conf import settings

    expected = Path(settings.TENANT_CONSOLE["STATE_DIR"]) / "audit.jsonl"
    assert project.audit.path == expected
    assert project.audit.settings_module == "tests.settings"
    assert project.audit.alias == "default"


def test_records_reach_the_root_logger_only_where_the_project_asks(tmp_path):
    from tenant_console.core.audit import logger, route_records

    before = logger.propagate
    try:
        route_records(tmp_path / "audit.jsonl", {"version": 1, "root": {"handlers": ["console"]}})
        assert logger.propagate is False  # pretalx/pretix print root INFO on the console: not the trail
        route_records(tmp_path / "audit.jsonl", {"loggers": {"tenant_console.audit": {"level": "INFO"}}})
        assert logger.propagate is True
        route_records(tmp_path / "audit.jsonl", {"loggers": {"tenant_console": {}}})
        assert logger.propagate is True
        route_records(None, None)  # AUDIT_LOG = None: the logger is the only trail
        assert logger.propagate is True
    finally:
        logger.propagate = before
