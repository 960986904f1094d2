"""The built-in ``:`` commands (k9s habits). Extensions add theirs the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenant_console.ui.extensions import CommandHandler, Extensions

if TYPE_CHECKING:
    from tenant_console.ui.app import TenantConsoleApp


async def _tenant(app: TenantConsoleApp, arg: str) -> None:
    """``:tenant democon``: activate the one tenant that matches exactly, else open the picker."""
    from tenant_console.core.tenants import search_tenants

    if not arg or app.project is None or app.session is None:
        app.action_pick_tenant(arg)
        return
    exact = []
    for dim in app.project.registry.dimensions.values():
        hits = await app.db(search_tenants, dim, arg, 5, app.session.alias, scoped=False)
        for hit in hits:
            values = [str(hit.pk), *(str(v) for v in hit.fields.values())]
            if any(v.lower() == arg.lower() for v in values):
                exact.append(hit)
        if len(hits) == 1 and not exact:
            exact.append(hits[0])
    if len(exact) == 1:
        await app.activate_tenant(exact[0].dimension, exact[0].pk, exact[0].label)
        from tenant_console.ui.screens.picker import TenantPicker

        if isinstance(app.screen, TenantPicker):
            app.screen.dismiss(None)
    else:
        app.action_pick_tenant(arg)


def _model(app: TenantConsoleApp, arg: str) -> None:
    if not arg:
        app.action_models()
        return
    app.open_model(arg)


async def open_by_key(app: TenantConsoleApp, arg: str) -> None:
    """``:open Submission CEPRNX`` (and ``:Submission CEPRNX``, ``:conference.Submission 41``): the object
    of that model in the scope whose primary key or own unique code is the text, looked up on the session
    thread by the one rule for opening objects (core/browse/access.py); no text: the model's list."""
    from tenant_console.core.browse.access import find_object
    from tenant_console.core.browse.catalog import resolve_model

    model_text, _, key = arg.strip().partition(" ")
    if not model_text:
        from tenant_console.core.examples import model_name

        app.notify(f"Name a model and a primary key or code: :{model_name()} PK, :{model_name()} CODE.",
                   title="Open", severity="warning")
        return
    try:
        label = resolve_model(model_text)
    except Exception as exc:
        app.report(exc, "Open")
        return
    if not key.strip():
        app.open_model(label)
        return
    if app.project is None:
        return
    try:
        found = await app.db(find_object, app.project.registry, label, key, app.scope, quiet=True)
    except Exception as exc:  # the app's Reported, quiet: its cause is the message for people
        app.report(exc.__cause__ or exc, "Not found")
        return
    app.open_object(found.label, found.pk)


def names_a_model(word: str) -> bool:
    """Whether a ``:`` word that is no command is a model (``:Submission CEPRNX``): a label or a model
    name of the project (an ambiguous bare name too, so that its message names the candidates)."""
    from tenant_console.core.browse.catalog import resolve_model

    try:
        resolve_model(word)
    except Exception as exc:
        return "ambiguous" in str(exc)
    return True


def _row(app: TenantConsoleApp, arg: str) -> None:
    from tenant_console.ui.screens.objects import ObjectListScreen

    if isinstance(app.screen, ObjectListScreen):
        app.screen.goto(arg)
    else:
        app.notify(":row works in an object list (open a model first).", severity="warning")


def _filter(app: TenantConsoleApp, arg: str) -> None:
    from tenant_console.ui.screens.objects import ObjectListScreen

    if isinstance(app.screen, ObjectListScreen):
        app.screen.apply_filter(arg)
    else:
        app.notify(":filter works in an object list (open a model first).", severity="warning")


def _selected(app: TenantConsoleApp) -> tuple[str, object] | None:
    from tenant_console.ui.screens.detail import ObjectDetailScreen
    from tenant_console.ui.screens.objects import ObjectListScreen

    screen = app.screen
    if isinstance(screen, ObjectDetailScreen):
        return screen.model_label, screen.pk
    if isinstance(screen, ObjectListScreen):
        row = screen.table.current_row()
        if row is not None:
            return screen.model_label, row.pk
    app.notify("Select an object first (open a model, move to a row).", severity="warning")
    return None


def _on_selected(action: str) -> CommandHandler:
    def run(app: TenantConsoleApp, arg: str) -> None:
        picked = _selected(app)
        if picked is not None:
            getattr(app, action)(*picked)

    return run


def register_builtin(ext: Extensions) -> None:
    ext.command("tenant", "Switch tenant: the exact match, or the picker searching for the text", _tenant,
                aliases=("t", "tenants", "scope"), usage="tenant [TEXT]")
    ext.command("model", "Open a model's objects (app.Model or a unique name); no name: the model list",
                _model, aliases=("m", "models"), usage="model [NAME]")
    ext.command("open", "Open an object by primary key or its own code (also :MODEL KEY)",
                open_by_key, aliases=("o",), usage="open MODEL PK|CODE", palette=False)
    ext.command("row", "Jump to a row of the object list: a number, N%, or end", _row, aliases=("go",),
                usage="row N|N%|end", palette=False)
    ext.command("filter", "Filter the object list (Django lookups and words)", _filter, aliases=("f",),
                usage="filter EXPR", palette=False)
    ext.command("disable", "Disable scopes (asks you to type a word; audited)",
                lambda app, arg: app.action_disable_scopes(), usage="disable")
    ext.command("graph", "Related-object graph of the selected object", _on_selected("action_open_graph"),
                usage="graph")
    ext.command("export", "Export the selected object and what it needs", _on_selected("action_export_object"),
                usage="export")
    ext.command("repl", "Use the selected object in the REPL", _on_selected("action_repl_use"), usage="repl")
    ext.command("import", "Review and run an import", lambda app, arg: app.open_screen("import", path=arg),
                usage="import [FILE]")
    ext.command("help", "Keys and commands of the current view", lambda app, arg: app.action_help(),
                aliases=("h",), usage="help")
    ext.command("quit", "Leave the console", lambda app, arg: app.action_quit(), aliases=("q", "q!", "exit"),
                usage="q")
