"""The export screen: the plan first, then a cancellable export with progress, then the result.

The export gets its own session (its own thread, connection and read-only
transaction), so browsing goes on while it runs and the snapshot it reads is
its own. Planning is a dry run of the same code the CLI runs; the counts shown
are the plan's, the counts in the manifest are what the export read. Cancelling
sets the job's flag (checked between chunks) and cancels the running statement;
the export then removes its temporary files, so nothing is left behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import DataTable, Input, Label, ProgressBar, Static

from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.plural import counted
from tenant_console.core.scope import ScopeState
from tenant_console.ui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from tenant_console.core.export.plan import ExportPlan
    from tenant_console.core.export.runner import ExportJob, ExportOutcome
    from tenant_console.core.export.writer import WriteProgress
    from tenant_console.core.session import Session

POLICIES = ("refuse", "omit", "include")
POLICY_TEXT = {
    "refuse": "stop when a reference leads into another tenant",
    "omit": "leave other tenants' rows out (references recorded as dangling)",
    "include": "export other tenants' rows that are referenced, with what they need",
}


class ExportScreen(ConsoleScreen):
    HELP = ("Export the current tenant, the selected object or the marked objects as a fixture that "
            "manage.py loaddata accepts, with a manifest (counts, schema fingerprints, SHA-256). The plan "
            "lists what will be written; references into another tenant stop the export unless you choose "
            "to leave them out or include them (o). e, or enter in the output field, starts the export; a file "
            "that exists is overwritten only when you start again after being told. The export runs read-only "
            "in its own session; cancel (c) at any time and nothing is left behind.")
    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back"),
        Binding("e", "start", "Export"),  # and enter in the output field
        Binding("o", "policy", "Cross-tenant"),
        Binding("p", "plan", "Re-plan"),
        Binding("c", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = """
    ExportScreen #export-what { padding: 0 1; text-style: bold; }
    ExportScreen #export-body { height: 1fr; }
    ExportScreen #export-plan { width: 1fr; height: 1fr; }
    ExportScreen #export-side { width: 48; height: 1fr; padding: 0 1; border-left: solid $primary-darken-2; }
    ExportScreen #export-refs { height: auto; max-height: 60%; }
    ExportScreen #export-warnings { color: $warning; }
    ExportScreen #export-controls { height: auto; padding: 0 1; }
    ExportScreen #export-output-row { height: 3; }
    ExportScreen #export-output-row Label { padding: 1 1 0 0; }
    ExportScreen #export-output { width: 1fr; }
    ExportScreen #export-progress-row { height: 1; }
    ExportScreen #export-rate { padding: 0 0 0 2; color: $text-muted; }
    ExportScreen #export-result { height: auto; }
    ExportScreen .ok { color: $success; }
    ExportScreen .bad { color: $error; }
    """

    #: Called on the export's session thread with each progress report, before it is posted to the
    #: screen. It exists so a caller can hold an export at a known point (a test cancels mid-write by
    #: blocking here until it has pressed c, however fast the machine); None in normal use.
    progress_hook: Callable[[WriteProgress], None] | None = None

    class Progress(Message):
        """Posted from the export's session thread (``post_message`` is thread-safe)."""

        def __init__(self, progress: WriteProgress) -> None:
            super().__init__()
            self.progress = progress

    def __init__(self, *, objects: list[str] | None = None, tenant: bool = False, output: str | None = None,
                 directory: str | None = None) -> None:
        super().__init__()
        self.objects = list(objects or [])
        self.tenant = tenant or not self.objects
        #: A tenant export follows the console to the new tenant (re-planned); an export of objects
        #: (which belong to the old one) is closed.
        self.tenant_bound = "follow" if self.tenant else "close"
        self.policy = "refuse"
        self.output_path = output
        self._output_defaulted = not output  # the name comes from the plan (and follows a tenant switch)
        self._overwrite: str | None = None  # the output name the user has been told exists (e again: overwrite)
        self.directory = Path(directory) if directory else Path.cwd()
        self.state = "planning"  # planning, planned, exporting, done, cancelled, failed
        self.plan: ExportPlan | None = None
        self.outcome: ExportOutcome | None = None
        self.plans = 0  # completed plans (tests wait on it)
        self._job: ExportJob | None = None
        self._session: Session | None = None
        self._tenant_pks: dict[str, Any] = {}
        self.crumb = "export " + ("tenant" if self.tenant else self.objects[0] + (
            f" (+{len(self.objects) - 1})" if len(self.objects) > 1 else ""))

    # -- tenant switches (see ConsoleScreen.tenant_bound, set in __init__) ---------------
    def tenant_switch_blocker(self) -> str | None:
        if self.state == "exporting":
            return "An export is being written: wait for it, or cancel it (c) on the export screen, first."
        return None

    def tenant_changed(self, scope: ScopeState) -> None:
        self._tenant_pks = scope.pks() if scope.is_active else {}
        self.plan = None
        if self._output_defaulted:
            self.output_path = None  # named after the new tenant by the next plan
        self._show_what()
        self.run_worker(self._plan(), group="export-plan", exclusive=True, exit_on_error=False)

    def _show_what(self) -> None:
        scope = self.console.scope
        what = (f"Export of the tenant {scope.describe()}" if self.tenant
                else f"Export of {', '.join(self.objects)} and what it needs")
        self.query_one("#export-what", Static).update(f"{what} · database {self.console.session.alias}"
                                                      if self.console.session else what)

    # -- layout -----------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static("", id="export-what")
        with Horizontal(id="export-body"):
            yield DataTable(id="export-plan", cursor_type="row", zebra_stripes=True)
            with Vertical(id="export-side"):
                yield Static("", id="export-refs")
                yield Static("", id="export-warnings")
        with Vertical(id="export-controls"):
            yield Static("", id="export-policy")
            with Horizontal(id="export-output-row"):
                yield Label("Output:")
                yield Input(id="export-output", placeholder="NAME.jsonl.gz or NAME.jsonl")
            with Horizontal(id="export-progress-row"):
                yield ProgressBar(id="export-progress", show_eta=False)
                yield Static("", id="export-rate")
            yield Static("", id="export-result")

    def on_mount(self) -> None:
        table = self.query_one("#export-plan", DataTable)
        table.add_columns("model", "role", Text("rows", justify="right"), "other tenant")
        self.query_one("#export-progress-row").display = False  # shown while exporting
        scope = self.console.scope
        if scope.is_active:
            self._tenant_pks = scope.pks()
        self._show_what()
        self._show_policy()
        self.run_worker(self._plan(), group="export-plan", exclusive=True, exit_on_error=False)

    def on_unmount(self) -> None:
        if self._job is not None:
            self._job.cancel()
        if self._session is not None:
            self._session.cancel()
            self._session.close(timeout=0)
            self._session = None

    # -- planning ---------------------------------------------------------------
    def _request(self, *, dry_run: bool, output: Any = None, overwrite: bool = False) -> Any:
        from tenant_console.core.export.runner import ExportRequest

        return ExportRequest(tenant_pks=dict(self._tenant_pks) if self.tenant or not self.objects else {},
                             objects=list(self.objects), output=output, cross_tenant=self.policy,
                             dry_run=dry_run, overwrite=overwrite)

    def _ensure_session(self) -> Session:
        if self._session is None:
            assert self.console.project is not None and self.console.session is not None
            self._session = self.console.project.session("export", alias=self.console.session.alias)
        return self._session

    async def _plan(self) -> None:
        from tenant_console.core.export.runner import ExportJob, run_export

        self.state = "planning"
        self._set_result("Planning… (c cancels)")
        if self.tenant and not self._tenant_pks:
            self.state = "failed"
            self._set_result("Choose a tenant first (t): a tenant export needs one tenant.", bad=True)
            return
        session = self._ensure_session()
        try:
            if self._tenant_pks:
                await _to_thread(session.activate, self._tenant_pks)
            self._job = ExportJob()
            outcome = await session.call(run_export, self.console.project, self._request(dry_run=True), self._job,
                                         session.alias)
        except Exception as exc:
            self.state = "failed"
            self._set_result(_message(exc), bad=True)
            return
        finally:
            self._job = None
        if not self.is_attached:  # the user left while planning
            return
        self.plan = outcome.plan
        self.state = "planned"
        self.plans += 1
        self._show_plan(outcome.plan)
        if not self.output_path:
            from tenant_console.core.export.storage import default_name

            self.output_path = str(self.directory / default_name(self._tenant_pks if self.tenant else {},
                                                                 self.objects))
        self.query_one("#export-output", Input).value = self.output_path
        if outcome.plan.refused:
            self._set_result(f"{len(outcome.plan.cross_tenant)} reference(s) lead into another tenant: press o to "
                             "leave them out or include them, then e.", bad=True)
        else:
            self._set_result(f"Ready: {counted(outcome.plan.total, 'row')}. Press e to export.")

    def _show_plan(self, plan: ExportPlan) -> None:
        table = self.query_one("#export-plan", DataTable)
        table.clear()
        others = plan.other_tenants()
        for sel in plan.selections:
            other = others.get(sel.label, "")
            table.add_row(sel.label, sel.role, Text(f"{sel.count:,}", justify="right"),
                          Text(other, style="red" if other and plan.refused else ""))
        table.add_row(Text("total", style="bold"), "", Text(f"{plan.total:,}", justify="right", style="bold"), "")
        refs = plan.cross_tenant
        if refs:
            lines = [f"[b]Cross-tenant references ({len(refs)})[/b]"]
            lines += [Text(plan.describe(r), style="red").markup for r in refs[:12]]
            if len(refs) > 12:
                lines.append(f"… and {len(refs) - 12} more")
        else:
            lines = ["[b]Cross-tenant references[/b]", "none"]
        self.query_one("#export-refs", Static).update("\n".join(lines))
        warnings = [f"⚠ {w}" for w in plan.warnings]
        self.query_one("#export-warnings", Static).update("\n".join(warnings))

    def _show_policy(self) -> None:
        self.query_one("#export-policy", Static).update(
            f"Cross-tenant: [b]{self.policy}[/b] — {POLICY_TEXT[self.policy]} (o changes)")

    def _set_result(self, text: str, *, bad: bool = False, ok: bool = False) -> None:
        if not self.is_attached:  # a worker finishing after the screen was closed
            return
        result = self.query_one("#export-result", Static)
        result.set_class(bad, "bad")
        result.set_class(ok, "ok")
        result.update(text)

    # -- actions ------------------------------------------------------------------
    def action_policy(self) -> None:
        if self.state in ("exporting", "planning"):
            return
        self.policy = POLICIES[(POLICIES.index(self.policy) + 1) % len(POLICIES)]
        self._show_policy()
        self.run_worker(self._plan(), group="export-plan", exclusive=True, exit_on_error=False)

    def action_plan(self) -> None:
        if self.state not in ("exporting", "planning"):
            self.run_worker(self._plan(), group="export-plan", exclusive=True, exit_on_error=False)

    def action_start(self) -> None:
        if self.state == "exporting":
            return
        if self.plan is None or self.state == "planning":
            self.notify("Wait for the plan first.", severity="warning")
            return
        if self.plan.refused:
            self.notify("The export would stop at the cross-tenant references; press o to choose what to do "
                        "with them.", title="Export", severity="warning")
            return
        self.run_worker(self._export(), group="export-run", exclusive=True, exit_on_error=False)

    def action_cancel(self) -> None:
        if self._job is None:
            return
        self._job.cancel()
        if self._session is not None:
            self._session.cancel()
        self._set_result("Cancelling…")

    def action_back(self) -> None:
        self.action_cancel()
        super().action_back()

    # -- exporting ----------------------------------------------------------------
    async def _export(self) -> None:
        from tenant_console.core.export.loading import loading_needs
        from tenant_console.core.export.runner import ExportJob, run_export
        from tenant_console.core.export.storage import LocalOutput, OutputExists

        name = self.query_one("#export-output", Input).value.strip()
        overwrite = self._overwrite == name
        try:
            output = LocalOutput(name)
            output.check(overwrite)
        except OutputExists as exc:
            self._overwrite = name  # asked once: the same name again (e or enter) overwrites
            self._set_result(f"{escape(exc.existing)} already exists. Press e (or enter in the output field) "
                             "again to overwrite it, or change the name.", bad=True)
            return
        except ConsoleError as exc:
            self._set_result(exc.message, bad=True)
            return
        self._overwrite = None
        session = self._ensure_session()
        self.state = "exporting"

        def report(p: WriteProgress) -> None:
            hook = self.progress_hook
            if hook is not None:
                hook(p)
            self.post_message(self.Progress(p))

        self._job = ExportJob(progress=report)
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=max(self.plan.total if self.plan else 1, 1), progress=0)
        self.query_one("#export-progress-row").display = True
        self._set_result("Exporting… (c cancels)")
        started = time.monotonic()
        try:
            request = self._request(dry_run=False, output=output, overwrite=overwrite)
            self.outcome = await session.call(run_export, self.console.project, request, self._job, session.alias)
        except Cancelled:
            self.state = "cancelled"
            self._set_result("Cancelled: nothing was written (temporary files removed).", bad=True)
            return
        except Exception as exc:
            self.state = "failed"
            self._set_result(f"The export failed and left nothing behind: {_message(exc)}", bad=True)
            return
        finally:
            self._job = None
        self.state = "done"
        if not self.is_attached:
            return
        result = self.outcome.result
        assert result is not None
        bar.update(total=max(result.objects, 1), progress=max(result.objects, 1))
        seconds = time.monotonic() - started
        manifest = output.manifest_path
        loading = loading_needs(self.outcome.manifest, str(manifest)) if self.outcome.manifest else None
        self.query_one("#export-rate", Static).update(f"{counted(result.objects, 'row')} in {seconds:.1f}s")
        self._set_result(
            f"Exported {result.objects:,} objects to {escape(str(output.path))}\n"
            f"manifest {escape(str(manifest))} · {result.bytes:,} bytes · SHA-256 {result.sha256}"
            + (f"\n[$warning]⚠ {escape(loading.summary())}\n{escape(loading.advice(output.path.name))} "
               f"In this console: :import {escape(str(output.path))}[/]" if loading else ""), ok=True)
        self.notify(f"Exported {result.objects:,} objects to {output.path.name}", title="Export")

    @on(Input.Submitted, "#export-output")
    def _output_submitted(self, event: Input.Submitted) -> None:
        """Enter in the output field starts the export, as e does."""
        event.stop()
        self.action_start()

    @on(Progress)
    def _on_progress(self, message: Progress) -> None:
        p = message.progress
        if self.state != "exporting":
            return
        self.query_one("#export-progress", ProgressBar).update(total=max(p.total, 1), progress=p.done)
        eta = f" · ETA {p.eta:.0f}s" if p.eta is not None else ""
        self.query_one("#export-rate", Static).update(f"{p.done:,}/{p.total:,} rows · {p.rate:,.0f} rows/s{eta} · "
                                                      f"{p.model}")


def _message(exc: BaseException) -> str:
    if isinstance(exc, ConsoleError):
        return exc.message
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


async def _to_thread(fn: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args)


__all__ = ["ExportScreen"]
