"""The ``:move`` screen: the current tenant moved to another database, as ``tenant-console move`` does.

Registered as the ``move`` screen and the ``:move`` command::

    :move ALIAS                         the current tenant to the database ALIAS (kept in the source)
    :move ALIAS --delete-source         then deleted from the source (typed confirmation, backup first)
    :move ALIAS --journal DIR           the move's folder (default STATE_DIR/moves/...)
    :move ALIAS --cross-tenant omit     references into another tenant, as for export (refuse, omit, include)
    :move --status                      the status of the tenant's last move (read again on the move screen)

When the tenant has a journaled move from this database to ALIAS that is not rolled back, the screen
shows it (its status, as ``tenant-console move --status`` says it) and offers to resume it or roll it
back instead of a new move.

Only aliases of ``DATABASES`` that are another database than the console's are accepted; anything
else is a message naming the ones that are. See docs/scale.md ("Moving a tenant").
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tenant_console.core.errors import ConsoleError
from tenant_console.ui.extensions import Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp

USAGE = "move ALIAS [--delete-source] [--journal DIR] [--cross-tenant POLICY] | move [ALIAS] --status"
POLICIES = ("refuse", "omit", "include")


def _screen(app: TenantConsoleApp, target: str, **options: Any) -> Any:
    from tenant_console.ui.move.screen import MoveScreen

    return MoveScreen(target, **options)


def parse(arg: str) -> tuple[str, dict[str, Any]]:
    """``ALIAS [--delete-source] [--journal DIR] [--cross-tenant POLICY]`` → (alias, the screen's options);
    bad input raises."""
    words = arg.split()
    target: str | None = None
    options: dict[str, Any] = {}
    while words:
        word = words.pop(0)
        if word == "--delete-source":
            options["delete_source"] = True
        elif word == "--status":
            options["status"] = True
        elif word == "--journal" and words:
            options["journal"] = words.pop(0)
        elif word == "--cross-tenant" and words and words[0] in POLICIES:
            options["cross_tenant"] = words.pop(0)
        elif word.startswith("-"):
            raise ConsoleError(f":move does not know {word!r}. Usage: :{USAGE}")
        elif target is None:
            target = word
        else:
            raise ConsoleError(f":move takes one database alias ({target!r}, then {word!r}). Usage: :{USAGE}")
    return target or "", options


async def _command(app: TenantConsoleApp, arg: str) -> None:
    from tenant_console.core.move.targets import check_target, move_targets

    project, session = app.project, app.session
    if project is None or session is None:
        return
    if not app.scope.is_active:
        raise ConsoleError(":move moves the current tenant: choose it first (t), then :move ALIAS.")
    target, options = parse(arg)
    source = project.writable_alias(session.alias)
    if options.pop("status", False):
        target = await _status(app, source, target, options.get("journal"))
        if not target:
            return
    if not target:
        targets = await asyncio.to_thread(move_targets, source)
        where = (f"one of {', '.join(targets)}" if targets else
                 f"none: this project has no other database than {source!r}")
        tenant = ", ".join(t.label for t in app.scope.tenants)
        raise ConsoleError(f"Name the database to move {tenant} to: :move ALIAS ({where}).")
    await asyncio.to_thread(check_target, source, target)
    app.open_screen("move", target=target, **options)


async def _status(app: TenantConsoleApp, source: str, target: str, folder: str | None) -> str:
    """``:move [ALIAS] --status``: the move screen shown reads its status again (returns ""), else the
    alias of the tenant's last move (to ALIAS, if named) to open the screen on; none is a message."""
    from tenant_console.core.move.earlier import earlier_move
    from tenant_console.ui.move.screen import MoveScreen

    screen = app.screen
    if isinstance(screen, MoveScreen) and target in ("", screen.target):
        screen.action_reload()
        return ""
    project = app.project
    assert project is not None
    found = await asyncio.to_thread(earlier_move, project.config.state_dir, project.settings_module,
                                    project.registry, app.scope.pks(), source, target or None, folder)
    if found.journal is None:
        tenant = ", ".join(t.label for t in app.scope.tenants)
        where = f"in {folder}" if folder else f"in {project.config.state_dir}/moves"
        raise ConsoleError(f"No move of {tenant} from {source}{f' to {target}' if target else ''} that is not rolled "
                           f"back is journaled {where}. (A move started elsewhere: :move ALIAS --journal DIR.)")
    return found.journal.target_alias


def register(ext: Extensions) -> None:
    ext.screen("move", _screen)
    ext.command("move", "Move the current tenant to another database (an alias of DATABASES): export, import, "
                "verify, optionally delete the source; journaled", _command, usage=USAGE)
