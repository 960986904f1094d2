"""Scope flag values the database cannot use, and lookups through secrets: one paragraph, exit 2."""

from __future__ import annotations

import pytest

from tests.cli.test_foundation_cli import cli


@pytest.mark.parametrize("flag, message", [
    ("--event__slug__regex=(", "could not run this lookup with that value"),
    ("--event__slug__regex=" + "a(" * 50_000, "could not run this lookup with that value"),
    ("--event__slug=" + "a" * 100_000, "no conference.Event matches"),
    ("--event__name__icontains=" + "%_" * 50_000, "(100,000 characters)"),
], ids=["bad-regex", "huge-regex", "huge-value", "huge-like-pattern"])
def test_values_the_database_cannot_use_are_one_paragraph(capsys, db_alias, flag, message):
    code, out, err = cli(capsys, "--database", db_alias, "shell", flag, "-c", "print('RAN')")
    shown = err[:600]
    assert code == 2 and out == "", shown
    assert "Traceback" not in err and err.count("\n") == 1 and message in err, shown
    assert len(err) < 1000, shown  # a 100,000-character value is not echoed in full


@pytest.mark.parametrize("flag", [
    "--event__organiser__members__password__startswith=pbkdf2",
    "--event__organiser__members__password=x",
    "--event__speakers__user__password__regex=^argon",
    "--event__settings__api_token=x",
], ids=["password-startswith", "password-exact", "password-regex", "token-in-json"])
def test_lookups_through_secret_fields_are_refused(capsys, project, flag):
    before = len(project.audit.read())
    code, out, err = cli(capsys, "shell", flag, "-c", "print('RAN')")
    assert code == 2 and out == "" and "Traceback" not in err
    assert "cannot be looked up through" in err and "secrets" in err
    assert [r for r in project.audit.read()[before:] if r["action"] == "scope_activated"] == []
