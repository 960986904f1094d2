"""``move``: a tenant to another database: export, import, verify, then (if asked) delete the source."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tenant_console.cli.context import CliContext
from tenant_console.cli.decisionflags import add_decision_arguments, parse_defaults, read_decisions
from tenant_console.cli.output import print_json, print_table, warn
from tenant_console.core.errors import ConsoleError

NAME = "move"
HELP = "Move a tenant to another database: export, import, verify, delete the source; journaled and resumable."
DESCRIPTION = """\
Moves every row of a tenant from one database alias to another (a shard, a customer's own database):

  1. export it from one read-only snapshot of the source (the export format; counts and checksums
     of the tenant's rows taken in the same snapshot),
  2. import it into the target (the import plan is shown; conflicts are decided exactly as with
     `import`: --default CLASS=DECISION, --decisions FILE); the tenant must not exist there yet,
  3. verify that every row arrived: rows per model and a content checksum, read on both sides
     through the tenancy filter,
  4. only then, with --delete-source, delete the whole tenant from the source (through `delete`:
     a backup first, one transaction, and only if the source still equals what was exported).

Every step is written to a journal (STATE_DIR/moves/.../journal.json, 0600, printed at the start).
A move stopped at any point (killed, ctrl+c, a failed check) is continued with --resume JOURNAL,
undone with --rollback JOURNAL (removes the target's copy; restores the source from its backup
only if the source had been deleted), and described with --status JOURNAL (where the tenant is
now, read from both databases). See docs/scale.md, "Moving a tenant".

  tenant-console --settings S move --event__slug=democon --to shard2
  tenant-console --settings S move --event__slug=democon --from default --to shard2 --delete-source \\
      --confirm-tenant democon
  tenant-console --settings S move --status ~/.local/state/tenant-console/moves/.../journal.json

Without --from the source is where the project's DATABASE_ROUTERS put the tenant (its router's
db_for_write with the tenant as the instance hint), else --database. Exit codes: 0 done, 1 stopped
by a check (the journal says where the tenant is) or --delete-source not confirmed (as delete's),
2 bad input, 130 interrupted.
"""
ORDER = 63
POLICIES = ("refuse", "omit", "include")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", metavar="ALIAS",
                        help="The database the tenant is in (default: where DATABASE_ROUTERS put it, else "
                             "--database).")
    parser.add_argument("--to", dest="target", metavar="ALIAS", help="The database to move it to.")
    parser.add_argument("--delete-source", action="store_true",
                        help="After verifying, delete the tenant from the source (with a backup; needs "
                             "--confirm-tenant SLUG without a terminal).")
    parser.add_argument("--confirm-tenant", metavar="SLUG", help="Confirm --delete-source by the tenant's slug.")
    parser.add_argument("--journal", metavar="DIR",
                        help="The folder for the journal, the export and the backups (default: "
                             "STATE_DIR/moves/<time>-<tenant>-<from>-to-<to>).")
    parser.add_argument("--cross-tenant", choices=POLICIES, default="refuse",
                        help="References into another tenant, as for export (default: refuse).")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="Export with N connections sharing one snapshot (PostgreSQL sources; as for export).")
    add_decision_arguments(parser)
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--resume", metavar="JOURNAL", help="Continue a stopped move from its journal.")
    state.add_argument("--rollback", metavar="JOURNAL", help="Undo a move as far as it went.")
    state.add_argument("--status", metavar="JOURNAL", help="Where the tenant of a move is now, and what is next.")
    parser.add_argument("--json", action="store_true", help="Print JSON.")


def run(ctx: CliContext) -> int:
    args = ctx.args
    journal_arg = args.resume or args.rollback or args.status
    if journal_arg:
        for flag, value in (("--to", args.target), ("--from", args.source), ("--journal", args.journal),
                            ("--jobs", args.jobs if args.jobs != 1 else None)):
            if value:
                raise ConsoleError(f"{flag} is for a new move; a journal already names its databases and folder "
                                   f"({journal_arg}). Nothing was done.")
        return _continue(ctx, journal_arg)
    return _start(ctx)


def _check_aliases(source: str, target: str) -> None:
    from django.conf import settings

    from tenant_console.core.errors import did_you_mean

    aliases = list(settings.DATABASES)
    for flag, alias in (("--from", source), ("--to", target)):
        if alias not in aliases:
            raise ConsoleError(f"{flag} {alias!r} is not a database alias in DATABASES.{did_you_mean(alias, aliases)} "
                               f"Known aliases: {', '.join(aliases)}. Nothing was done.")
    if source == target:
        raise ConsoleError(f"--from and --to are both {source!r}: a move needs two databases. Nothing was done.")
    from tenant_console.core.audit import database_identity

    a, b = database_identity(source), database_identity(target)
    if a == b and a.get("vendor"):
        raise ConsoleError(f"--from {source!r} and --to {target!r} are the same database (vendor, host, port and "
                           "name); a move needs two databases. Nothing was done.")


def _check_jobs(source: str, jobs: int) -> None:
    from django.db import connections

    from tenant_console.core.export.parallel import check_jobs

    check_jobs(connections[source].vendor, jobs)


def _locate(ctx: CliContext, session: Any, selection: dict[str, Any]) -> tuple[str, str | None]:
    """Where the routers put the tenant found on ``session``'s alias (``(alias, router)``)."""
    from tenant_console.core.move.locate import routed_alias

    def ask() -> tuple[str | None, str | None]:
        registry = ctx.project.registry
        for dim, pk in selection.items():
            obj = registry.dimensions[dim].model._base_manager.db_manager(session.alias).get(pk=pk)
            alias, router = routed_alias(obj)
            if alias:
                return alias, router
        return None, None

    alias, router = session.run(ask, scoped=False, readonly=True)
    return alias or session.alias, router


def _start(ctx: CliContext) -> int:
    from tenant_console.core.audit import database_identity
    from tenant_console.core.checks import check_database
    from tenant_console.core.move.journal import default_folder, new_journal

    args, project = ctx.args, ctx.project
    if not ctx.scope_flags:
        from tenant_console.core.examples import tenant_option

        raise ConsoleError(f"Choose the tenant to move (for example {tenant_option(project.registry)}) and the "
                           "database to move it to (--to ALIAS). Nothing was done.")
    if not args.target:
        raise ConsoleError("Name the database to move the tenant to: --to ALIAS (an alias in DATABASES). Nothing "
                           "was done.")
    if args.confirm_tenant and not args.delete_source:
        raise ConsoleError("--confirm-tenant confirms --delete-source; without it the source is kept. Nothing "
                           "was done.")
    parse_defaults(args.default)  # a --default that can never take effect: refused before the move starts
    if args.source:
        _check_aliases(args.source, args.target)
        _check_jobs(args.source, args.jobs)
    routed_by = None
    with project.session("move-locate", alias=args.source or project.alias) as first:
        for message in first.run(check_database, first.alias, scoped=False, readonly=False):
            warn(message)
        selection = ctx.resolve_scope(first)
        source = args.source
        if source is None:
            source, routed_by = _locate(ctx, first, selection)
            _check_aliases(source, args.target)
            _check_jobs(source, args.jobs)
        if source == first.alias:
            label, slug = first.run(_label_and_slug, project.registry, selection, source, scoped=False,
                                    readonly=True)
    if source != first.alias:  # the routers put the tenant elsewhere: it is looked up there (its key may differ)
        with project.session("move-locate", alias=source) as there:
            for message in there.run(check_database, source, scoped=False, readonly=False):
                warn(message)
            selection = ctx.resolve_scope(there)
            label, slug = there.run(_label_and_slug, project.registry, selection, source, scoped=False,
                                    readonly=True)
    with project.session("move-check", alias=args.target) as other:
        for message in other.run(check_database, args.target, scoped=False, readonly=False):
            warn(message)
    if routed_by and not ctx.json:
        print(f"The project's router {routed_by} puts {label} in {source!r} (--from {source}).")
    if args.delete_source:
        _confirm_delete(args, label, slug, source)
    folder = args.journal or default_folder(project.config.state_dir, slug, source, args.target)
    journal = new_journal(folder, settings=project.settings_module, tenant=selection, tenant_label=label,
                          tenant_slug=slug,
                          source={"alias": source, "db": database_identity(source)},
                          target={"alias": args.target, "db": database_identity(args.target)},
                          options={"delete_source": bool(args.delete_source), "cross_tenant": args.cross_tenant,
                                   "defaults": list(args.default), "decisions": args.decisions, "jobs": args.jobs,
                                   "routed_by": routed_by})
    if not ctx.json:
        print(f"Moving {label} from {source} to {args.target}. Journal: {journal.path}")
        print(f"  (stopped at any point: --resume {journal.path}, --rollback {journal.path}, --status {journal.path})")
    return _drive(ctx, journal, "move")


def _label_and_slug(registry: Any, selection: dict[str, Any], alias: str) -> tuple[str, str]:
    from tenant_console.core.move.targets import label_and_slug

    return label_and_slug(registry, selection, alias)


def _confirm_delete(args: argparse.Namespace, label: str, slug: str, source: str) -> None:
    if args.confirm_tenant is not None:
        if args.confirm_tenant != slug:
            raise ConsoleError(f"--confirm-tenant {args.confirm_tenant!r} does not name the tenant being moved "
                               f"({slug!r}); nothing was done.", exit_code=1)
        return
    if not sys.stdin.isatty():
        raise ConsoleError(f"--delete-source deletes {label} from {source!r} once the copy is verified: confirm "
                           f"with --confirm-tenant {slug} (no terminal to ask on). Nothing was done.", exit_code=1)
    answer = input(f"After the copy is verified, {label} will be deleted from {source!r} (a backup is kept). "
                   f"Type the tenant's slug ({slug}) to confirm: ")
    if answer.strip() != slug:
        raise ConsoleError("Not confirmed; nothing was done.", exit_code=1)


def _continue(ctx: CliContext, path: str) -> int:
    from tenant_console.core.move.journal import check_databases, load_journal

    project = ctx.project
    journal = load_journal(path)
    check_databases(journal, project.settings_module, project.registry)
    if ctx.scope_flags:
        with project.session("move-check", alias=journal.source_alias) as s:
            named = {d: str(pk) for d, pk in _resolve_anywhere(ctx, s, journal).items()}
        if named != journal.tenant:
            raise ConsoleError(f"The journal {journal.path} is the move of {journal.tenant_label} "
                               f"({_pairs(journal.tenant)}), not of the tenant you named ({_pairs(named)}). "
                               "Nothing was done.")
    mode = "status" if ctx.args.status else "rollback" if ctx.args.rollback else "resume"
    if mode == "status":
        return _status(ctx, journal)
    if (mode, journal.phase) in (("rollback", "rolled_back"), ("resume", "done")):
        return _nothing_to_do(ctx, journal, mode)
    return _drive(ctx, journal, mode)


def _nothing_to_do(ctx: CliContext, journal: Any, mode: str) -> int:
    """A rollback of a rolled-back move, a resume of a finished one: said so, exit 0, no database written."""
    when = next((h.get("time") for h in reversed(journal.history) if h.get("phase") == journal.phase), None)
    what = "already rolled back" if mode == "rollback" else "already complete"
    if ctx.json:  # the keys of every --json result, and nothing_to_do; where the tenant is now is read
        from tenant_console.core.move.runner import Mover

        started = time.monotonic()
        mover = Mover(ctx.project, journal)
        try:
            where = mover.where()
        finally:
            mover.close()
        print_json({**_result(journal, mode, journal.phase, round(time.monotonic() - started, 3), {}, where),
                    "nothing_to_do": True})
        return 0
    print(f"The move {journal.id} of {journal.tenant_label} is {what}{f' (since {when})' if when else ''}; "
          f"nothing to do. --status {journal.path} says where the tenant is now.")
    return 0


def _resolve_anywhere(ctx: CliContext, session: Any, journal: Any) -> dict[str, Any]:
    """The named tenant, looked up in the source, or in the target once the source no longer has it."""
    from tenant_console.core.errors import ScopeSelectionError

    try:
        return ctx.resolve_scope(session)
    except ScopeSelectionError:
        with ctx.project.session("move-check", alias=journal.target_alias) as t:
            return ctx.resolve_scope(t)


def _pairs(tenant: dict[str, Any]) -> str:
    return ", ".join(f"{d}={pk}" for d, pk in tenant.items())


def _status(ctx: CliContext, journal: Any) -> int:
    from tenant_console.core.move.runner import Mover
    from tenant_console.core.move.status import describe

    mover = Mover(ctx.project, journal)
    try:
        where = mover.where()
    finally:
        mover.close()
    if ctx.json:
        print_json({"journal": str(journal.path), **journal.as_dict(), "now": where.as_dict(),
                    "summary": describe(journal, where)})
        return 0
    for line in describe(journal, where):
        print(line)
    return 0


def _decide(ctx: CliContext, journal: Any) -> Any:
    """The import's decisions, exactly as `import` takes them (its --default and --decisions)."""
    from tenant_console.cli.commands import import_
    from tenant_console.core.importer import ImportInputError, UndecidedConflicts, resolve

    sub = CliContext(project=ctx.project, args=argparse.Namespace(), scope_flags=[])

    def decide(plan: Any) -> Any:
        decisions = read_decisions(plan, journal.options.get("decisions"), journal.options.get("defaults") or [])
        resolution = resolve(plan, decisions)
        try:
            import_._schema_error(plan, resolution)
        except ImportInputError as exc:  # models changed since the export: undecided (only skip takes them)
            raise UndecidedConflicts(exc.message, exit_code=exc.exit_code) from None
        if not ctx.json:
            import_._print_plan(sub, plan, resolution)
        if not resolution.complete:
            raise UndecidedConflicts(import_._undecided_message(resolution).replace(
                "Review them in the console (import FILE --review), or give",
                "Nothing was imported; the tenant is only in the source. Give") + " Then move again with "
                "those options (roll this move back first: --rollback " + str(journal.path) + ").", exit_code=1)
        return decisions, resolution

    return decide


def _result(journal: Any, mode: str, phase: str, seconds: float, timings: dict[str, float],
            where: Any) -> dict[str, Any]:
    """What ``--json`` prints when a move, resume or rollback ends (also when there was nothing to do)."""
    from tenant_console.core.move.runner import outside_links

    return {"ok": True, "mode": mode, "phase": phase, "journal": str(journal.path), "seconds": seconds,
            "timings": timings, "source_digest": journal.source_digest, "target_digest": journal.target_digest,
            "now": where.as_dict(), "outside_links": [link.as_dict() for link in outside_links(journal)]}


def _drive(ctx: CliContext, journal: Any, mode: str) -> int:
    from tenant_console.core.move.journal import digest_rows
    from tenant_console.core.move.runner import MoveJob, Mover
    from tenant_console.core.move.status import describe

    project = ctx.project
    started = time.monotonic()
    timings: dict[str, float] = {}
    state: dict[str, Any] = {"phase": None, "at": started}

    def progress(phase: str, text: str) -> None:
        now = time.monotonic()
        if state["phase"] is not None and state["phase"] != phase:
            timings[str(state["phase"])] = timings.get(str(state["phase"]), 0.0) + now - float(state["at"])
            state["at"] = now
        elif state["phase"] is None:
            state["at"] = now
        state["phase"] = phase
        if not ctx.json:
            sys.stderr.write(f"move: {phase}: {text}\n")
            sys.stderr.flush()

    job = MoveJob(progress=progress)

    def call(session: Any, fn: Any, *a: Any, **kw: Any) -> Any:
        def interrupt() -> None:
            job.cancel()
            session.cancel()

        return ctx.run_to_end(session, fn, *a, on_interrupt=interrupt,
                              what=f"the move's {state['phase'] or 'step'}",
                              stopped=f"The journal {journal.path} says where the move stands (--status).", **kw)

    mover = Mover(project, journal, job=job, decide=_decide(ctx, journal), call=call)
    act = project.audit.begin("move", scope=dict(journal.tenant), database=journal.source_alias,
                              target=journal.target_alias, mode=mode, move=journal.id, journal=str(journal.path),
                              from_phase=journal.phase, delete_source=journal.delete_source)
    try:
        with journal.locked():
            final = mover.rollback() if mode == "rollback" else mover.run()
    except BaseException as exc:
        act.fail(exc, move_phase=journal.phase)
        mover.close()
        if isinstance(exc, ConsoleError) and not ctx.json:
            sys.stderr.write(f"move: stopped in phase {journal.phase}; --status {journal.path} says where the tenant "
                             "is.\n")
        raise
    if state["phase"] is not None:
        timings[str(state["phase"])] = timings.get(str(state["phase"]), 0.0) + time.monotonic() - float(state["at"])
    try:
        where = mover.where()
    finally:
        mover.close()
    seconds = round(time.monotonic() - started, 3)
    act.end("ok", move_phase=final, seconds_total=seconds, timings={k: round(v, 3) for k, v in timings.items()},
            rows=digest_rows(journal.source_digest))
    if ctx.json:
        print_json(_result(journal, mode, final, seconds, timings, where))
        return 0
    if journal.source_digest and journal.target_digest and mode != "rollback":
        rows = []
        for label, d in sorted(journal.source_digest.items()):
            t = journal.target_digest.get(label, {})
            if d["count"] or t.get("count"):
                same = "yes" if (d["count"], d["links"], d["checksum"]) == (t.get("count"), t.get("links"),
                                                                           t.get("checksum")) else "NO"
                rows.append((label, d["count"], d["links"] or "", t.get("count", 0), same))
        print_table(["model", "rows (source)", "links", "rows (target)", "checksum equal"], rows, right=(1, 2, 3))
    steps = ", ".join(f"{k} {v:.2f}s" for k, v in timings.items())
    print(f"Done in {seconds:.2f}s" + (f" ({steps})." if steps else "."))
    for line in describe(journal, where):
        print(line)
    return 0
