"""Ownership on a project shaped like pretix: scoped, owned, shared and ambiguous models.

Everything is read from the real ``tenant-console models --json`` on the seeded
shoplike project (SQLite and PostgreSQL); the expected verdicts are written out
from the models' source (``tests/projects/shoplike/shop/models.py``), and the
expected counts from the seed (two organizers, each alike).
"""

from __future__ import annotations

import json

import pytest

#: model -> (kind, source, owned path or None), from reading the models.
EXPECTED = {
    "shop.Organizer": ("tenant", "dimension", None),
    "shop.Event": ("scoped", "scoped manager", None),  # ScopedManager on the abstract base
    "shop.Question": ("scoped", "scoped manager", None),
    "shop.Customer": ("scoped", "scoped manager", None),  # by the secondary manager 'profiles'
    "shop.OrganizerSetting": ("owned", "inferred", "object"),
    "shop.Team": ("owned", "inferred", "organizer"),
    "shop.EventSetting": ("owned", "inferred", "object__organizer"),
    "shop.Category": ("owned", "inferred", "event__organizer"),
    "shop.Item": ("owned", "inferred", "event__organizer"),
    "shop.Order": ("owned", "inferred", "event__organizer"),
    # order CASCADE + item PROTECT: the only CASCADE parent wins.
    "shop.OrderPosition": ("owned", "inferred", "order__event__organizer"),
    "shop.Transaction": ("owned", "inferred", "position__order__event__organizer"),
    "shop.Voucher": ("owned", "configured", "event__organizer"),
    "shop.Banner": ("shared", "configured", None),
    "shop.Currency": ("shared", "inferred", None),
    "shop.Note": ("ambiguous", "inferred", None),
    "shop.Comment": ("ambiguous", "inferred", None),
}
ORGANIZER_PATHS = {
    "shop.Event": "organizer",
    "shop.Question": "event__organizer",
    "shop.Customer": "organizer",
    "shop.Transaction": "position__order__event__organizer",
    "shop.Voucher": "event__organizer",
}
#: Rows per organizer, from the seed (each organizer's data is alike).
PER_ORGANIZER = {
    "shop.Organizer": 1, "shop.Event": 2, "shop.OrganizerSetting": 2, "shop.Team": 1, "shop.Customer": 2,
    "shop.EventSetting": 2, "shop.Category": 4, "shop.Item": 6, "shop.Question": 6, "shop.Voucher": 2,
    "shop.Order": 6, "shop.OrderPosition": 12, "shop.Transaction": 12,
}


def test_every_model_has_its_verdict_source_and_path(shop):
    rows = shop.models("--no-counts")
    got = {label: (rows[label]["kind"], rows[label]["source"], rows[label]["path"]) for label in EXPECTED}
    assert got == EXPECTED
    for label, path in ORGANIZER_PATHS.items():
        assert rows[label]["dimensions"] == {"organizer": path}, label
    assert rows["shop.Customer"]["manager"] == "profiles" and rows["shop.Customer"]["default_manager"] == "objects"
    assert "nullable" in rows["shop.Note"]["reason"]
    assert "generic foreign key" in rows["shop.Comment"]["reason"]
    assert all(rows[m]["scoped"] for m in PER_ORGANIZER if m != "shop.Organizer")
    assert not any(rows[m]["scoped"] for m in ("shop.Banner", "shop.Currency", "shop.Note", "shop.Comment"))


def test_ambiguous_models_are_reported_when_the_project_opens(shop):
    done = shop.cli("models", "--no-counts")
    assert done.returncode == 0, done.stderr
    assert "2 model(s) may belong to a tenant but the console cannot tell which way" in done.stderr
    assert "shop.Comment" in done.stderr and "shop.Note" in done.stderr
    assert "shop.Customer is scoped by its ScopedManager 'profiles'" in done.stderr
    assert "Ambiguous (treated as shared" in done.stdout
    assert "owned via position__order__event__organizer" in done.stdout


def test_counts_in_a_tenant_are_every_row_and_say_what_the_default_manager_shows(shop):
    slug = "globex"
    rows = shop.models(f"--organizer__slug={slug}")
    assert {label: rows[label]["count"] for label in PER_ORGANIZER} == PER_ORGANIZER
    # Question.objects hides the inactive third: the console counts all 6 and says 4 through objects.
    assert rows["shop.Question"]["default_count"] == 4
    assert rows["shop.Order"]["default_count"] is None  # a plain default manager hides nothing
    assert rows["shop.Currency"]["count"] == 2 and rows["shop.Note"]["count"] == 5  # shared: not narrowed
    text = shop.cli("models", f"--organizer__slug={slug}").stdout
    assert "shop.Question: 6 rows, 4 through objects" in text


@pytest.mark.parametrize(("config", "message"), [
    ({"OWNED": {"shop.Nope": "event__organizer"}}, "TENANT_CONSOLE['OWNED'] names the model 'shop.Nope'"),
    ({"OWNED": {"shop.Note": "evnt__organizer"}},
     "TENANT_CONSOLE['OWNED']['shop.Note'] = 'evnt__organizer' does not resolve: shop.Note has no field 'evnt'"),
    ({"OWNED": {"shop.Note": "text"}}, "is not a foreign key or one-to-one"),
    ({"OWNED": {"shop.Transaction": "position"}}, "ends at shop.OrderPosition, which is neither a tenant model"),
    ({"OWNED": {"shop.Question": "event__organizer"}}, "it already has a ScopedManager"),
    ({"SHARED": ["shop.Event"]}, "TENANT_CONSOLE['SHARED'] lists shop.Event, which has a ScopedManager"),
    ({"SHARED": ["shop.Organizer"]}, "which is a tenant model"),
    ({"SHARED": "shop.Note"}, "SHARED must be a list of model labels"),
    ({"OWNED": ["shop.Note"]}, "OWNED must map model labels to the field path"),
    ({"OWNED": {"shop.Note": "event__organizer"}, "SHARED": ["shop.Note"]}, "is in both OWNED and SHARED"),
])
def test_bad_ownership_settings_are_one_clear_error(sqlite_shop, config, message):
    done = sqlite_shop.cli("models", "--no-counts", config=config)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_configuration_declares_an_ambiguous_model_owned_or_shared(sqlite_shop):
    done = sqlite_shop.cli("models", "--json", "--organizer__slug=acme",
                    config={"OWNED": {"shop.Note": "event__organizer"}, "SHARED": ["shop.Team"]})
    assert done.returncode == 0, done.stderr
    rows = {r["model"]: r for r in json.loads(done.stdout)["models"]}
    assert (rows["shop.Note"]["kind"], rows["shop.Note"]["source"], rows["shop.Note"]["path"]) == (
        "owned", "configured", "event__organizer")
    assert rows["shop.Note"]["count"] == 2  # the note on nothing belongs to no organizer
    assert (rows["shop.Team"]["kind"], rows["shop.Team"]["source"]) == ("shared", "configured")
    # The settings replaced OWNED: the voucher's two CASCADE parents (event, item) reach the same dimension,
    # so the shorter path is inferred and the other named as a reference that must agree.
    voucher = rows["shop.Voucher"]
    assert (voucher["kind"], voucher["source"], voucher["path"]) == ("owned", "inferred", "event__organizer")
    assert voucher["reason"] == "also reaches its tenant through item (must agree; audit checks it)"


def test_the_long_warning_is_a_line_after_the_first_time_and_whole_in_models(shop, tmp_path):
    """pretix's paragraph about the models the console cannot place was printed before every command's
    output: it is printed whole once per state directory (and always by `models`), then as one line."""
    import os

    from tests.tenancy.shop import EXE, SETTINGS

    state = tmp_path / "fresh-state"
    env = {"SHOPLIKE_STATE_DIR": str(state)}
    first = shop.run([EXE, *SETTINGS, "tenants"], env)
    second = shop.run([EXE, *SETTINGS, "tenants"], env)
    again_in_models = shop.run([EXE, *SETTINGS, "models", "--no-counts"], env)
    for done in (first, second, again_in_models):
        assert done.returncode == 0, done.stderr
    assert "the console cannot tell which way" in first.stderr and "shop.Comment" in first.stderr
    assert "the console cannot tell which way" not in second.stderr
    assert ("2 model(s) may belong to a tenant and are treated as shared (left out of tenant exports); "
            "`tenant-console models` lists them and why.") in second.stderr
    assert "the console cannot tell which way" in again_in_models.stderr
    assert oct(os.stat(state / "notices-shown").st_mode & 0o777) == "0o600"


def test_a_search_for_an_events_slug_names_the_organizers_it_belongs_to(shop):
    """pretix's tenant is the organizer; operators search for the event. No organizer matches 'SPRING',
    so the answer names the events with that slug and their organizers (in text and --json)."""
    done = shop.cli("tenants", "--search", "SPRING")
    assert done.returncode == 0, done.stderr
    assert "no tenant matches 'SPRING'" in done.stdout
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("but ")]
    assert len(lines) == 2 and all(line.startswith("but 'spring' is a shop.Event of ") for line in lines), lines
    assert any("Acme Tickets" in line for line in lines) and any("Globex Live" in line for line in lines)
    data = shop.cli_json("tenants", "--search", "spring")
    owners = data["dimensions"]["organizer"]["owners_of"]
    assert sorted(o["tenant"]["label"] for o in owners) == sorted(
        line.split(" of ", 1)[1].split(": --organizer=")[0] for line in lines)
    assert {o["model"] for o in owners} == {"shop.Event"}
    pk = owners[0]["tenant"]["pk"]
    assert f"--organizer={pk} chooses it" in done.stdout
    chosen = shop.cli("models", "--no-counts", f"--organizer={pk}")
    assert chosen.returncode == 0, chosen.stderr
    # A text that is a tenant's finds it and says nothing more.
    found = shop.cli("tenants", "--search", "acme")
    assert "but " not in found.stdout and "Acme Tickets" in found.stdout
