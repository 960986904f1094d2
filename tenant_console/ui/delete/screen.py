"""The delete preview as a tree by model, and the one way to a delete from the console.

Everything is computed by ``tenant_console.core.delete`` on the session thread
(in a read-only block); this screen only shows it. ``y`` asks for a typed
confirmation that names the database, the tenant and the count (and both
tenants when the cascade reaches another one, or the tenant's slug when the
tenant itself goes), then runs the delete on its own writable session: re-check,
backup, delete, in one transaction. While that runs the tenant cannot be switched.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, Tree

from tenant_console.core.errors import ConsoleError
from tenant_console.core.plural import counted
from tenant_console.ui.screens.base import ConsoleScreen
from tenant_console.ui.screens.dialogs import TypedConfirm
from tenant_console.ui.writing import audited_write

#: Keys listed under a model node (the counts are always complete).
SHOWN_KEYS = 50


class DeleteScreen(ConsoleScreen):
    HELP = ("What a delete would do, as Django will do it: the rows deleted per model, the rows changed "
            "(SET_NULL), what blocks it (PROTECT, RESTRICT) and every row of another tenant it reaches, in red. "
            "y deletes after a typed confirmation: every touched row is backed up first (the path is shown and "
            "audited; :import restores it), then everything is deleted in one transaction.")
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("y", "delete", "Delete…"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    DeleteScreen #delete-title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    DeleteScreen #delete-tree { height: 1fr; }
    DeleteScreen #delete-status { height: auto; max-height: 8; padding: 0 1; background: $panel; }
    """

    def __init__(self, targets: list[str], filter_text: str | None = None) -> None:
        super().__init__()
        self.targets = targets
        self.filter_text = filter_text if filter_text is not None and targets and targets[0].count(".") == 1 \
            else None
        what = " ".join(targets[:3]) + (f" (+{len(targets) - 3})" if len(targets) > 3 else "")
        if self.filter_text is not None:
            what = f"{targets[0]} rows matching {self.filter_text!r}" if self.filter_text else f"every {targets[0]}"
        self.crumb = f"delete {what}"
        self.preview: Any = None
        self.roots: Any = None
        self.slug: str | None = None
        self.report: Any = None
        self.state = "loading"  # loading, ready, failed, applying, done
        self.loaded = 0  # completed loads (tests wait on this)

    def compose_body(self) -> ComposeResult:
        yield Static(f"Delete: {self.crumb[7:]}", id="delete-title")
        yield Tree("Computing the cascade ...", id="delete-tree")
        yield Static("", id="delete-status")

    def on_mount(self) -> None:
        self.query_one(Tree).focus()
        self.action_reload()

    def tenant_switch_blocker(self) -> str | None:
        if self.state == "applying":
            return "A delete is running; the tenant switches when it has finished."
        return None

    # -- the preview -------------------------------------------------------------------
    def action_reload(self) -> None:
        if self.state == "applying":
            return
        self.run_worker(self._load(), group="delete-preview", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        from tenant_console.core.delete import plan_delete

        console = self.console
        assert console.project is not None and console.session is not None
        self.state = "loading"
        tenant = console.scope.pks() if console.scope.is_active else {}
        try:
            self.roots, self.preview, self.slug = await console.db(
                plan_delete, console.project.registry, console.session.alias, tenant, self.targets,
                self.filter_text, quiet=True)
        except Exception as exc:
            cause = exc.__cause__ or exc
            message = cause.message if isinstance(cause, ConsoleError) else f"{type(cause).__name__}: {cause}"
            self.state = "failed"
            tree = self.query_one(Tree)
            tree.reset(Text("Nothing can be deleted here", style="bold red"))
            self._status(f"[b red]{_escape(message)}[/]")
            self.loaded += 1
            return
        self.state = "ready"
        self._show(self.preview)
        self.loaded += 1

    def _show(self, preview: Any) -> None:
        from tenant_console.core.delete import refusals

        tree = self.query_one(Tree)
        title = Text(f"{_rows(preview.total)} would be deleted, {preview.total_updated:,} changed on {preview.alias} "
                     f"({preview.vendor}) in {', '.join(preview.scope.values())}", style="bold")
        tree.reset(title)
        tree.root.expand()
        other_by_model: dict[str, list[Any]] = {}
        for c in preview.cross_tenant:
            other_by_model.setdefault(c.label, []).append(c)
        for entry in preview.deletes:
            label = Text(f"{entry.label}  ", style="bold")
            label.append(_rows(entry.count), style="")
            label.append(f"  {entry.kind}", style="dim")
            if entry.other_count:
                label.append(f"  ⚠ {entry.other_count:,} of another tenant", style="bold red")
            node = tree.root.add(label, expand=bool(entry.other_count))
            foreign = {pk for pks in entry.other_tenant.values() for pk in pks}
            for pk in entry.pks[:SHOWN_KEYS]:
                node.add_leaf(Text(f"#{pk}" + ("  ⚠ other tenant" if pk in foreign else ""),
                                   style="red" if pk in foreign else ""))
            if entry.count > SHOWN_KEYS:
                node.add_leaf(Text(f"… and {entry.count - SHOWN_KEYS:,} more", style="dim"))
        if preview.updates:
            changed = tree.root.add(Text(f"Changed ({_rows(preview.total_updated)})", style="bold yellow"),
                                    expand=True)
            for entry in preview.updates:
                fields = ", ".join(f"{k} → {v}" for k, v in entry.fields.items())
                changed.add_leaf(Text(f"{entry.label}: {fields}  {_rows(entry.count)}"
                                      + (f"  ⚠ {entry.other_count:,} of another tenant" if entry.other_count else ""),
                                      style="red" if entry.other_count else ""))
        if preview.blockers:
            blocked = tree.root.add(Text("BLOCKED: nothing can be deleted until these rows are deleted or changed",
                                          style="bold red"), expand=True)
            for b in preview.blockers:
                keys = ", ".join(f"#{pk}" for pk in b.pks[:10]) + (" …" if len(b.pks) > 10 else "")
                blocked.add_leaf(Text(f"{len(b.pks):,} {b.label} ({b.how.upper()} via {b.relation}): {keys}",
                                      style="red"))
        if preview.cross_tenant:
            other = tree.root.add(Text(f"Another tenant ({_rows(len(preview.cross_tenant))})", style="bold red"),
                                  expand=True)
            for c in preview.cross_tenant[:SHOWN_KEYS]:
                other.add_leaf(Text(str(c), style="red"))
        reasons = refusals(preview, allow_cross_tenant=True, tenant_confirmation=None, tenant_slug=None)
        blocked_now = bool(preview.blockers)
        lines = [f"{preview.queries} queries."]
        if preview.tenants_deleted:
            lines.append(f"[b red]The tenant itself goes:[/] {_escape(', '.join(preview.tenants_deleted))}.")
        if preview.cross_tenant:
            lines.append("[b red]This delete reaches another tenant.[/] y asks you to type both tenants' names.")
        if blocked_now:
            lines.append(f"[b red]Blocked:[/] {_escape(reasons[0])}")
        elif preview.total:
            lines.append("[b]y[/b] delete (typed confirmation; every row is backed up first) · esc back")
        self._status(" ".join(lines))

    # -- the delete ----------------------------------------------------------------------
    def action_delete(self) -> None:
        from tenant_console.core.delete import confirmation_phrase

        preview = self.preview
        if self.state != "ready" or preview is None:
            self.notify("The preview is not ready." if self.state != "done" else "Already deleted.",
                        severity="warning")
            return
        if preview.blockers:
            self.notify("Rows protect what you delete (PROTECT/RESTRICT); delete or change them first.",
                        title="Blocked", severity="error")
            return
        if not preview.total:
            self.notify("Nothing to delete.", severity="warning")
            return
        tenant = ", ".join(preview.scope.values())
        phrase = confirmation_phrase(preview) or "delete"
        text = (f"[b]Delete {_rows(preview.total)}[/b] ({preview.total_updated:,} more changed) of "
                f"[b]{_escape(tenant)}[/b] on the database [b]{preview.alias}[/b] ({preview.vendor}).\n"
                "This switches to writable mode for this delete only. Every row is backed up first.")
        if preview.cross_tenant:
            others = sorted({c.tenant for c in preview.cross_tenant})
            text += (f"\n[b red]It also deletes or changes {_rows(len(preview.cross_tenant))} of "
                     f"{_escape(' and '.join(others))}.[/]")
            phrase = f"{phrase} across {tenant} and {' and '.join(others)}"
        if preview.tenants_deleted and self.slug:
            text += f"\n[b red]The tenant itself is deleted: {_escape(', '.join(preview.tenants_deleted))}.[/]"
            phrase = f"{phrase} {self.slug}"

        def done(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._apply(), group="delete-apply", exclusive=True, exit_on_error=False)

        self.app.push_screen(TypedConfirm(text, phrase), done)

    async def _apply(self) -> None:
        from tenant_console.core.delete import DeleteRefused, apply_delete, backup_path
        from tenant_console.core.export.storage import LocalOutput

        console = self.console
        project = console.project
        assert project is not None and console.session is not None
        preview = self.preview
        tenant = console.scope.pks()
        scope = {d: str(pk) for d, pk in tenant.items()}
        self.state = "applying"
        self._status("[b]Deleting ...[/b] (backup first, then one transaction)")
        try:
            output = LocalOutput(await asyncio.to_thread(backup_path, project.config.state_dir, preview))
            # no record, no delete: the act is begun before anything is written
            act = await asyncio.to_thread(
                project.audit.begin, "delete", scope=scope, database=preview.alias, roots=preview.roots,
                counts=preview.counts(), updated=preview.total_updated, cross_tenant=len(preview.cross_tenant),
                allowed_cross_tenant=bool(preview.cross_tenant), tenant_deleted=preview.tenants_deleted,
                dry_run=False, backup=output.display, source="console")
        except (ConsoleError, OSError) as exc:
            self.state = "ready"
            message = exc.message if isinstance(exc, ConsoleError) else str(exc)
            self._status(f"[b red]Nothing was deleted:[/] {_escape(message)}")
            self.notify(message, title="Delete not started", severity="error")
            return
        work = functools.partial(
            apply_delete, project, preview.alias, tenant, self.roots, expected=preview.fingerprint(), backup=output,
            allow_cross_tenant=bool(preview.cross_tenant), tenant_confirmation=self.slug, tenant_slug=self.slug)
        try:
            self.report = await audited_write(
                console, act, work, name="delete-apply", alias=preview.alias, tenant=tenant,
                activity=f"WRITING: delete on {preview.alias}", failed={"deleted": False},
                end=lambda act, report: act.end("ok", deleted=report.deleted, total=report.total,
                                                backup_sha256=report.backup_sha256))
        except Exception as exc:
            message = exc.message if isinstance(exc, ConsoleError) else f"{type(exc).__name__}: {exc}"
            self.state = "ready"
            if isinstance(exc, DeleteRefused) and exc.preview is not None:
                self.preview = exc.preview
                self._show(exc.preview)
            self._status(f"[b red]Nothing was deleted:[/] {_escape(message)}")
            self.notify(message, title="Delete refused" if isinstance(exc, DeleteRefused) else "Delete failed",
                        severity="error", timeout=10)
            return
        self.state = "done"
        self._refresh_beneath()
        self._status(f"[b green]Deleted {_rows(self.report.total)}[/] in one transaction. Backup: "
                     f"{_escape(str(self.report.backup))}  (restore: :import {_escape(str(self.report.backup))})")
        self.notify(f"Deleted {_rows(self.report.total)}; backup {self.report.backup}", title="Deleted")

    def _refresh_beneath(self) -> None:
        """The screens under this one show data the delete changed: lists, counts and details re-read it."""
        for screen in self.app.screen_stack:
            if screen is self:
                continue
            refresh = getattr(screen, "action_reload", None) or getattr(screen, "action_recount", None)
            if callable(refresh):
                refresh()

    def _status(self, markup: str) -> None:
        self.query_one("#delete-status", Static).update(markup)


def _rows(n: int) -> str:
    return counted(n, "row")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
