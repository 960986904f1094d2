"""The closure summary: the whole walk of the root, computed in the background with progress.

The walk runs in a session of its own (read-only, like the console's), so
expanding the tree stays responsive while a large closure is computed. The
walker reports progress from that session's thread; the panel hands it to the
event loop with ``call_soon_threadsafe`` and never blocks on it. Leaving the
screen (or re-rooting) stops the walk at its next query.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import ProgressBar, Static

from tenant_console.core.errors import Cancelled
from tenant_console.core.graph.classify import tenant_labels
from tenant_console.core.graph.result import CrossTenantEdge, GraphResult
from tenant_console.core.graph.rules import WalkRules
from tenant_console.core.graph.walker import WalkProgress, walk

if TYPE_CHECKING:
    from tenant_console.core.session import Session
    from tenant_console.ui.app import TenantConsoleApp

MAX_CROSS_SHOWN = 20


class SummaryPanel(VerticalScroll):
    """Counts per model, references into other tenants, queries: the root's whole closure."""

    DEFAULT_CSS = """
    SummaryPanel { width: 48; height: 1fr; border-left: solid $primary-darken-2; padding: 0 1; }
    SummaryPanel #summary-title { text-style: bold; }
    SummaryPanel ProgressBar { margin: 0 0 1 0; }
    SummaryPanel #summary-progress-text { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.result: GraphResult | None = None
        self.runs = 0  # completed walks (tests wait on it)
        self._session: Session | None = None
        self._generation = 0
        self._last_update = 0.0

    @property
    def console(self) -> TenantConsoleApp:
        return cast("TenantConsoleApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("Closure", id="summary-title")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="summary-bar")
        yield Static("", id="summary-progress-text")
        yield Static("", id="summary-body")

    def compute(self, model_label: str, pk: Any, reference: dict[str, Any] | None,
                rules: WalkRules | None = None) -> None:
        """(Re)start the walk of ``model_label``/``pk``; a walk still running is stopped."""
        self._generation += 1
        self.result = None
        self.query_one("#summary-bar").display = True
        self.query_one("#summary-progress-text", Static).update("starting…")
        self.query_one("#summary-body", Static).update("")
        self.run_worker(self._run(self._generation, model_label, pk, reference, rules or WalkRules()),
                        group="graph-summary", exclusive=True, exit_on_error=False)

    def _session_for_walks(self) -> Session:
        console = self.console
        assert console.project is not None and console.session is not None
        if self._session is None:
            self._session = console.project.session("graph-summary", alias=console.session.alias)
        return self._session

    async def _run(self, generation: int, model_label: str, pk: Any, reference: dict[str, Any] | None,
                   rules: WalkRules) -> None:
        console = self.console
        assert console.project is not None
        loop = asyncio.get_running_loop()
        registry = console.project.registry

        def progress(p: WalkProgress) -> None:  # on the summary session's thread
            if generation != self._generation:
                raise Cancelled("The closure summary was replaced.")
            now = time.monotonic()
            if now - self._last_update > 0.1:
                self._last_update = now
                loop.call_soon_threadsafe(self._show_progress, generation, p)

        session = self._session_for_walks()
        started = time.monotonic()
        try:
            result = await session.call(walk, registry, [(model_label, pk)], rules, session.alias,
                                        tenant=reference or None, progress=progress, scoped=False)
            wanted: dict[str, set[Any]] = defaultdict(set)
            for dim, value in result.reference.items():
                wanted[dim].add(value)
            for c in result.cross_tenant:
                for dim in c.dimensions:
                    wanted[dim].update((c.source_tenant.get(dim), c.target_tenant.get(dim)))
            labels = await session.call(tenant_labels, registry, wanted, session.alias, scoped=False)
        except Cancelled:
            return
        except Exception as exc:
            if generation == self._generation:
                self.query_one("#summary-bar").display = False
                self.query_one("#summary-progress-text", Static).update(Text(f"failed: {exc}", style="red"))
                self.runs += 1
            raise
        if generation != self._generation:
            return
        self.result = result
        self.query_one("#summary-bar").display = False
        elapsed = time.monotonic() - started
        self.query_one("#summary-progress-text", Static).update(
            f"{len(result.nodes):,} objects · {result.queries:,} queries · {result.levels} levels"
            + ("" if self.app.is_headless else f" · {elapsed:.1f} s"))
        self.query_one("#summary-body", Static).update(render_summary(result, labels))
        self.runs += 1

    def _show_progress(self, generation: int, p: WalkProgress) -> None:
        if generation != self._generation or not self.is_mounted:
            return
        self.query_one("#summary-progress-text", Static).update(
            f"level {p.level} · {p.nodes:,} objects · {p.queries:,} queries\n{p.model} {p.relation}")

    def stop(self) -> None:
        """Stop a running walk and close the summary session (on leaving the screen)."""
        self._generation += 1
        if self._session is not None:
            session, self._session = self._session, None
            session.cancel()
            session.close(timeout=0)

    def on_unmount(self) -> None:
        self.stop()


def render_summary(result: GraphResult, labels: dict[str, dict[str, str]]) -> Group:
    """Counts per model (with shared / other-tenant columns) and the references into other tenants."""
    table = Table(box=None, pad_edge=False, show_edge=False, expand=True)
    table.add_column("model", style="bold", no_wrap=True, overflow="ellipsis")
    table.add_column("n", justify="right")
    table.add_column("shared", justify="right", style="dim")
    table.add_column("other", justify="right", style="bold red")
    by_class = result.counts_by_classification()
    for model, n in sorted(result.counts().items()):
        c = by_class.get(model, {})
        table.add_row(model, f"{n:,}", f"{c.get('shared', 0) or ''}", f"{c.get('other-tenant', 0) or ''}")
    parts: list[Any] = [table, Text("")]
    if result.cross_tenant:
        n = len(result.cross_tenant)
        what = "1 reference into another tenant" if n == 1 else f"{n:,} references into other tenants"
        parts.append(Text(f"⚠ {what}", style="bold red"))
        for edge in result.cross_tenant[:MAX_CROSS_SHOWN]:
            parts.append(Text(""))
            parts.extend(cross_tenant_lines(edge, labels))
        if n > MAX_CROSS_SHOWN:
            parts.append(Text(f"  … {n - MAX_CROSS_SHOWN} more", style="red"))
    else:
        parts.append(Text("No references into other tenants.", style="green"))
    if result.missing:
        parts.append(Text(f"{len(result.missing)} reference(s) to missing rows", style="yellow"))
    if result.unexpanded:
        parts.append(Text(f"{result.unexpanded:,} objects at the depth limit", style="yellow"))
    return Group(*parts)


def node_text(key: Any) -> str:
    """``conference.Submission #12`` for a walk key (``("conference.submission", 12)``)."""
    from django.apps import apps

    try:
        label = apps.get_model(key[0])._meta.label
    except (LookupError, ValueError):
        label = key[0]
    return f"{label} #{key[1]}"


def cross_tenant_lines(c: CrossTenantEdge, labels: dict[str, dict[str, str]]) -> list[Any]:
    """One reference into another tenant, as short lines; a line too long for the panel wraps
    under its own text (a hanging indent), not back at the panel's edge::

        ⚠ conference.Review #21203
            —submission→ conference.Submission #10441
            from event: DemoCon 2026 (democon)
            into event: PyCon Nordic (pycon-nordic)
    """
    def tenants(side: dict[str, Any]) -> str:
        return ", ".join(f"{d}: {labels.get(d, {}).get(str(side.get(d))) or side.get(d)}" for d in c.dimensions)

    body = Table.grid(padding=0, expand=True)
    body.add_column(width=4, no_wrap=True)
    body.add_column(ratio=1, overflow="fold")
    body.add_row("", Text(f"—{c.edge.relation}→ {node_text(c.edge.target)}", style="red"))
    body.add_row("", Text(f"from {tenants(c.source_tenant)}", style="dim"))
    body.add_row("", Text(f"into {tenants(c.target_tenant)}", style="bold red"))
    return [Text(f"⚠ {node_text(c.edge.source)}", style="bold red", overflow="fold"), body]
