"""tenant-console on the real projects (pretalx, pretix): what an operator runs, checked against the project.

Each check reports what it compared, with counts, so a failing run says how far off the console is.
"""

from __future__ import annotations

import json
from typing import Any

import harness
import pytest
from conftest import Real
from oracle import EXPECTED_OWNED

IN_TENANT = ("scoped", "owned", "tenant")


def ok(proc: Any, what: str, codes: tuple[int, ...] = (0,)) -> Any:
    assert proc.returncode in codes, (
        f"{what}: exit {proc.returncode}\nstdout: {proc.stdout[-1500:]}\nstderr: {proc.stderr[-1500:]}")
    assert "Traceback (most recent call last)" not in proc.stderr, f"{what}: traceback\n{proc.stderr[-3000:]}"
    return proc


def as_json(proc: Any, what: str) -> Any:
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(f"{what}: not JSON (exit {proc.returncode}): {proc.stdout[:500]!r} {proc.stderr[-800:]}")


def console_kinds(real: Real) -> dict[str, tuple[str, str | None]]:
    """{model label (lower case): (kind, path)} as ``models --json`` reports them for the tenant dimension."""
    def make() -> dict[str, tuple[str, str | None]]:
        data = as_json(ok(real.source.console("models", "--json", "--no-counts"), "models --json"), "models --json")
        dim = real.tenant["dimension"]
        out = {}
        for row in data["models"]:
            own = row.get("ownership") if isinstance(row.get("ownership"), dict) else {}
            kind = row.get("kind") or own.get("kind")
            path = (row.get("dimensions") or {}).get(dim) or own.get("via") or row.get("via")
            if dim in (row.get("tenant_model_of") or []):
                kind = "tenant"
            elif not kind:
                kind = "scoped" if path else "shared"
            out[row["model"].lower()] = (str(kind), path)
        return out
    return real.once("console models", make)


def oracle_ownership(real: Real) -> dict[str, dict[str, str]]:
    return real.once("oracle ownership", lambda: {k.lower(): v for k, v in
                                                  real.source.oracle("ownership", real.tenant["dimension"]).items()})


def oracle_rows(real: Real, which: str = "source") -> dict[str, Any]:
    inst = real.source if which == "source" else real.instance(which, empty=True)
    return real.once(f"oracle rows {which}", lambda: {k.lower(): v for k, v in
                                                      inst.oracle("rows", real.tenant["dimension"],
                                                                  real.tenant["lookup"]).items()})


def export_file(real: Real) -> Any:
    def make() -> Any:
        out = real.root / f"{real.name}-tenant.jsonl.gz"
        ok(real.source.console("export", real.tenant["flag"], "-o", str(out), "--json"), "export")
        return out
    return real.once("export", make)


def imported(real: Real) -> Any:
    def make() -> Any:
        target = real.instance("target", empty=True)
        proc = target.console("import", str(export_file(real)), "--apply", "--json")
        ok(proc, "import --apply into a fresh, migrated database")
        return target
    return real.once("import", make)


# ---------------------------------------------------------------- discovery


def test_models_finds_the_tenant_dimension(real: Real):
    kinds = console_kinds(real)
    scoped = [m for m, (k, _) in kinds.items() if k == "scoped"]
    assert scoped, (f"models: dimension {real.tenant['dimension']!r} not found; "
                    f"0 of {len(kinds)} models scoped")


def test_models_scoped_match_the_scoped_managers(real: Real):
    truth = {m for m, v in oracle_ownership(real).items() if v["kind"] == "scoped"}
    kinds = console_kinds(real)
    seen = {m for m, (k, _) in kinds.items() if k == "scoped"}
    missing, extra = sorted(truth - seen), sorted(seen - truth)
    assert not missing and not extra, (f"scoped models: {len(truth)} have a ScopedManager, console shows "
                                       f"{len(seen)}; missing {len(missing)}: {missing[:8]}; extra {extra[:8]}")


def test_models_owned_tables_found(real: Real):
    truth = {m: v for m, v in oracle_ownership(real).items() if v["kind"] == "owned"}
    for label in EXPECTED_OWNED[real.name]:  # the oracle itself, checked by hand
        assert label.lower() in truth, f"oracle: {label} should be owned"
    kinds = console_kinds(real)
    seen = {m for m, (k, _) in kinds.items() if k == "owned"}
    missing = sorted(set(truth) - seen)
    assert not missing, (f"owned models: {len(truth)} reach the tenant through non-null keys only, console shows "
                         f"{len(seen & set(truth))} of them as owned; missing {len(missing)}: {missing[:10]}")


def test_tenants_search_by_name(real: Real):
    proc = ok(real.source.console("tenants", "--search", real.tenant["search"], "--json"), "tenants --search")
    assert real.tenant["search_finds"] in proc.stdout, (
        f"tenants --search {real.tenant['search']!r} (a name, not a slug) did not find "
        f"{real.tenant['search_finds']}: {proc.stdout[:400]}")


def test_tenants_search_strategy(real: Real):
    """The tenant table's slug is the indexed key: a slug prefix is answered by its index, a name by a
    search inside the (translatable) names, and the output says which."""
    dim, slug = real.tenant["dimension"], real.tenant["lookup"].split("=", 1)[1]
    proc = ok(real.source.console("tenants", "--dimension", dim, "--search", slug[:3], "--limit", "1", "--json"),
              "tenants --search prefix")
    found = as_json(proc, "tenants --search prefix")["dimensions"][dim]
    assert found["strategy"] == "prefix" and found["strategy_text"] == "slug prefix (index)", found
    assert [t["fields"]["slug"] for t in found["tenants"]] == [slug], found
    proc = ok(real.source.console("tenants", "--dimension", dim, "--search", real.tenant["search"]),
              "tenants --search name")
    assert "found by slug prefix (index), then full scan (" in proc.stdout, proc.stdout[:600]
    assert real.tenant["search_finds"] in proc.stdout, proc.stdout[:600]


# ---------------------------------------------------------------- graph, audit


GRAPH_ROOT = {"pretalx": ("submission.submission", "submission.resource"),
              "pretix": ("pretixbase.order", "pretixbase.transaction")}


def test_graph_reaches_owned_rows(real: Real):
    root_model, expect = GRAPH_ROOT[real.name]
    rows = oracle_rows(real)
    pk = sorted(rows[root_model]["rows"], key=int)[0]
    label = root_model.split(".")[0] + "." + root_model.split(".")[1]
    proc = ok(real.source.console("graph", f"{label}.{pk}", "--json"), f"graph {label}.{pk}")
    text = proc.stdout.lower()
    as_json(proc, "graph --json")
    assert expect in text, f"graph {label}.{pk}: no {expect} rows in the closure"


def test_audit_clean_database(real: Real):
    proc = real.source.console("audit", "--dimension", real.tenant["dimension"], "--json")
    ok(proc, "audit on the generated data (no cross-tenant references)")


PLANT = {
    # An acme item whose category belongs to globex; an acme transaction that points at a globex item.
    "pretix": """
from django_scopes import scopes_disabled
from pretix.base.models import Item, ItemCategory
from pretix.base.models.orders import Transaction
with scopes_disabled():
    item = Item.objects.filter(event__organizer__slug="acme").order_by("pk").first()
    other_cat = ItemCategory.objects.filter(event__organizer__slug="globex").order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(category=other_cat)
    other_item = Item.objects.filter(event__organizer__slug="globex").order_by("pk").first()
    tx = Transaction.objects.filter(order__organizer__slug="acme", item__isnull=False).order_by("pk").first()
    Transaction.objects.filter(pk=tx.pk).update(item=other_item)
    print(item.pk, other_cat.pk, tx.pk, other_item.pk)
""",
    # A democon submission tagged with an opsfest tag; a democon answer choosing an opsfest option.
    "pretalx": """
from django_scopes import scopes_disabled
from pretalx.submission.models import Submission, Tag, Answer, AnswerOption
with scopes_disabled():
    sub = Submission.all_objects.filter(event__slug="democon").order_by("pk").first()
    tag = Tag.objects.filter(event__slug="opsfest").order_by("pk").first()
    sub.tags.add(tag)
    answer = Answer.objects.filter(question__event__slug="democon", question__variant="choices").order_by("pk").first()
    option = AnswerOption.objects.filter(question__event__slug="opsfest").order_by("pk").first()
    answer.options.add(option)
    print(sub.pk, tag.pk, answer.pk, option.pk)
""",
}
PLANTED_MODELS = {"pretix": ("pretixbase.item", "pretixbase.transaction"),
                  "pretalx": ("submission.submission", "submission.answer")}


def test_audit_finds_planted_cross_tenant_reference(real: Real):
    inst = real.instance("planted")
    plant = inst.run("-c", "import django; django.setup()\n" + PLANT[real.name])
    assert plant.returncode == 0, plant.stderr[-2000:]
    proc = inst.console("audit", "--dimension", real.tenant["dimension"], "--json")
    assert proc.returncode == 1, f"audit: exit {proc.returncode}, expected 1\n{proc.stdout[-800:]}{proc.stderr[-800:]}"
    text = proc.stdout.lower()
    found = [m for m in PLANTED_MODELS[real.name] if m in text or m.split(".")[1] in text]
    assert len(found) == len(PLANTED_MODELS[real.name]), (
        f"audit found {len(found)} of the {len(PLANTED_MODELS[real.name])} planted references "
        f"({', '.join(PLANTED_MODELS[real.name])}): {proc.stdout[:600]}")


# ---------------------------------------------------------------- export, verify, import


def test_export_contains_every_row_of_the_tenant(real: Real):
    out = export_file(real)
    manifest = json.loads(out.with_name(out.name.replace(".jsonl.gz", ".manifest.json")).read_text())
    counts = {k.lower(): v.get("count", 0) for k, v in manifest["models"].items()}
    rows = oracle_rows(real)
    wrong = {m: (len(v["rows"]), counts.get(m, 0)) for m, v in rows.items()
             if v["rows"] and counts.get(m, 0) != len(v["rows"])}
    total = sum(len(v["rows"]) for v in rows.values())
    # The other way round: nothing exported as the tenant's own rows that the project does not tie to it.
    extra = {k.lower(): v.get("count", 0) for k, v in manifest["models"].items()
             if v.get("role") == "tenant" and v.get("count") and not rows.get(k.lower(), {}).get("rows")}
    assert not extra, f"export: {len(extra)} models exported as the tenant's rows are not the tenant's: {extra}"
    assert not wrong, (f"export: {len(wrong)} of {sum(1 for v in rows.values() if v['rows'])} models of the tenant "
                       f"have other counts than the database ({total} rows in the tenant); "
                       f"(expected, exported): {dict(sorted(wrong.items())[:10])}")


#: Many-to-many links declared outside the tenant whose other side is inside it: {model: {field: lookup of
#: the link row's tenant}}. pretalx's Team belongs to the organiser, its limit_events/limit_tracks tie it to one
#: event (the operator trial: a moved event lost its teams' access without a word). pretix's Team belongs to the
#: organizer, which is the tenant there: inside, so its links travel with it.
OUTSIDE_M2M = {"pretalx": {"event.Team": {"limit_events": "event__slug", "limit_tracks": "track__event__slug"}},
               "pretix": {}}


def outside_m2m_rows(real: Real, inst: Any) -> dict[tuple[str, str], int]:
    """{(model label_lower, field): link rows whose other side is the tenant's}, counted by the project's ORM."""
    slug = real.tenant["lookup"].partition("=")[2]
    code = ("import json, django\ndjango.setup()\nfrom django.apps import apps\nout = {}\n"
            f"for label, fields in {OUTSIDE_M2M[real.name]!r}.items():\n"
            "    model = apps.get_model(label)\n"
            "    for name, lookup in fields.items():\n"
            "        through = model._meta.get_field(name).remote_field.through\n"
            f"        out[label.lower() + '.' + name] = through.objects.filter(**{{lookup: {slug!r}}}).count()\n"
            "print(json.dumps(out))\n")
    proc = ok(inst.run("-c", code), "count the outside many-to-many links")
    return {tuple(k.rsplit(".", 1)): v for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def m2m_left_out(links: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    return {(d["model"], d["field"]): d["rows"] for d in links if d.get("kind") == "m2m"}


def test_export_names_the_links_into_the_tenant_it_leaves_out(real: Real):
    """Link rows of a many-to-many declared outside the tenant (pretalx's Team.limit_events) are not exported:
    the manifest lists each field with as many rows as the project counts, and the export's summary warns."""
    out = export_file(real)
    manifest = json.loads(out.with_name(out.name.replace(".jsonl.gz", ".manifest.json")).read_text())
    found = m2m_left_out(manifest["outside_links"])
    truth = {k: n for k, n in outside_m2m_rows(real, real.source).items() if n}
    watched = {label.lower() for label in OUTSIDE_M2M[real.name]}
    assert {k: n for k, n in found.items() if k[0] in watched} == truth, (
        f"outside links: the project counts {truth}, the manifest lists {found}")
    if real.name == "pretalx":
        assert truth, "the generated pretalx data should have teams limited to the event"
    else:  # pretix: Team is the organizer's, inside the tenant; its limit_events travel with it
        assert not any(k[0] == "pretixbase.team" for k in found), found
        assert "pretixbase.team" in manifest["models"]
    proc = ok(real.source.console("export", real.tenant["flag"], "--dry-run"), "export --dry-run")
    for d in manifest["outside_links"]:
        if d["kind"] == "m2m" and d["model"] in watched:
            said = f"{d['rows']} link row(s) in the table {d['table']} tie {d['owners']} row(s) of the shared model"
            field = f"through the many-to-many {d['field']!r}"
            assert said in proc.stderr and field in proc.stderr, proc.stderr[-1500:]


def test_verify_export(real: Real):
    proc = real.source.console("verify", str(export_file(real)), "--json")
    ok(proc, "verify")


def test_import_into_fresh_database_reproduces_the_tenant(real: Real):
    imported(real)
    src = oracle_rows(real)
    dst = oracle_rows(real, "target")
    missing_models, count_diff, value_diff = [], {}, {}
    for model, entry in src.items():
        if not entry["rows"]:
            continue
        got = dst.get(model, {"rows": {}})["rows"]
        if not got:
            missing_models.append(model)
            continue
        if len(got) != len(entry["rows"]):
            count_diff[model] = (len(entry["rows"]), len(got))
            continue
        for pk, fields in entry["rows"].items():
            other = got.get(pk)
            if other is None:
                value_diff.setdefault(model, f"pk {pk} missing")
                break
            diff = [f for f in fields if fields[f] != other.get(f)]
            if diff:
                value_diff.setdefault(model, f"pk {pk}: {diff[:4]} e.g. {diff[0]}={fields[diff[0]]!r} -> "
                                             f"{other.get(diff[0])!r}")
                break
    n = sum(1 for v in src.values() if v["rows"])
    assert not (missing_models or count_diff or value_diff), (
        f"import into a fresh database: of {n} models with rows in the tenant, {len(missing_models)} arrived "
        f"empty {missing_models[:8]}, {len(count_diff)} with other counts (source, target) "
        f"{dict(sorted(count_diff.items())[:8])}, {len(value_diff)} with other values "
        f"{dict(sorted(value_diff.items())[:5])}")


def test_imported_tenant_passes_check_order_transactions(real: Real):
    if real.name != "pretix":
        pytest.skip(f"{real.name} has no consistency check of its own (pretix: check_order_transactions)")
    source = ok(real.source.manage("check_order_transactions"), "check_order_transactions (source)")
    assert "Error in order" not in source.stdout, "the generated data itself fails: " + source.stdout[:500]
    target = imported(real)
    proc = ok(target.manage("check_order_transactions"), "check_order_transactions (target)")
    errors = [line for line in proc.stdout.splitlines() if line.startswith("Error in order")]
    orders = len(oracle_rows(real, "target").get("pretixbase.order", {"rows": {}})["rows"])
    assert orders, "no orders of the tenant in the target database"
    assert not errors, f"check_order_transactions: {len(errors)} of {orders} orders inconsistent: {errors[:3]}"


def test_untouched_reimport_plans_no_conflicts(real: Real):
    target = imported(real)
    proc = target.console("import", str(export_file(real)), "--json")
    data = as_json(proc, "import plan")
    plan = data.get("plan", data)
    totals = plan.get("totals", {})
    conflicts = {k: v for k, v in totals.items() if v and k not in ("identical",)}
    listed = plan.get("conflicts") or data.get("undecided") or []
    assert not conflicts, (f"re-import of an unchanged export: {sum(conflicts.values())} not identical "
                           f"{conflicts} (identical: {totals.get('identical', 0)}); first: "
                           f"{[(c['model'], c['class'], (c.get('diff') or [{}])[0].get('field')) for c in listed[:5]]}")


#: Fields the projects fill with a random code (lower-case labels as the oracle gives them).
GENERATED = {"submission.submission": ("code", "review_code"), "pretixbase.orderposition": ("pseudonymization_id",)}


def test_clone_in_one_database_is_complete(real: Real):
    """Issue 12, "copy last year's event": ``import --new-tenant`` of the tenant's export into the database it
    came from applies (pretalx's submissions hold two unique fields, ``code`` and ``review_code``), the copy
    has as many rows of every scoped and owned model, and the source tenant is untouched."""
    dim = real.tenant["dimension"]
    field = real.tenant["lookup"].partition("=")[0]
    inst = real.instance("clone")
    before = {k.lower(): v for k, v in inst.oracle("rows", dim, real.tenant["lookup"]).items()}
    proc = inst.console("import", str(export_file(real)), "--new-tenant", f"{field}=tc-clone", "--apply", "--json")
    ok(proc, "import --new-tenant --apply into the database the tenant came from")
    copy = {k.lower(): v for k, v in inst.oracle("rows", dim, f"{field}=tc-clone").items()}
    after = {k.lower(): v for k, v in inst.oracle("rows", dim, real.tenant["lookup"]).items()}
    counts = {m: (len(v["rows"]), len(copy.get(m, {"rows": {}})["rows"])) for m, v in before.items()
              if v["kind"] in IN_TENANT and v["rows"]}
    assert len(counts) > 5, f"clone: only {sorted(counts)} have rows in the tenant"
    short = {m: c for m, c in counts.items() if c[0] != c[1]}
    assert not short, (f"clone: of {len(counts)} models with rows in the tenant, {len(short)} differ in the copy "
                       f"(source, copy): {dict(sorted(short.items())[:8])}")
    changed = sorted(m for m in before if before[m] != after.get(m))
    assert not changed, f"clone: the source tenant changed in {len(changed)} models: {changed[:8]}"
    # Codes the project draws at random (pretalx's Submission.code and review_code, a secret URL token;
    # pretix's pseudonymization_id) get fresh ones in the copy, never the original's with a suffix.
    suffixed = {(m, f) for m, v in before.items() for row in v["rows"].values()
                for f, value in row.items()
                if f in GENERATED.get(m, ()) and isinstance(value, str) and value
                for copied in copy.get(m, {"rows": {}})["rows"].values()
                if copied.get(f, "").startswith(value + "-")}
    assert not suffixed, f"clone: generated codes copied with a suffix: {sorted(suffixed)}"


# ---------------------------------------------------------------- move (issue 15)


def test_move_to_another_database_then_roll_back(real: Real):
    """``move --delete-source`` of the tenant into a fresh, migrated database given as a second alias: the target
    then holds every row the project ties to the tenant (the oracle, model by model), the source none, pretix's
    own ``check_order_transactions`` passes on the target; ``--rollback`` puts the source back as it was."""
    dim = real.tenant["dimension"]
    src = real.instance("move-source")
    dst = real.instance("move-target", empty=True)
    (src.directory / "tc_move_settings.py").write_text(
        f"from {real.project.settings} import *  # noqa: F403\n"
        f"from {real.project.settings} import DATABASES\n\n"
        f"DATABASES['shard2'] = {{**DATABASES['default'], 'NAME': {str(dst.directory / 'db.sqlite3')!r}}}\n")
    slug = real.tenant["lookup"].partition("=")[2]
    journal = real.root / "move-journal"

    def console(*args: str) -> Any:
        return src.run("-m", "tenant_console", "--settings", "tc_move_settings", "--pythonpath", str(src.directory),
                       *args)

    before = {k.lower(): v for k, v in src.oracle("rows", dim, real.tenant["lookup"]).items()}
    links_before = outside_m2m_rows(real, src)
    out = as_json(ok(console("move", real.tenant["flag"], "--from", "default", "--to", "shard2", "--delete-source",
                             "--confirm-tenant", slug, "--journal", str(journal), "--json"), "move"), "move")
    assert out["phase"] == "done" and out["source_digest"] == out["target_digest"]
    moved = {k.lower(): v for k, v in dst.oracle("rows", dim, real.tenant["lookup"]).items()}
    wanted = {m: len(v["rows"]) for m, v in before.items() if v["kind"] in IN_TENANT and v["rows"]}
    got = {m: len(moved.get(m, {"rows": {}})["rows"]) for m in wanted}
    assert wanted == got, f"move: (rows in the source before, rows in the target) differ: " \
                          f"{ {m: (wanted[m], got[m]) for m in wanted if wanted[m] != got[m]} }"
    differ = sorted(m for m in wanted if before[m]["rows"] != moved[m]["rows"])
    assert not differ, f"move: values differ in the target for {differ[:8]}"
    status = ok(console("move", "--status", str(journal)), "move --status")
    assert "The tenant is in shard2 only" in status.stdout, status.stdout
    # Team links of the event are not the event's: the move says so (JSON and --status), and they are not in
    # the target; the delete removed them from the source with the event (its backup keeps them).
    left_out = {k: n for k, n in links_before.items() if n}
    assert {k: n for k, n in m2m_left_out(out["outside_links"]).items() if k in links_before} == left_out
    if left_out:
        assert "Not moved: rows outside the tenant that link into it" in status.stdout, status.stdout
    assert not any(outside_m2m_rows(real, dst).values())
    if real.name == "pretix":
        check = ok(dst.manage("check_order_transactions"), "check_order_transactions (target)")
        assert "Error in order" not in check.stdout, check.stdout[:800]
    ok(console("move", "--rollback", str(journal)), "move --rollback")
    assert outside_m2m_rows(real, src) == links_before, "move --rollback: the team links of the tenant differ"
    after = {k.lower(): v for k, v in src.oracle("rows", dim, real.tenant["lookup"]).items()}
    changed = sorted(m for m in wanted if before[m]["rows"] != after.get(m, {"rows": {}})["rows"])
    assert not changed, f"move --rollback: the source differs from before the move in {changed[:8]}"


# ---------------------------------------------------------------- jump by the project's own code

CODE_MODELS = {"pretalx": "submission.Submission", "pretix": "pretixbase.Order"}


def test_jump_by_the_projects_own_code(real: Real):
    """``:Submission CEPRNX`` (pretalx, code unique by itself) and ``:Order ABC12`` (pretix, code unique per
    organizer): the code field is found from the model, the tenant's object is found by its code in any
    case, and another tenant's code is refused naming its tenant."""
    label = CODE_MODELS[real.name]
    proc = real.source.run(str(harness.HERE / "find_probe.py"), label, real.tenant["dimension"],
                           real.tenant["lookup"], real.tenant["other"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "code" in found["code_fields"], found
    assert found["found_pk"] == found["expected_pk"] and found["field"] == "code", found
    assert "does not exist in the scope" in found["refused"], found


def test_shell_write_into_another_tenant_is_rolled_back(real: Real):
    """The operator trial: a write session on opsfest creating a democon tag must not commit."""
    if real.name != "pretalx":
        pytest.skip("the trial's code is pretalx's")
    code = ('from pretalx.event.models import Event as E; '
            'Tag.objects.create(event=E.objects.get(slug="democon"), tag="crossed-tag")')
    proc = real.source.console("shell", "--event__slug=opsfest", "--write", "-c", code)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "⚠ 1 row written belongs to another tenant: submission.Tag " in proc.stderr
    assert "→ event=" in proc.stderr and "Nothing was committed" in proc.stderr
    assert "statement(s) that write" not in proc.stderr
    check = real.source.console("shell", "--event__slug=democon", "-c",
                                'print(Tag.objects.filter(tag="crossed-tag").count())')
    assert ok(check, "count the tag").stdout.strip() == "0"
