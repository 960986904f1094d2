"""``shell``: a Python shell inside a tenant's scope (pretalx's ``shell_scoped``, generalised).

    tenant-console --settings S shell --event__slug=democon
    tenant-console --settings S shell --event=3 -c "print(Submission.objects.count())"
    tenant-console --settings S shell --disabled          # all tenants, deliberately; audited

Every input runs on the session's thread inside the scope and, unless ``--write``
is given, inside the read-only layer (each input its own read-only transaction).
With ``--write`` each input runs in its own transaction, committed only if it succeeds. Models are imported,
and each active tenant is bound to a variable named after its dimension.
"""

from __future__ import annotations

import argparse
import code
import sys
import traceback
from typing import TYPE_CHECKING, Any

from tenant_console.cli.context import CliContext
from tenant_console.core import scopewatch
from tenant_console.core.errors import Cancelled, ConsoleError, ReadOnlyViolation
from tenant_console.core.session import Session

if TYPE_CHECKING:
    from tenant_console.core.repl.crosswrite import ForeignWrite, WriteWatch

NAME = "shell"
HELP = "A Python shell inside a tenant's scope (read-only unless --write)."
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--command", help="Run this code and exit (non-zero if it raises).")
    parser.add_argument("--write", action="store_true", help="Allow writes; each input is committed when it succeeds.")
    parser.add_argument("--allow-cross-tenant", action="store_true",
                        help="With --write: commit even when an input wrote rows of another tenant (audited).")
    parser.add_argument("--plain", action="store_true", help="Use the plain Python REPL even if IPython is installed.")


def _namespace(ctx: CliContext, session: Session) -> dict[str, Any]:
    from tenant_console.core.repl.namespace import build_namespace

    return build_namespace(ctx.project, session)


def _banner(ctx: CliContext, session: Session, ns: dict[str, Any], write: bool) -> str:
    ro = session.server_readonly.describe() if session.server_readonly else "read-only"
    mode = "WRITABLE: each input is committed" if write else f"{ro}: writes are refused"
    bound = ", ".join(sorted(d for d in ctx.project.registry.dimensions if d in ns))
    return (
        f"tenant-console shell on {ctx.project.database_label()} - scope: {session.scope.describe()} - {mode}.\n"
        f"Models are imported; {('tenant variables: ' + bound) if bound else 'no tenant variables'}."
    )


class CrossTenantWrite(ConsoleError):
    """An input wrote rows of another tenant; it was rolled back (``--allow-cross-tenant`` commits it)."""

    audit_outcome = "refused"
    exit_code = 1

    def __init__(self, warning: str, writes: list[ForeignWrite]) -> None:
        self.writes = writes
        super().__init__(
            f"{warning}. Nothing was committed: the input was rolled back, because writable mode is for the "
            "active tenant. If writing into that tenant is intended, run it in that tenant's scope, or pass "
            "--allow-cross-tenant to commit it anyway (audited)."
        )


def execute(ctx: CliContext, session: Session, source: str, ns: dict[str, Any], mode: str, *, write: bool,
            allow_cross_tenant: bool = False) -> None:
    """Compile and run one input on the session thread (scope + read-only layer around it); audited."""
    run_input(ctx, session, None, source, ns, write=write, mode=mode, allow_cross_tenant=allow_cross_tenant)


def run_input(ctx: CliContext, session: Session, codeobj: Any, source: str, ns: dict[str, Any], *,
              write: bool, mode: str = "exec", allow_cross_tenant: bool = False) -> None:
    """Run one compiled input on the session thread, audited before (or not run at all) and after.

    ctrl+c stops the input (``KeyboardInterrupt`` in its code, its query cancelled; a
    writable input is rolled back) and waits for it to stop, so the outcome recorded
    and shown is what happened. In write mode, says what was committed; an input that
    wrote rows of another tenant is rolled back (:class:`CrossTenantWrite`) unless
    ``allow_cross_tenant``.
    """
    audit = ctx.project.audit
    act = audit.begin("shell_input", scope=session.scope.as_dict(), database=session.alias, session=session.name,
                      code=source, writable=write)
    from tenant_console.core.repl.crosswrite import WriteWatch, audit_details, warning_text

    changes: list[dict[str, Any]] = []
    foreign: list[ForeignWrite] = []
    watch = WriteWatch(ctx.project.registry, session.scope, session.alias) if write else None
    try:
        if codeobj is None:
            codeobj = compile(source, "<tenant-console>", mode)
        writes = ctx.run_to_end(session, _exec_input, codeobj, ns, session.alias, write, changes, watch,
                                allow_cross_tenant, foreign, on_interrupt=session.interrupt, what="the input",
                                readonly=not write)
    except BaseException as exc:
        act.fail(exc, **({"committed": False} if write else {}), scope_changes=len(changes),
                 **audit_details(foreign))
        audit.scope_changes(act, changes, scope=session.scope.as_dict())
        raise
    act.end("ok", **({"writes": writes, "committed": True} if write else {}), scope_changes=len(changes),
            **audit_details(foreign))
    audit.scope_changes(act, changes, scope=session.scope.as_dict())
    if foreign:
        sys.stderr.write(warning_text(foreign, session.scope) + " (committed: --allow-cross-tenant)\n")
    if writes:
        sys.stderr.write(f"committed: {writes} statement(s) that write, on {session.alias}\n")



def _exec_input(codeobj: Any, ns: dict[str, Any], alias: str, write: bool, changes: list[dict[str, Any]],
                watch: WriteWatch | None, allow_cross_tenant: bool, foreign: list[ForeignWrite]) -> int:
    """On the session thread: run the code, noting the scopes it enters; return the statements that wrote."""
    with scopewatch.watching() as seen:
        try:
            if not write or watch is None:
                exec(codeobj, ns)
                return 0
            return _exec_counting_writes(codeobj, ns, alias, watch, allow_cross_tenant, foreign)
        finally:
            changes.extend(seen)


def _exec_counting_writes(codeobj: Any, ns: dict[str, Any], alias: str, watch: WriteWatch,
                          allow_cross_tenant: bool, foreign: list[ForeignWrite]) -> int:
    """``exec`` in one transaction (all or nothing), counting the statements that write.

    Rows written into another tenant are found before the commit; unless
    ``allow_cross_tenant``, :class:`CrossTenantWrite` rolls the transaction back.
    """
    from django.db import connections, transaction

    from tenant_console.core.repl.crosswrite import warning_text
    from tenant_console.core.sqlguard import classify

    writes = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal writes
        verdict = classify(str(sql), many=many)
        if not verdict.allowed and verdict.kind not in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
            writes += 1
        return execute(sql, params, many, context)

    with transaction.atomic(using=alias):
        with connections[alias].execute_wrapper(count), watch.watching():
            exec(codeobj, ns)
        foreign.extend(watch.foreign())
        if foreign and not allow_cross_tenant:
            raise CrossTenantWrite(warning_text(foreign, watch.scope), list(foreign))
    return writes


class ScopedConsole(code.InteractiveConsole):
    """The standard REPL, with each input sent to the session thread."""

    def __init__(self, ctx: CliContext, session: Session, ns: dict[str, Any], writable: bool,
                 allow_cross_tenant: bool = False) -> None:
        super().__init__(ns, filename="<tenant-console>")
        self.ctx, self.session, self.writable = ctx, session, writable
        self.allow_cross_tenant = allow_cross_tenant
        self._last = ""
        #: An input was refused (read-only, another tenant's rows, the audit trail) or failed: the shell
        #: exits non-zero at the end, so a script piped in (``shell --write < fix.py``) can tell.
        self.failed = False

    def showtraceback(self) -> None:
        self.failed = True
        super().showtraceback()

    def showsyntaxerror(self, filename: str | None = None, **kwargs: Any) -> None:
        self.failed = True
        super().showsyntaxerror(filename, **kwargs)

    def runcode(self, codeobj: Any) -> None:
        try:
            run_input(self.ctx, self.session, codeobj, self._last, self.locals, write=self.writable,
                      allow_cross_tenant=self.allow_cross_tenant)
        except (KeyboardInterrupt, Cancelled):
            sys.stderr.write("\nKeyboardInterrupt" + (" (rolled back)" if self.writable else "") + "\n")
        except SystemExit:
            raise
        except ReadOnlyViolation as exc:
            self.failed = True
            sys.stderr.write(f"{exc}. Start the shell with --write to allow writes.\n")
        except ConsoleError as exc:  # the audit trail, a read-only breach: said in one paragraph
            self.failed = True
            sys.stderr.write(f"tenant-console: error: {exc.message}\n")
        except BaseException:
            self.showtraceback()

    def push(self, line: str, *args: Any, **kwargs: Any) -> bool:
        self.buffer.append(line)
        self._last = "\n".join(self.buffer)
        self.buffer.pop()
        return super().push(line, *args, **kwargs)


def _run_ipython(ctx: CliContext, session: Session, ns: dict[str, Any], write: bool, banner: str) -> bool:
    """IPython, if installed: each cell runs on the session thread like the plain REPL."""
    try:
        from IPython.terminal.embed import InteractiveShellEmbed
    except ImportError:
        return False

    class ScopedIPython(InteractiveShellEmbed):  # type: ignore[misc]
        def run_cell(self, raw_cell: str, *args: Any, **kwargs: Any) -> Any:
            act = ctx.project.audit.begin("shell_input", scope=session.scope.as_dict(), database=session.alias,
                                          session=session.name, code=raw_cell, writable=write)
            try:
                result = ctx.run_to_end(session, super().run_cell, raw_cell, *args, on_interrupt=session.interrupt,
                                        what="the input", readonly=not write, **kwargs)
            except BaseException as exc:
                act.fail(exc)
                if isinstance(exc, ReadOnlyViolation):
                    print(f"{exc}. Start the shell with --write to allow writes.", file=sys.stderr)
                    return None
                raise
            error = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
            if error is not None:
                act.fail(error)
            else:
                act.end("ok")
            return result

    ScopedIPython(user_ns=ns, banner1=banner + "\n")()
    return True


def run(ctx: CliContext) -> int:
    args = ctx.args
    disabled = bool(getattr(args, "disabled", False))
    if disabled and ctx.scope_flags:
        raise ConsoleError("Give either a tenant (--event=...) or --disabled, not both.")
    dims = ctx.project.registry.dimensions
    if dims and not ctx.scope_flags and not disabled:
        example = next(iter(dims))
        raise ConsoleError(
            f"Choose a tenant for the shell, e.g. --{example}=PK or --{example}__slug=VALUE "
            f"(dimensions: {', '.join(sorted(dims))}), or pass --disabled to work across all tenants deliberately."
        )
    with ctx.open_session("shell", readonly=not args.write) as session:
        if disabled:
            session.disable_scopes(reason="shell --disabled")
        elif ctx.scope_flags:
            session.activate(ctx.resolve_scope(session))
        ns = _namespace(ctx, session)
        if args.command is not None:
            try:
                execute(ctx, session, args.command, ns, "exec", write=args.write,
                        allow_cross_tenant=args.allow_cross_tenant)
            except ReadOnlyViolation as exc:
                raise ConsoleError(f"{exc}. Run the shell with --write to allow writes.", exit_code=1)
            except ConsoleError:
                raise  # the audit trail, an interrupt, a read-only breach: one paragraph, non-zero exit
            except SyntaxError:
                traceback.print_exc(limit=0)
                return 1
            except Exception:
                etype, value, tb = sys.exc_info()
                # Show only the user's frames, not the session plumbing.
                while tb is not None and tb.tb_frame.f_code.co_filename != "<tenant-console>":
                    tb = tb.tb_next
                traceback.print_exception(etype, value, tb)
                return 1
            return 0
        banner = _banner(ctx, session, ns, args.write)
        # IPython runs each cell without the per-input transaction and the check of rows written into
        # another tenant: with --write the plain console runs, which has both.
        if (not args.plain and not args.write and sys.stdin.isatty()
                and _run_ipython(ctx, session, ns, args.write, banner)):
            return 0
        console = ScopedConsole(ctx, session, ns, args.write, args.allow_cross_tenant)
        console.interact(banner=banner, exitmsg="")
    return 1 if console.failed else 0
