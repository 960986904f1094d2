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
from typing import Any

from tenant_console.cli.context import CliContext
from tenant_console.core.errors import ConsoleError, ReadOnlyViolation
from tenant_console.core.session import Session

NAME = "shell"
HELP = "A Python shell inside a tenant's scope (read-only unless --write)."
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--command", help="Run this code and exit (non-zero if it raises).")
    parser.add_argument("--write", action="store_true", help="Allow writes; each input is committed when it succeeds.")
    parser.add_argument("--plain", action="store_true", help="Use the plain Python REPL even if IPython is installed.")


def _namespace(ctx: CliContext, session: Session) -> dict[str, Any]:
    from tenant_console.core.repl.namespace import build_namespace

    return build_namespace(ctx.project, session)


def _banner(ctx: CliContext, session: Session, ns: dict[str, Any], write: bool) -> str:
    mode = "WRITABLE: each input is committed" if write else "read-only: writes are refused"
    bound = ", ".join(sorted(d for d in ctx.project.registry.dimensions if d in ns))
    return (
        f"tenant-console shell on {ctx.project.database_label()} - scope: {session.scope.describe()} - {mode}.\n"
        f"Models are imported; {('tenant variables: ' + bound) if bound else 'no tenant variables'}."
    )


def execute(session: Session, source: str, ns: dict[str, Any], mode: str, *, write: bool) -> None:
    """Compile and run one input on the session thread (scope + read-only layer around it)."""
    run_code(session, compile(source, "<tenant-console>", mode), ns, write=write)


def run_code(session: Session, codeobj: Any, ns: dict[str, Any], *, write: bool) -> None:
    """Run compiled code on the session thread; in write mode, say what was committed."""
    if not write:
        session.run(exec, codeobj, ns, readonly=True)
        return
    writes = session.run(_exec_counting_writes, codeobj, ns, session.alias, readonly=False)
    if writes:
        sys.stderr.write(f"committed: {writes} statement(s) that write, on {session.alias}\n")


def _exec_counting_writes(codeobj: Any, ns: dict[str, Any], alias: str) -> int:
    """``exec`` in one transaction (all or nothing), counting the statements that write."""
    from django.db import connections, transaction

    from tenant_console.core.sqlguard import classify

    writes = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal writes
        verdict = classify(str(sql), many=many)
        if not verdict.allowed and verdict.kind not in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
            writes += 1
        return execute(sql, params, many, context)

    with transaction.atomic(using=alias), connections[alias].execute_wrapper(count):
        exec(codeobj, ns)
    return writes


class ScopedConsole(code.InteractiveConsole):
    """The standard REPL, with each input sent to the session thread."""

    def __init__(self, ctx: CliContext, session: Session, ns: dict[str, Any], writable: bool) -> None:
        super().__init__(ns, filename="<tenant-console>")
        self.ctx, self.session, self.writable = ctx, session, writable
        self._last = ""

    def runcode(self, codeobj: Any) -> None:
        try:
            run_code(self.session, codeobj, self.locals, write=self.writable)
            self.ctx.project.audit.record(
                "shell_input", scope=self.session.scope.as_dict(), source=self._last, write=self.writable
            )
        except KeyboardInterrupt:
            self.session.interrupt()
            sys.stderr.write("\nKeyboardInterrupt\n")
        except SystemExit:
            raise
        except ReadOnlyViolation as exc:
            sys.stderr.write(f"{exc}. Start the shell with --write to allow writes.\n")
            self.ctx.project.audit.record(
                "shell_input",
                scope=self.session.scope.as_dict(),
                source=self._last,
                outcome="refused",
                write=self.writable,
            )
        except BaseException:
            self.showtraceback()
            self.ctx.project.audit.record(
                "shell_input",
                scope=self.session.scope.as_dict(),
                source=self._last,
                outcome="error",
                write=self.writable,
            )

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
            outcome = "ok"
            try:
                return session.run(super().run_cell, raw_cell, *args, readonly=not write, **kwargs)
            except ReadOnlyViolation as exc:
                outcome = "refused"
                print(f"{exc}. Start the shell with --write to allow writes.", file=sys.stderr)
            finally:
                ctx.project.audit.record(
                    "shell_input", scope=session.scope.as_dict(), source=raw_cell, outcome=outcome, write=write
                )

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
            ctx.project.audit.record(
                "shell_input", scope=session.scope.as_dict(), source=args.command, write=args.write
            )
            try:
                execute(session, args.command, ns, "exec", write=args.write)
            except ReadOnlyViolation as exc:
                raise ConsoleError(f"{exc}. Run the shell with --write to allow writes.", exit_code=1)
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
        if not args.plain and sys.stdin.isatty() and _run_ipython(ctx, session, ns, args.write, banner):
            return 0
        ScopedConsole(ctx, session, ns, args.write).interact(banner=banner, exitmsg="")
    return 0
