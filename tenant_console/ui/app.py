"""The tenant-console app: start-up, scope state, navigation, and the plug-in points.

The app owns one read-only :class:`~tenant_console.core.session.Session`; every
database call goes through :meth:`TenantConsoleApp.db`, which awaits the session
thread, marks the app busy (the banner offers ``ctrl+x`` to cancel) and turns any
error into a notification. Screens are pushed by name through
:meth:`open_screen` and ``:`` commands live in :attr:`extensions`, so the REPL,
graph, export and import packages plug in without edits here (see
:mod:`tenant_console.ui.extensions` and docs/ui-extension.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

# Only modules that do not import Django are imported here, so that the loading
# screen is up before Django (and everything that needs it) is imported; the
# screens that show data are imported where they are first used.
from tenant_console.core.browse.recent import RecentTenants
from tenant_console.core.errors import Cancelled, ConsoleError
from tenant_console.core.scope import ScopeState
from tenant_console.ui import commands
from tenant_console.ui.extensions import EXTENSION_PACKAGES, Extensions
from tenant_console.ui.palette import ActionCommands, ModelCommands, TenantCommands
from tenant_console.ui.screens.base import ConsoleScreen
from tenant_console.ui.screens.dialogs import CommandLine, DisableScopesDialog, HelpScreen
from tenant_console.ui.screens.loading import LoadErrorScreen, LoadingScreen

if TYPE_CHECKING:
    from tenant_console.core.project import Project
    from tenant_console.core.session import Session

#: What ``open_screen`` says for a screen that no extension provides.
FEATURE_NAMES = {
    "graph": "The related-object graph",
    "export": "Export",
    "repl": "The REPL",
    "import": "Import review",
    "delete": "Delete",
    "move": "Moving a tenant",
    "auditlog": "The audit log",
}


#: How long a key waits for the screen that an earlier key opened (it is normally mounted within
#: milliseconds; the cap only keeps the console responsive if a screen never finishes mounting).
TYPE_AHEAD_WAIT = 3.0

#: Textual's generic bindings that say nothing about this view.
HELP_HIDDEN = {"Focus Next", "Focus Previous", "Copy selected text", "Page Left", "Page Right"}


def _import_first_screens() -> None:
    """What the first screens need (the model list beneath the tenant picker)."""
    import tenant_console.ui.screens.models
    import tenant_console.ui.screens.picker  # noqa: F401


def _import_data_screens() -> None:
    """The object list and detail: imported once the picker is up (launch to picker, issue 15)."""
    import tenant_console.ui.screens.detail
    import tenant_console.ui.screens.objects  # noqa: F401


class Reported(Exception):
    """An error that has already been shown to the user as a notification."""


class StartupSpec:
    """How to get a project, and what the command line asked for (scope flags, --disabled)."""

    def __init__(self, loader: Callable[[], Project] | None = None, scope_flags: Sequence[Any] = (),
                 disabled: bool = False, check_database: bool = True, description: str = "") -> None:
        self.loader = loader
        self.scope_flags = list(scope_flags)
        self.disabled = disabled
        self.check_database = check_database
        self.description = description


class TenantConsoleApp(App[None]):
    CSS_PATH = "console.tcss"
    TITLE = "tenant-console"
    COMMANDS: ClassVar = App.COMMANDS | {TenantCommands, ModelCommands, ActionCommands}
    BINDINGS: ClassVar = [
        # priority: run in the order the keys came, before the keys typed after them are delivered (a
        # text box that has focus still gets these characters: Textual leaves out bindings of keys the
        # focused widget consumes)
        Binding("colon", "command_line", "Command", key_display=":", priority=True),
        Binding("t", "pick_tenant", "Tenant", priority=True),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),  # also while typing in a search box
        Binding("ctrl+x", "cancel_query", "Cancel query", show=False),
        Binding("grave_accent", "toggle_repl", "REPL", key_display="`", show=False),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    scope: reactive[ScopeState] = reactive(ScopeState, always_update=True)
    busy: reactive[int] = reactive(0)
    readonly: reactive[bool] = reactive(True)
    #: What is writing right now, said in the banner instead of READ-ONLY/WRITABLE (an import applying,
    #: a dry run that will be rolled back); "" when nothing is.
    activity: reactive[str] = reactive("")

    def __init__(self, project: Project | None = None, *, startup: StartupSpec | None = None,
                 extension_packages: Sequence[str] = EXTENSION_PACKAGES) -> None:
        super().__init__()
        self.project: Project | None = project
        self.startup = startup or StartupSpec()
        self.session: Session | None = None
        self.recent: RecentTenants | None = None
        self.ready = False  # set once the first real screen is shown (tests wait on it)
        self.load_error: ConsoleError | None = None
        #: Asked before the console quits or switches tenant; any False keeps things as they are
        #: (the REPL registers one for its uncommitted changes).
        self.leave_guards: list[Callable[[str], Awaitable[bool]]] = []
        #: What was typed at ``:`` and ``/`` (newest last), recalled there with the up arrow.
        self.histories: dict[str, list[str]] = {"command": [], "filter": []}
        self.extensions = Extensions()
        self.extension_packages = tuple(extension_packages)
        commands.register_builtin(self.extensions)

    # -- keys -------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        """Type-ahead: no key is lost while the screen an earlier key opened is mounting.

        The keys that open a text box (``:``, ``t``, ``/``) are priority bindings, so they run here, in
        the order typed, rather than after bubbling back from the focused widget (by then the keys
        typed after them had gone to the old screen). ``:`` pushes the command line, whose text box
        exists only once the screen is mounted, so the next key waits here until it is (the screen
        focuses its box in ``on_mount`` with ``screen.set_focus``, at once): every key then reaches,
        in order, the box that opened.
        """
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self._screen_settled()
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Priority bindings are seen even over a modal dialog; these two stay the dialog's business
        # there, as the non-priority bindings they were.
        return not (action in ("command_line", "pick_tenant") and self.screen.is_modal)

    async def _screen_settled(self) -> None:
        try:
            screen = self.screen
        except Exception:
            return
        deadline = asyncio.get_running_loop().time() + TYPE_AHEAD_WAIT
        while not screen.is_mounted and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)

    # -- start-up -------------------------------------------------------------
    @property
    def has_dimensions(self) -> bool:
        return bool(self.project and self.project.registry.dimensions)

    def on_mount(self) -> None:
        self.push_screen(LoadingScreen(self.startup.description or "Opening the project"))
        self.run_worker(self._start(), group="startup", exit_on_error=False)

    async def _start(self) -> None:
        try:
            if self.project is None:
                if self.startup.loader is None:
                    raise ConsoleError("No project to open.")
                self.project = await asyncio.to_thread(self.startup.loader)
            project = self.project
            await asyncio.to_thread(_import_first_screens)  # Django-heavy imports, off the event loop
            await asyncio.to_thread(self.extensions.load_packages, self.extension_packages)
            self.session = project.session("console")
            self.readonly = self.session.readonly
            self.recent = RecentTenants(project.config.state_dir, project.settings_module, self.session.alias)
            if self.startup.check_database:  # reachable or not, before anything is shown
                from tenant_console.core.checks import check_connection

                await self.session.call(check_connection, self.session.alias, scoped=False, readonly=False)
            if project.config.readonly_database == self.session.alias:
                from tenant_console.core.readonly import server_read_only

                server = await self.session.call(server_read_only, self.session.alias, scoped=False)
                self.session.server_readonly = server
                if not server.enforced:
                    self.notify(f"READONLY_DATABASE {self.session.alias!r} is not read-only on the server ("
                                + "; ".join(server.reasons) + "); read-only is enforced by the console only.",
                                severity="warning", timeout=15)
            selection = await self._resolve_flags()
            if selection:  # before the first screen, so that it counts in the right scope at once
                self._scope_activated(await asyncio.to_thread(self.session.activate, selection))
        except ConsoleError as exc:
            await self._fail(exc)
            return
        except Exception as exc:  # a bug or an unexpected environment: still no traceback on screen
            await self._fail(ConsoleError(f"The project could not be opened: {type(exc).__name__}: {exc}",
                                          exit_code=1))
            return
        from tenant_console.core.notices import texts
        from tenant_console.ui.screens.models import ModelBrowser
        from tenant_console.ui.screens.picker import TenantPicker

        for warning in texts(project.warnings, project.config.state_dir):
            self.notify(warning, severity="warning", timeout=10)
        for problem in self.extensions.errors:
            self.notify(problem, title="Extension", severity="error", timeout=10)
        if self.startup.disabled and not selection:
            await self._disable("--disabled on the command line")
        await self.switch_screen(ModelBrowser())
        picker = None
        if not selection and not self.startup.disabled and self.has_dimensions:
            picker = TenantPicker()
            await self.push_screen(picker)
        await self._after_first_screen(picker)
        self.ready = True

    async def _after_first_screen(self, picker: Any) -> None:
        """What the first screen does not need, once it is up (and the picker's first list is shown: it
        goes first on the session thread): jedi's warm-up for the REPL (a thread of its own), the
        unapplied-migrations warning (it reads every migration file: seconds on a large project) and the
        data screens' imports."""
        if picker is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(picker.first_search.wait(), timeout=10)
        if self.project is not None:  # the REPL's first tab completion, warm while the user picks a tenant
            from tenant_console.core.repl import warmup

            warmup.start(dim.model for dim in self.project.registry.dimensions.values())
        if self.startup.check_database and self.session is not None:
            from tenant_console.core.checks import migration_warning

            try:
                warning = await self.session.call(migration_warning, self.session.alias, scoped=False,
                                                  readonly=False)
            except Exception as exc:  # a warning that could not be computed is not a reason to stop
                warning = f"Unapplied migrations could not be checked: {type(exc).__name__}: {exc}"
            if warning:
                self.notify(warning, severity="warning", timeout=10)
        await asyncio.to_thread(_import_data_screens)

    async def _fail(self, exc: ConsoleError) -> None:
        self.load_error = exc
        await self.switch_screen(LoadErrorScreen(exc.message, exc.exit_code))

    async def _resolve_flags(self) -> dict[str, Any]:
        """``--event__slug=democon`` → ``{"event": pk}``, with the CLI's messages for mistakes."""
        from tenant_console.core.errors import ScopeSelectionError
        from tenant_console.core.tenants import parse_scope_flag, resolve_tenant

        assert self.project is not None and self.session is not None
        registry = self.project.registry
        selection: dict[str, Any] = {}
        for flag in self.startup.scope_flags:
            dim, lookup = parse_scope_flag(registry, flag.name, flag.value)
            if dim in selection:
                raise ScopeSelectionError(f"The dimension {dim!r} was given twice ({flag.text}).")
            selection[dim] = await self.session.call(resolve_tenant, registry, dim, lookup, flag.value,
                                                     alias=self.session.alias, scoped=False)
        if selection and self.startup.disabled:
            raise ScopeSelectionError("--disabled cannot be combined with a tenant option; choose one.")
        return selection

    def close_session(self) -> None:
        if self.session is not None:
            self.session.close()

    # -- database calls ---------------------------------------------------------
    async def db(self, fn: Callable[..., Any], *args: Any, quiet: bool = False, **kwargs: Any) -> Any:
        """Run ``fn`` on the session thread; errors become notifications, then :class:`Reported`."""
        if self.session is None:
            raise Reported("The project is not loaded yet.")
        self.busy += 1
        try:
            return await self.session.call(fn, *args, **kwargs)
        except Exception as exc:
            if not quiet:
                self.report(exc)
            raise Reported(str(exc)) from exc
        finally:
            self.busy -= 1

    def report(self, exc: BaseException, title: str = "") -> None:
        """Show an error as a notification: the message for people, the type for anything else."""
        if isinstance(exc, Reported):
            return
        if isinstance(exc, Cancelled):
            self.notify(str(exc), title=title or "Cancelled", severity="warning")
            return
        if isinstance(exc, ConsoleError):
            self.notify(exc.message, title=title or "Error", severity="error", timeout=8)
            return
        name = type(exc).__name__
        if name == "ScopeError":
            self.notify(f"{exc} Choose a tenant (t) first.", title="Scope", severity="error", timeout=8)
            return
        module = type(exc).__module__
        where = "Database error" if module.startswith(("django.db", "psycopg", "sqlite3")) else "Error"
        self.notify(f"{name}: {' '.join(str(exc).split())}", title=title or where, severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)

    async def confirm_leave(self, reason: str) -> bool:
        """Ask every leave guard (call from a worker: a guard may wait for a dialog)."""
        for guard in list(self.leave_guards):
            if not await guard(reason):
                return False
        return True

    async def action_quit(self) -> None:
        """ctrl+q and :q ask the leave guards first (uncommitted REPL changes)."""
        async def run() -> None:
            if await self.confirm_leave("Quitting the console."):
                self.exit()

        self.run_worker(run(), group="quit", exclusive=True, exit_on_error=False)

    def action_toggle_repl(self) -> None:
        if self.extensions.find("repl") is None:
            self.notify(f"{FEATURE_NAMES['repl']} is not available in this build.", severity="warning")
            return
        self.run_command_line("repl")

    def action_cancel_query(self) -> None:
        if self.session is not None and self.session.cancel():
            self.notify("Cancelling the running query…", severity="warning")
        else:
            self.notify("Nothing is running.")

    # -- scope ------------------------------------------------------------------
    def _scope_activated(self, state: ScopeState) -> None:
        self.scope = state
        if self.recent is not None:
            for t in state.tenants:
                self.recent.remember(t.dimension, t.pk, t.label)

    async def change_scope(self, change: Callable[[], ScopeState], *, same: bool = False,
                           title: str = "Tenant") -> ScopeState | None:
        """The one way the console's scope changes (a tenant chosen, scopes disabled), for every screen.

        Each screen on the stack says how it treats a switch with ``tenant_bound`` (see
        :class:`~tenant_console.ui.screens.base.ConsoleScreen`): ``"follow"`` screens recompute in the
        new scope (``tenant_changed``), every other screen (``"close"``, and any screen that does not
        say, dialogs included) is closed *before* the session switches, so no screen is left acting
        on, or showing, the old tenant. A screen whose ``tenant_switch_blocker()`` gives a reason (an
        import being applied, an export being written) stops the switch, with that reason.
        ``same``: the tenant does not change (it is chosen again): nothing is closed.
        Returns the new state, or None if nothing changed.
        """
        if self.session is None:
            return None
        stack = list(self.screen_stack)
        for screen in stack:
            blocker = getattr(screen, "tenant_switch_blocker", None)
            reason = blocker() if callable(blocker) else None
            if reason:
                self.notify(reason, title="Tenant not switched", severity="warning", timeout=8)
                return None
        if not same:
            await self._close_tenant_bound()
        self.busy += 1
        try:
            state = await asyncio.to_thread(change)
        except Exception as exc:
            self.report(exc, title)
            return None
        finally:
            self.busy -= 1
        self._scope_activated(state)
        for screen in list(self.screen_stack):
            follow = getattr(screen, "tenant_changed", None)
            if callable(follow) and getattr(screen, "tenant_bound", "close") == "follow":
                follow(state)
        return state

    async def _close_tenant_bound(self) -> None:
        """Pop the screen stack down to below the lowest screen that does not follow a tenant switch."""
        stack = self.screen_stack
        lowest = next((i for i, screen in enumerate(stack)
                       if i > 0 and getattr(screen, "tenant_bound", "close") != "follow"), None)
        if lowest is None:
            return
        while len(self.screen_stack) > max(lowest, 1):
            await self.pop_screen()

    async def activate_tenant(self, dimension: str, pk: Any, label: str = "") -> bool:
        """Make ``pk`` the active tenant of ``dimension`` (implied dimensions filled in)."""
        if self.session is None:
            return False
        if not await self.confirm_leave(f"Switching the console to another {dimension}."):
            return False
        current = self.scope.pks().get(dimension) if self.scope.is_active else None
        same = current is not None and str(current) == str(pk)
        session = self.session
        state = await self.change_scope(lambda: session.activate({dimension: pk}), same=same)
        if state is None:
            return False
        self.notify(state.describe(), title="Scope")
        return True

    def choose_tenant(self, dimension: str, pk: Any, label: str = "") -> None:
        """Palette/command entry point: activate and close the picker if it is open."""

        from tenant_console.ui.screens.picker import TenantPicker

        async def run() -> None:
            if await self.activate_tenant(dimension, pk, label) and isinstance(self.screen, TenantPicker):
                self.screen.dismiss(None)

        self.run_worker(run(), group="activate", exclusive=True, exit_on_error=False)

    def action_pick_tenant(self, text: str = "") -> None:
        from tenant_console.ui.screens.picker import TenantPicker

        if not self.has_dimensions:
            self.notify("This project has no scope dimensions; everything is shown unscoped.")
            return
        if isinstance(self.screen, TenantPicker):
            return
        self.push_screen(TenantPicker(text))

    def action_disable_scopes(self) -> None:
        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.run_worker(self._disable("typed confirmation in the console"), exit_on_error=False)

        self.push_screen(DisableScopesDialog(), done)

    async def _disable(self, reason: str) -> None:
        assert self.session is not None
        from tenant_console.ui.screens.picker import TenantPicker

        if not await self.confirm_leave("Disabling scopes."):
            return
        session = self.session
        # the audit trail cannot be written: the change is refused, scopes stay as they were
        if await self.change_scope(lambda: session.disable_scopes(reason), same=self.scope.disabled,
                                   title="Scopes not disabled") is None:
            return
        if isinstance(self.screen, TenantPicker):
            self.screen.dismiss(None)
        self.notify("Scopes are disabled: every tenant's rows are visible. Choose a tenant (t) to end this.",
                    title="Scopes disabled", severity="warning", timeout=8)

    # -- navigation -------------------------------------------------------------
    def breadcrumbs(self) -> list[str]:
        """The trail of the console screens on the stack (the top one even if it is laid over it)."""
        stack = [s for s in self.screen_stack if isinstance(s, ConsoleScreen)]
        crumbs: list[str] = []
        before: ConsoleScreen | None = None
        for i, screen in enumerate(stack):
            if not screen.in_breadcrumbs and i != len(stack) - 1:
                continue
            crumb = screen.breadcrumb(before)
            if crumb:
                crumbs.append(crumb)
                before = screen
        return crumbs

    def open_model(self, text: str, filter_text: str = "") -> None:
        from tenant_console.core.browse.catalog import resolve_model
        from tenant_console.ui.screens.objects import ObjectListScreen

        try:
            label = resolve_model(text)
        except ConsoleError as exc:
            self.report(exc, "Model")
            return
        self.push_screen(ObjectListScreen(label, filter_text))

    # -- opening objects: one rule ---------------------------------------------------
    async def objects_allowed(self, objects: Sequence[tuple[str, Any]] = (), specs: Sequence[str] = ()) -> bool:
        """Whether these objects may be opened in the active scope, asked of the one core rule
        (:mod:`tenant_console.core.browse.access`) on the session thread; a refusal is reported, the same
        way for the detail, the graph, an export of objects and "use in REPL"."""
        from tenant_console.core.browse.access import check_objects, check_specs

        if self.project is None:
            return False
        try:
            if objects:
                await self.db(check_objects, self.project.registry, list(objects), self.scope, quiet=True)
            if specs:
                await self.db(check_specs, self.project.registry, list(specs), self.scope, quiet=True)
        except Reported as exc:
            self.report(exc.__cause__ or exc, "Not opened")
            return False
        return True

    def when_allowed(self, then: Callable[[], Any], objects: Sequence[tuple[str, Any]] = (),
                     specs: Sequence[str] = ()) -> None:
        """Run ``then()`` once the objects are allowed (in a worker: the check is a query)."""
        async def run() -> None:
            if await self.objects_allowed(objects, specs):
                then()

        self.run_worker(run(), group="open-object", exit_on_error=False)

    def open_object(self, model_label: str, pk: Any) -> None:
        from tenant_console.ui.screens.detail import ObjectDetailScreen

        self.when_allowed(lambda: self.push_screen(ObjectDetailScreen(model_label, pk)), [(model_label, pk)])

    def open_screen(self, name: str, **kwargs: Any) -> None:
        """Push the screen an extension registered under ``name``, or say it is not in this build.

        A screen opened for objects (``model_label`` and ``pk``, or ``objects``: ``app.Model.pk`` specs)
        opens only if the objects are visible in the scope (:meth:`objects_allowed`)."""
        factory = self.extensions.screens.get(name)
        if factory is None:
            feature = FEATURE_NAMES.get(name, f"The {name!r} screen")
            self.notify(f"{feature} is not available in this build.", title="Not available",
                        severity="warning")
            return

        def push() -> None:
            try:
                screen = factory(self, **kwargs)
            except Exception as exc:
                self.report(exc, name)
                return
            if screen is not self.screen:
                self.push_screen(screen)

        objects = [(kwargs["model_label"], kwargs.get("pk"))] if kwargs.get("model_label") else []
        specs = [str(s) for s in kwargs.get("objects") or ()]
        if objects or specs:
            self.when_allowed(push, objects, specs)
        else:
            push()

    def action_open_graph(self, model_label: str, pk: Any) -> None:
        self.open_screen("graph", model_label=model_label, pk=pk)

    def action_export_object(self, model_label: str, pk: Any) -> None:
        self.open_screen("export", model_label=model_label, pk=pk)

    def action_repl_use(self, model_label: str, pk: Any) -> None:
        self.open_screen("repl", model_label=model_label, pk=pk)

    def action_models(self) -> None:
        from tenant_console.ui.screens.models import ModelBrowser

        while len(self.screen_stack) > 2 and not isinstance(self.screen, ModelBrowser):
            self.pop_screen()

    # -- command line, help -------------------------------------------------------
    def action_command_line(self, initial: str = "") -> None:
        words = [n for c in self.extensions.commands.values() for n in (c.name, *c.aliases)]
        hint = "  ".join(f":{c.usage}" for c in self.extensions.commands.values())

        def done(text: str | None) -> None:
            if text:
                self.run_command_line(text)

        self.push_screen(CommandLine(words, hint, initial, self.histories["command"]), done)

    def run_command_line(self, text: str) -> None:
        word, _, arg = text.strip().lstrip(":").partition(" ")
        cmd = self.extensions.find(word)
        if cmd is None and self.project is not None and commands.names_a_model(word):
            # :Submission 41, :Submission CEPRNX, :conference.Submission (the model's list)
            self.run_worker(commands.open_by_key(self, f"{word} {arg}"), group="command", exit_on_error=False)
            return
        if cmd is None:
            from tenant_console.core.errors import did_you_mean

            names = [n for c in self.extensions.commands.values() for n in (c.name, *c.aliases)]
            self.notify(f"Unknown command :{word}.{did_you_mean(word, names)} Press ? for the list.",
                        title="Command", severity="error")
            return
        try:
            result = cmd.run(self, arg.strip())
        except Exception as exc:
            self.report(exc, f":{cmd.name}")
            return
        if asyncio.iscoroutine(result):
            self.run_worker(result, group="command", exit_on_error=False)

    def action_help(self) -> None:
        screen = self.screen
        by_description: dict[str, list[str]] = {}
        for _key, active in screen.active_bindings.items():
            binding = active.binding
            ours = type(active.node).__module__.startswith("tenant_console")
            if not binding.description or binding.description in HELP_HIDDEN or not (ours or binding.show):
                continue  # e.g. the text editing keys of a focused Input
            shown = binding.key_display or self.get_key_display(binding)
            shown_keys = by_description.setdefault(binding.description, [])
            if shown not in shown_keys:
                shown_keys.append(shown)
        keys = [(" ".join(k), description) for description, k in by_description.items()]
        title = f"Help — {getattr(screen, 'crumb', '') or type(screen).__name__}"
        intro = getattr(screen, "HELP", "") or ""
        cmds = [(c.usage, c.help) for c in self.extensions.commands.values()]
        self.push_screen(HelpScreen(title, intro, keys, cmds))
