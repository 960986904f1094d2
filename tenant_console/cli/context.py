"""What every headless command gets: the loaded project, its options, and a session factory."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenant_console.cli.output import warn
from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.core.project import Project
from tenant_console.core.session import Session

T = TypeVar("T")


@dataclass
class CliContext:
    project: Project
    args: argparse.Namespace
    scope_flags: list[ScopeFlag] = field(default_factory=list)
    _checked: bool = False

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def open_session(self, name: str = "cli", *, readonly: bool = True, check: bool = True,
                     full_notices: bool = False) -> Session:
        """A session on the chosen database, checked once (reachable, migrated). The project's long
        warnings are printed in full the first time and as one line after (``full_notices``: always full)."""
        from tenant_console.core.checks import check_database

        session = self.project.session(name, readonly=readonly)
        if check and not self._checked:
            try:
                for message in session.run(check_database, self.project.alias, scoped=False, readonly=False):
                    warn(message)
            except BaseException:
                session.close()
                raise
            self._checked = True
        if session.alias == self.project.config.readonly_database:
            self._check_server_read_only(session)
        from tenant_console.core.notices import texts

        for message in texts(self.project.warnings, self.project.config.state_dir, full=full_notices):
            warn(message)
        self.project.warnings.clear()
        return session

    def _check_server_read_only(self, session: Session) -> None:
        """``READONLY_DATABASE``: check the role's privileges once, say when the server does not enforce it."""
        from tenant_console.core.readonly import server_read_only

        try:
            session.server_readonly = session.run(server_read_only, session.alias, scoped=False)
        except BaseException:
            session.close()
            raise
        if not session.server_readonly.enforced:
            warn(f"TENANT_CONSOLE['READONLY_DATABASE'] = {session.alias!r} is not read-only on the server ("
                 + "; ".join(session.server_readonly.reasons) + "); read-only is enforced by the console only.")

    def resolve_scope(self, session: Session, *, allow_disabled: bool = False) -> dict[str, Any]:
        """Turn the ``--DIM[__LOOKUP]=VALUE`` flags into ``{dimension: pk}`` (on the session thread)."""
        from tenant_console.core.tenants import parse_scope_flag, resolve_tenant

        registry = self.project.registry
        parsed = [(flag, *parse_scope_flag(registry, flag.name, flag.given)) for flag in self.scope_flags]

        def resolve() -> dict[str, Any]:
            selection: dict[str, Any] = {}
            for flag, dim, lookup in parsed:
                if dim in selection:
                    from tenant_console.core.errors import ScopeSelectionError

                    raise ScopeSelectionError(f"The dimension {dim!r} was given twice ({flag.text}).")
                selection[dim] = resolve_tenant(registry, dim, lookup, flag.given, alias=session.alias)
            return selection

        return session.run(resolve, scoped=False, readonly=True)

    def run_to_end(self, session: Session, fn: Callable[..., T], *args: Any, on_interrupt: Callable[[], Any],
                   what: str, stopped: str = "", **kwargs: Any) -> T:
        """Run ``fn`` on the session and wait for it, whatever ctrl+c says, so the outcome is the truth.

        The first ctrl+c calls ``on_interrupt`` (cancel the job, interrupt the
        session's code) and keeps waiting: the work either stops (its future fails
        with :class:`Cancelled`, re-raised with ``stopped`` added) or had already
        finished, which is then said, and its result returned. Never returns
        while the work is still running, so nothing commits behind the exit.
        """
        from concurrent.futures import TimeoutError as FutureTimeout

        from tenant_console.core.errors import Cancelled

        future = session.submit(fn, *args, **kwargs)
        interrupted = False
        while True:
            try:
                # Wake up now and then: the kernel may deliver SIGINT to the session's thread, and
                # Python only runs the handler (KeyboardInterrupt) once the main thread runs again.
                result = future.result(timeout=0.1)
            except FutureTimeout:
                continue
            except KeyboardInterrupt:
                if not interrupted:
                    interrupted = True
                    on_interrupt()
                    sys.stderr.write(f"\nInterrupting {what}; waiting for it to stop (or finish) to say which.\n")
                else:
                    sys.stderr.write(f"Still waiting for {what} to stop; the outcome will be reported.\n")
                sys.stderr.flush()
                continue
            except Cancelled as exc:
                if interrupted and stopped:
                    raise Cancelled(f"Interrupted: {what} was stopped. {stopped}") from exc
                raise
            if interrupted:
                warn(f"The interrupt came too late: {what} had already finished, and its result stands.")
            return result
