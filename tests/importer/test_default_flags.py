"""``--default [CLASS=]DECISION``: every pair either takes effect or is refused before anything is written.

The operator trial's case: copying a tenant's export back into the tenant it came from plans every object
as ``identical``; ``--default identical=new_key`` used to be dropped without a word.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.importer.conftest import table_state


def cli(alias, *args):
    from tenant_console.cli.main import main

    return main(["--settings", "tests.settings", "--database", alias, "import", *map(str, args)])


def test_identical_new_key_is_refused_with_what_to_do_instead(importer, loaded, capsys):
    before = table_state(importer.alias)
    rc = cli(importer.alias, loaded, "--into-tenant", "--event__slug=democon", "--default", "identical=new_key",
             "--apply")
    err = capsys.readouterr().err
    assert rc == 2
    assert "--default 'identical=new_key'" in err
    assert "can only be kept (keep" in err and "or skipped (skip)" in err
    assert "--new-tenant FIELD=VALUE" in err and "Nothing was written." in err
    assert table_state(importer.alias) == before


def test_a_pair_its_class_never_takes_lists_what_each_class_accepts(importer, make_export, capsys):
    path = make_export(importer.source)
    rc = cli(importer.alias, path, "--default", "changed=rename", "--apply")
    err = capsys.readouterr().err
    assert rc == 2
    assert "changed objects never take rename" in err
    assert "identical: keep, skip" in err and "unique_clash: use_existing, overwrite, rename, skip" in err
    rc = cli(importer.alias, path, "--default", "dependent=overwrite")
    assert rc == 2 and "dependent objects never take overwrite" in capsys.readouterr().err


def test_a_catch_all_that_no_object_can_take_is_refused(importer, loaded, capsys):
    """``--default new_key`` on a plan of identical objects (and a missing reference): nothing could take it."""
    before = table_state(importer.alias)
    rc = cli(importer.alias, loaded, "--default", "new_key", "--default", "missing_ref=skip", "--apply")
    err = capsys.readouterr().err
    assert rc == 2
    assert "--default new_key is possible for none of the" in err
    assert "identical " in err and "Nothing was written." in err
    assert table_state(importer.alias) == before


def _other_event(importer):
    from conference.models import Event

    def make():
        other = Event._base_manager.exclude(slug="democon").order_by("pk").first()
        return other or Event._base_manager.create(slug="other", name="Other", date_from=date(2026, 1, 1),
                                                   date_to=date(2026, 1, 2))

    return importer.run(make)


def test_a_default_some_objects_of_its_class_cannot_take_names_them(importer, loaded, capsys):
    """Into another tenant, democon's rows clash with themselves under another tenant: they cannot be
    overwritten (that would hand them to the other tenant), and the retarget's new key used to be taken
    without a word."""
    other = _other_event(importer)
    before = table_state(importer.alias)
    rc = cli(importer.alias, loaded, "--into-tenant", f"--event__slug={other.slug}", "--default",
             "key_clash=overwrite", "--default", "missing_ref=skip", "--apply")
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "--default key_clash=overwrite is not possible for " in err
    assert "key_clash objects, which would get another decision without a word: conference." in err
    assert "; new_key instead, possible: new_key, skip)" in err and "Nothing was written." in err
    assert table_state(importer.alias) == before


def test_a_model_decision_covers_what_the_default_cannot(importer, loaded, tmp_path, capsys):
    """The same default is accepted once the objects it cannot decide have decisions of their own."""
    other = _other_event(importer)
    args = [loaded, "--into-tenant", f"--event__slug={other.slug}"]
    plan = importer.plan(loaded, _into(other))
    clashing = sorted({it.label for it in plan.all_items() if it.cls == "key_clash" and not it.forced})
    assert clashing
    dfile = tmp_path / "d.json"
    cli(importer.alias, *args, "--default", "missing_ref=skip", "--save-decisions", dfile)
    doc = json.loads(dfile.read_text())
    doc["models"] = {label: {"key_clash": "new_key"} for label in clashing}
    dfile.write_text(json.dumps(doc))
    capsys.readouterr()
    rc = cli(importer.alias, *args, "--decisions", dfile, "--default", "key_clash=overwrite", "--default",
             "missing_ref=skip", "--dry-run")
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "DRY RUN" in out and "new_key" in out


def _into(event):
    from tenant_console.core.importer import Retarget

    return Retarget.into_tenant({"event": event.pk})


def test_a_decisions_file_with_such_a_pair_is_refused(importer, loaded, tmp_path, capsys):
    dfile = tmp_path / "d.json"
    assert cli(importer.alias, loaded, "--save-decisions", dfile) == 1
    doc = json.loads(dfile.read_text())
    doc["default"] = {"identical": "new_key"}
    dfile.write_text(json.dumps(doc))
    capsys.readouterr()
    rc = cli(importer.alias, loaded, "--decisions", dfile, "--apply")
    err = capsys.readouterr().err
    assert rc == 2
    assert "identical=new_key in the default can never take effect" in err and "--new-tenant" in err


@pytest.mark.parametrize("retarget", ["same", "into"])
def test_the_table_of_accepted_decisions_covers_every_object(importer, loaded, retarget):
    """ACCEPTS (what messages and the refusals rely on) holds every decision an object is offered."""
    from tenant_console.core.importer.decisions import ACCEPTS, allowed

    plan = importer.plan(loaded, _into(_other_event(importer)) if retarget == "into" else None)
    seen = set()
    for it in plan.all_items():
        if it.forced:
            continue
        seen.add(it.cls)
        assert set(allowed(it, plan.infos[it.label])) <= set(ACCEPTS[it.cls]), it
    assert seen


def _file_with(importer, args, tmp_path, **entries):
    """A decisions file saved for ``args`` (the import as it would run), with ``entries`` put in."""
    dfile = tmp_path / "d.json"
    cli(importer.alias, *args, "--save-decisions", dfile)
    doc = json.loads(dfile.read_text())
    doc.update(entries)
    dfile.write_text(json.dumps(doc))
    return dfile


def test_a_model_decision_in_a_file_some_objects_cannot_take_is_refused(importer, loaded, tmp_path, capsys):
    """``"models": {LABEL: {"key_clash": "overwrite"}}`` into another tenant: those rows cannot be overwritten
    (they belong to democon), and the retarget's new key used to be taken without a word."""
    other = _other_event(importer)
    args = [loaded, "--into-tenant", f"--event__slug={other.slug}", "--default", "missing_ref=skip"]
    plan = importer.plan(loaded, _into(other))
    label = sorted({it.label for it in plan.all_items() if it.cls == "key_clash" and not it.forced})[0]
    dfile = _file_with(importer, args, tmp_path, models={label: {"key_clash": "overwrite"}})
    capsys.readouterr()
    before = table_state(importer.alias)
    rc = cli(importer.alias, *args, "--decisions", dfile, "--apply")
    err = capsys.readouterr().err
    assert rc == 2, err
    assert f"the decisions file's key_clash=overwrite for {label} (\"models\") is not possible for " in err
    assert f"key_clash objects of {label}, which would get another decision without a word: {label} " in err
    assert "new_key instead, possible: new_key, skip)" in err and "Nothing was written." in err
    assert table_state(importer.alias) == before


def test_a_default_in_a_file_some_objects_cannot_take_is_refused(importer, make_export, tmp_path, capsys):
    """``"default": {"new": "new_key"}`` into an empty database where some new objects cannot take a new key
    (a natural key, a key that is not an integer or UUID): they used to be inserted with their own key."""
    from tenant_console.core.importer.decisions import allowed

    path = make_export(importer.source)
    plan = importer.plan(path)
    stuck = sorted({it.label for it in plan.all_items()
                    if it.cls == "new" and not it.forced and "new_key" not in allowed(it, plan.infos[it.label])})
    if not stuck:
        pytest.skip("every new object of the demo export can take a new key")
    dfile = _file_with(importer, [path], tmp_path, default={"new": "new_key"})
    capsys.readouterr()
    before = table_state(importer.alias)
    rc = cli(importer.alias, path, "--decisions", dfile, "--apply")
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "the decisions file's default new=new_key is not possible for " in err
    assert f"{stuck[0]} " in err and "insert instead, possible: insert, skip)" in err
    assert "Nothing was written." in err
    assert table_state(importer.alias) == before
    # Those objects decided in the file's "models" (before the default): the same default is taken.
    doc = json.loads(dfile.read_text())
    doc["models"] = {label: {"new": "insert"} for label in stuck}
    dfile.write_text(json.dumps(doc))
    rc = cli(importer.alias, path, "--decisions", dfile, "--default", "missing_ref=skip", "--dry-run")
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "DRY RUN" in out
