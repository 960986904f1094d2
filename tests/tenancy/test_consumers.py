"""Every feature treats owned models like scoped ones (shoplike, SQLite and PostgreSQL).

Counted in scope (``models``), exported with the tenant and restored into an
empty database, walked by ``graph`` and ``audit`` (a cross-tenant reference
that runs only through owned tables is found), and nothing left out of an
export without a warning that names it.
"""

from __future__ import annotations

import json

from tests.tenancy.test_ownership import PER_ORGANIZER


def _export(shop, slug: str) -> dict:
    out = shop.base / f"{slug}.jsonl"
    data = shop.cli_json("export", f"--organizer__slug={slug}", "-o", str(out), "--overwrite")
    data["file"] = out
    return data


def test_the_export_holds_exactly_what_models_counts_in_the_tenant(shop):
    for slug in ("acme", "globex"):
        rows = shop.models(f"--organizer__slug={slug}")
        in_tenant = {label for label, r in rows.items() if r["scoped"] or r["tenant_model_of"]}
        assert in_tenant == set(PER_ORGANIZER)
        data = _export(shop, slug)
        counts = {label.lower(): n for label, n in data["counts"].items()}
        assert {label: counts.get(label.lower(), 0) for label in in_tenant} == {
            label: rows[label]["count"] for label in in_tenant}
        assert counts["shop.currency"] == 1  # the shared row the events need
        assert not data["dangling"]


def test_nothing_is_left_out_of_an_export_without_a_warning_naming_it(shop):
    warnings = _export(shop, "acme")["warnings"]
    text = "\n".join(warnings)
    assert "2 row(s) of the ambiguous model shop.Note" in text and "through 'event'" in text
    assert "the ambiguous model shop.Comment" in text and "generic foreign key 'target'" in text
    assert "1 row(s) of the shared model shop.Banner point into this tenant through 'sponsor'" in text
    # Banner.shown_at, a many-to-many declared outside the tenant (pretalx's Team.limit_events): acme's
    # banner is shown at both acme events, globex's at acme's spring event too.
    assert ("3 link row(s) in the table shop_banner_shown_at tie 2 row(s) of the shared model shop.Banner to "
            "this tenant's shop.Event through the many-to-many 'shown_at'; they are not part of the export") in text
    assert len(warnings) == 4, warnings


def test_generic_foreign_key_links_count_only_the_tenants_rows(shop):
    """A comment (generic foreign key, ambiguous) on one of globex's orders is not a link into acme: each
    organizer's export counts the comments on its own orders (one per event), not every comment whose
    content type is Order; and the count reads ContentType without creating rows (the export is read-only)."""
    counted = {}
    for slug in ("acme", "globex"):
        data = _export(shop, slug)
        manifest = json.loads(data["file"].with_name(f"{slug}.manifest.json").read_text())
        links = {(d["kind"], d["model"], d["field"]): d for d in manifest["outside_links"]}
        counted[slug] = links[("gfk", "shop.comment", "target")]["rows"]
        assert "2 row(s) of the ambiguous model shop.Comment" in "\n".join(data["warnings"])
    assert counted == {"acme": 2, "globex": 2}


def test_the_manifest_and_the_import_name_the_links_left_behind(shop, empty_shop):
    """The manifest records the links into the tenant that the export leaves out, and the import says so."""
    data = _export(shop, "globex")
    manifest = json.loads(data["file"].with_name("globex.manifest.json").read_text())
    links = {(d["kind"], d["model"], d["field"]): d for d in manifest["outside_links"]}
    assert links[("m2m", "shop.banner", "shown_at")] == {
        "kind": "m2m", "model": "shop.banner", "field": "shown_at", "to": "shop.event",
        "table": "shop_banner_shown_at", "rows": 2, "owners": 1, "verdict": "shared", "reason": ""}
    assert links[("fk", "shop.banner", "sponsor")]["rows"] == 1
    assert '"shop.banner"' not in json.dumps(manifest["models"])  # the banner is not in the file
    plan = empty_shop.cli_json("import", str(data["file"]))
    assert plan["outside_links"] == manifest["outside_links"]
    done = empty_shop.cli("import", str(data["file"]), "--apply")
    assert done.returncode == 0, done.stderr
    assert "Not in this export: rows outside the tenant that link into it in default" in done.stdout
    assert "2 link row(s) in the table shop_banner_shown_at tie 1 row(s) of the shared model shop.Banner" in done.stdout


def test_an_export_restores_every_owned_row_into_an_empty_database(shop, empty_shop):
    data = _export(shop, "globex")
    done = empty_shop.cli("import", str(data["file"]), "--apply", "--json")
    assert done.returncode == 0, done.stderr
    assert empty_shop.models("--organizer__slug=globex") and {
        label: r["count"] for label, r in empty_shop.models("--organizer__slug=globex").items()
        if label in PER_ORGANIZER} == PER_ORGANIZER


def test_audit_finds_a_cross_tenant_reference_between_owned_tables(planted_shop):
    done = planted_shop.cli("audit", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    found = json.dumps(report)
    assert "shop.Item.category" in found or "shop.item.category" in found.lower()
    assert "shop.Category" in found or "shop.category" in found.lower()


def test_audit_is_clean_without_the_planted_reference(shop):
    done = shop.cli("audit")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No references between tenants on" in done.stdout and "4 relations checked" in done.stdout


def test_graph_walks_owned_tables_and_reports_the_other_tenants_category(planted_shop):
    rows = planted_shop.models("--organizer__slug=acme")
    assert rows["shop.Item"]["count"] == 6
    done = planted_shop.cli("graph", "shop.Order.1", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"shop.orderposition", "shop.transaction", "shop.item", "shop.category"} <= set(data["counts"])
    text = planted_shop.cli("graph", "shop.Order.1").stdout
    assert "References between tenants (1)" in text
    assert "--category--> shop.category:" in text


def test_the_repl_flags_owned_rows_of_another_tenant(planted_shop):
    import os
    import sys

    from tests.tenancy.shop import PROJECTS, ROOT

    env = {"PYTHONPATH": os.pathsep.join([str(PROJECTS), str(ROOT)])}
    done = planted_shop.run([sys.executable, "-m", "shoplike.probe"], env)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["planted_category"].startswith("⚠ belongs to another tenant: organizer=Globex Live")
    assert seen["own_items"] == ""
    assert seen["other_transactions"].startswith("⚠ 3 of 3 shown objects belong to another tenant: organizer=Globex")
    # the model browser counts every row and says what the default manager shows (Question.objects hides some)
    count, default, manager = seen["question_counts"]
    assert manager == "objects" and default is not None and 0 < default < count
    assert seen["order_counts"][1] is None  # a plain default manager hides nothing: nothing to say


def test_a_clone_copies_owned_rows_instead_of_pointing_into_the_source_tenant(shop):
    """``import --new-tenant`` of an organizer export: the copy has its own categories, items, orders..."""
    from tests.tenancy.shop import Shop

    data = _export(shop, "acme")
    target = Shop.create(shop.backend, f"clone-{shop.backend}")
    try:
        done = target.cli("import", str(data["file"]), "--new-tenant", "slug=acme2", "--new-tenant",
                          "name=Acme Two", "--apply")
        assert done.returncode == 0, done.stderr
        rows = target.models("--organizer__slug=acme2")
        assert {label: rows[label]["count"] for label in PER_ORGANIZER} == PER_ORGANIZER
        assert target.models("--organizer__slug=acme")["shop.Category"]["count"] == 4  # the source is untouched
        audit = target.cli("audit")
        assert audit.returncode == 0 and "No references between tenants" in audit.stdout, audit.stdout
    finally:
        target.drop()
