"""``tenant-console import FILE``: plan an import, list conflicts, apply with decisions.

Nothing is written unless every conflict has a decision and ``--apply`` (or
``--dry-run``, which applies and rolls back) is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tenant_console.cli.context import CliContext
from tenant_console.cli.decisionflags import add_decision_arguments, parse_defaults, read_decisions
from tenant_console.cli.output import print_json, print_table
from tenant_console.core.errors import ConsoleError

NAME = "import"
HELP = "Plan, review and apply an export into a database (conflicts need decisions)."
DESCRIPTION = """\
Plan an import of an export file into the database (--database ALIAS), classifying every object:
new, identical, changed, key clash, unique clash, missing reference, cross-tenant reference (an
object that would point at another tenant's row), schema difference. Conflicts
need decisions (a decisions file saved from the review screen or written by hand); without them
nothing is written and the undecided conflicts are listed (exit code 1). --apply writes everything
in one transaction; --dry-run does the same and rolls back.

  tenant-console --settings S import democon.jsonl.gz                         # plan only
  tenant-console --settings S import democon.jsonl.gz --decisions d.json --apply
  tenant-console --settings S import democon.jsonl.gz --new-tenant slug=democon-copy --apply
  tenant-console --settings S import democon.jsonl.gz --into-tenant --event__slug=staging --dry-run
"""
ORDER = 60
LIST_LIMIT = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="The export's data file (.jsonl/.jsonl.gz) or its .manifest.json.")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--into-tenant", action="store_true",
                        help="Import as the existing tenant chosen with the scope options (--event__slug=X).")
    target.add_argument("--new-tenant", action="append", metavar="FIELD=VALUE", default=[],
                        help="Import as a new tenant with these field values (e.g. slug=democon-copy); repeatable.")
    add_decision_arguments(parser)
    parser.add_argument("--save-decisions", metavar="FILE",
                        help="Write the decisions (and the undecided conflicts, for editing) to FILE.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--apply", action="store_true", help="Write the import (one transaction).")
    mode.add_argument("--dry-run", action="store_true", help="Apply and roll back: report what would happen.")
    parser.add_argument("--review", action="store_true", help="Open the review screen in the console.")
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")


def _retarget(ctx: CliContext, session: Any, export: Any) -> Any:
    from tenant_console.core.importer import Retarget

    args = ctx.args
    if args.into_tenant:
        if not ctx.scope_flags:
            raise ConsoleError("--into-tenant needs the tenant to import into, chosen with a scope option such as "
                               "--event__slug=staging.")
        selection = ctx.resolve_scope(session)
        labels = session.run(_labels, ctx.project.registry, selection, scoped=False)
        return Retarget.into_tenant(selection, labels)
    if ctx.scope_flags:
        raise ConsoleError("Scope options choose the tenant for --into-tenant; add --into-tenant to import into "
                           f"that tenant ({', '.join(f.text for f in ctx.scope_flags)}).")
    if args.new_tenant:
        dims = list(export.scope)
        values: dict[str, dict[str, str]] = {}
        for text in args.new_tenant:
            name, sep, value = text.partition("=")
            if not sep or not name:
                raise ConsoleError(f"--new-tenant {text!r}: give FIELD=VALUE, for example --new-tenant slug=copy.")
            dim, dot, field = name.partition(".")
            if not dot:
                if len(dims) != 1:
                    raise ConsoleError("--new-tenant: the export has several dimensions "
                                       f"({', '.join(dims) or 'none'}); write DIMENSION.FIELD=VALUE.")
                dim, field = dims[0], name
            values.setdefault(dim, {})[field] = value
        return Retarget.new_tenant(values)
    return Retarget()


def _labels(registry: Any, selection: dict[str, Any]) -> dict[str, str]:
    out = {}
    for dim, pk in selection.items():
        d = registry.dimensions[dim]
        obj = d.model._base_manager.filter(pk=pk).first()
        out[dim] = d.label(obj) if obj is not None else str(pk)
    return out


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    state = {"last": -1}

    def show(stage: str, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == state["last"]:
            return
        state["last"] = pct
        bar = "#" * (pct // 4)
        sys.stderr.write(f"\r  {stage[:28]:<28} [{bar:<25}] {pct:3d}% {done:,}/{total:,}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _schema_error(plan: Any, resolution: Any) -> None:
    """Schema differences are bad input unless every object of those models is decided ``skip``."""
    from tenant_console.core.importer import ImportInputError

    blocked = {u.item.label for u in resolution.undecided if u.item.cls == "schema"}
    if not blocked:
        return
    diffs = [str(d) for d in plan.export.schema_differences if d.model in blocked]
    raise ImportInputError(
        f"The models changed since {plan.export.data_path.name} was exported, so it cannot be imported as it is: "
        f"{'; '.join(diffs)}. Nothing was imported. Export again from a database on the current models, or skip "
        f"those models ({', '.join(sorted(blocked))}) with a decision."
    )


def _undecided_message(resolution: Any) -> str:
    n = len(resolution.undecided)
    by_class: dict[str, int] = {}
    for u in resolution.undecided:
        key = "dependent" if u.reason.startswith("depends on") else u.item.cls
        by_class[key] = by_class.get(key, 0) + 1
    parts = ", ".join(f"{k} {v:,}" for k, v in sorted(by_class.items()))
    missing = by_class.get("missing_ref")
    extra = (f" {missing:,} objects reference objects that are neither in the file nor in the target; they can "
             "be skipped, or detached (--default missing_ref=detach) where every such reference is nullable." if missing
             else "")
    bad = by_class.get("invalid_value", 0) + by_class.get("duplicate", 0)
    if bad:
        extra += (f" {bad:,} objects have a value the target does not accept or repeat a key or unique value of the "
                  "file (listed with their line); they can only be skipped (--default invalid_value=skip, "
                  "--default duplicate=skip).")
    cross = by_class.get("cross_tenant_reference")
    if cross:
        extra += (f" {cross:,} objects would reference another tenant's data; skip them, or allow it explicitly "
                  "(allow_cross_tenant, per object or --default cross_tenant_reference=allow_cross_tenant); where "
                  "the references are nullable, detach drops them instead (--default cross_tenant_reference=detach).")
    return (f"{n:,} conflicts have no decision ({parts}), so nothing was written.{extra} Review them in the "
            "console (import FILE --review), or give a decisions file (--decisions D.json; --save-decisions "
            "writes one listing every undecided conflict to edit) or defaults (--default CLASS=DECISION).")


def run(ctx: CliContext) -> int:
    from tenant_console.core.importer import apply_import, build_plan, read_export, resolve

    args = ctx.args
    if args.review:
        from tenant_console.ui.importer.launch import launch_review  # type: ignore[import-not-found]

        return int(launch_review(ctx))
    parse_defaults(args.default)  # a --default that can never take effect: refused before the file is read
    export = read_export(args.file)
    project = ctx.project
    session = ctx.open_session("import", readonly=True)
    try:
        retarget = _retarget(ctx, session, export)
        tty = sys.stderr.isatty() and not ctx.json
        plan = session.run(build_plan, export, session.alias, project.registry, retarget, _progress(tty),
                           readonly=True, scoped=False)
        decisions = read_decisions(plan, args.decisions, args.default)
        resolution = resolve(plan, decisions)
        if args.save_decisions:
            path = decisions.save(args.save_decisions, plan, resolution.undecided)
            _saved_message(path, plan, resolution)
        _schema_error(plan, resolution)
        if not resolution.complete:
            _print_plan(ctx, plan, resolution)
            project.audit.record("import", outcome="refused", reason="undecided conflicts",
                                 file=str(export.data_path), sha256=export.sha256, target=retarget.describe(),
                                 undecided=len(resolution.undecided), database=session.alias, written=False)
            raise ConsoleError(_undecided_message(resolution), exit_code=1)
        if not (args.apply or args.dry_run):
            _print_plan(ctx, plan, resolution)
            if not ctx.json:
                print("Every conflict has a decision. Run again with --dry-run to rehearse or --apply to write.")
            return 0
        import threading

        from tenant_console.core.importer.report import end_import, import_act

        act = import_act(project, plan, decisions, dry_run=args.dry_run)  # no record, no import
        cancel = threading.Event()
        try:
            # ctrl+c stops the import between batches, inside its transaction (rolled back), and
            # waits for that; an import that had already committed is reported as imported.
            report = ctx.run_to_end(session, apply_import, plan, resolution, dry_run=args.dry_run,
                                    progress=_progress(tty), cancel=cancel, on_interrupt=cancel.set,
                                    what="the import", readonly=False, scoped=False)
        except BaseException as exc:
            act.fail(exc, written=False)
            raise
        end_import(act, report)
        if ctx.json:
            print_json({"plan": plan.as_dict(conflicts=False), "report": report.as_dict()})
        else:
            for line in report.lines():
                print(line)
            _print_dangling_generic(plan)
            _print_outside_links(plan)
        if report.cross_tenant:
            sys.stderr.write(f"WARNING: {len(report.cross_tenant):,} objects were "
                             f"{'(in the dry run) ' if args.dry_run else ''}imported with references into another "
                             "tenant, as decided (allow_cross_tenant); recorded in the audit trail.\n")
        return 0
    finally:
        session.close()


def _saved_message(path: Any, plan: Any, resolution: Any) -> None:
    """Tell where the decisions went and how to fill them in (stderr: stdout may be --json)."""
    n = len(resolution.undecided)
    lines = [f"Decisions written to {path}."]
    if n:
        example = resolution.undecided[0]
        lines.append(f'{n:,} undecided objects are listed under "objects" with "decision": null; replace each null '
                     f'with one of its "possible" decisions, e.g. "{example.item.ref}": {{"decision": '
                     f'{json.dumps(example.possible[0])}}} (or simply "{example.item.ref}": '
                     f'{json.dumps(example.possible[0])}). Per model or as a default: "models": {{"LABEL": '
                     '{"CLASS": "DECISION"}}, "default": {"CLASS": "DECISION"}.')
    lines.append(f"Then: tenant-console ... import {plan.export.data_path.name} --decisions {path} --dry-run "
                 "(or --apply).")
    sys.stderr.write("\n".join(lines) + "\n")


def _print_dangling_generic(plan: Any) -> None:
    for line in plan.unchecked:  # unique constraints over expressions the plan could not evaluate
        print(f"  not checked: {line}")
    if not plan.dangling_generic:
        return
    print(f"  {len(plan.dangling_generic):,} object(s) have a generic foreign key to an object that exists neither "
          "in the file nor in the target; they are imported as they are (as loaddata does), flagged here:")
    for ref, detail in plan.dangling_generic[:LIST_LIMIT]:
        print(f"    {ref}: {detail}")
    if len(plan.dangling_generic) > LIST_LIMIT:
        print(f"    ... and {len(plan.dangling_generic) - LIST_LIMIT:,} more (--json lists them all)")


def _print_outside_links(plan: Any) -> None:
    """The manifest's ``outside_links`` (the file's words, so escaped, and at most LIST_LIMIT of them)."""
    links = plan.export.outside_links
    if not links:
        return
    source = (plan.export.manifest.get("source") or {}).get("alias") or "the source"
    print(f"  Not in this export: rows outside the tenant that link into it in {shown(str(source))}; the import "
          "does not create them (recreate them by hand or with the project's own tools):")
    for link in links[:LIST_LIMIT]:
        print(f"    {shown(link.describe())}")
    if len(links) > LIST_LIMIT:
        print(f"    ... and {len(links) - LIST_LIMIT:,} more (--json lists them all)")


def shown(text: str) -> str:
    """Text from an export file as it may be printed: control and format characters (escape sequences, bidi
    overrides, line breaks) are written as Python escapes (``\\x1b``), so a file cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _print_plan(ctx: CliContext, plan: Any, resolution: Any) -> None:
    if ctx.json:
        out = plan.as_dict(conflicts=False)
        out["decisions"] = resolution.counts(plan)
        out["undecided"] = [u.as_dict() for u in resolution.undecided]
        print_json(out)
        return
    print(f"Import plan: {shown(plan.export.describe())} -> {plan.alias} ({plan.vendor}), {plan.retarget.text()}")
    from tenant_console.core.importer import CLASSES

    classes = list(CLASSES)
    rows = [[label, *[counts.get(c, 0) or "" for c in classes]] for label, counts in sorted(plan.summary().items())]
    print_table(["model", *classes], rows, right=range(1, len(classes) + 1))
    for d in plan.export.schema_differences:
        print(f"  schema: {shown(str(d))}")
    _print_dangling_generic(plan)
    _print_outside_links(plan)
    if resolution.undecided:
        print(f"\nUndecided ({len(resolution.undecided):,}):")
        for u in resolution.undecided[:LIST_LIMIT]:
            print(f"  {u.item.ref:<40} {u.reason}  [possible: {', '.join(u.possible)}]")
        if len(resolution.undecided) > LIST_LIMIT:
            print(f"  ... and {len(resolution.undecided) - LIST_LIMIT:,} more (--json or --save-decisions lists all)")
