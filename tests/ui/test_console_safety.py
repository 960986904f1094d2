"""The console's promise under pressure: fast typing, tenant switches, other tenants' objects.

The fast-typing tests send their keys with no pause between them (``pilot.press(*keys)``, and
:func:`burst`, which queues every key before the app handles the first), as a person typing
ahead of the screen does.
"""

from __future__ import annotations

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.models import ModelBrowser
from tenant_console.ui.screens.objects import ObjectListScreen
from tests.ui.conftest import SIZE, ready, screen_is, until


async def burst(pilot, *keys: str) -> None:
    """Queue every key event at once (no idle wait between them), then let the app catch up."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        event = events.Key(name, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()


async def test_keys_typed_right_after_colon_reach_the_command_line(sqlite_ui_project, make_app):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        await burst(pilot, ":", *"model conference.Submission", "enter")
        screen = await screen_is(pilot, ObjectListScreen)
        assert screen.model_label == "conference.Submission"
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"model conference.Track", "enter")
        screen = await screen_is(pilot, ObjectListScreen)
        assert screen.model_label == "conference.Track"


async def _event_pks(alias: str) -> dict[str, int]:
    import asyncio

    def read():
        from conference.models import Event
        from django.db import connections

        pks = dict(Event._base_manager.using(alias).values_list("slug", "pk"))
        connections[alias].close()
        return pks

    return await asyncio.to_thread(read)


async def test_enter_in_the_picker_acts_on_the_text_typed_not_on_the_old_highlight(sqlite_ui_project, make_app):
    """A recent tenant is highlighted while the box is empty; typing another's name and Enter at once
    (before the debounced search ran) must activate the typed one."""
    from tenant_console.core.browse.recent import RecentTenants
    from tenant_console.ui.screens.picker import TenantPicker

    project = sqlite_ui_project
    pks = await _event_pks(project.alias)
    RecentTenants(project.config.state_dir, project.settings_module, project.alias).remember(
        "event", pks["opsfest"], "OpsFest (opsfest)")
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        picker = await screen_is(pilot, TenantPicker)
        await until(pilot, lambda: picker.searched_text == "", "the first search")
        assert "OpsFest" in picker.query_one("#dim-event").get_option_at_index(0).prompt.plain
        await pilot.press(*"djangocon", "enter")
        await until(pilot, lambda: app.scope.is_active, "a tenant to be activated")
        assert [t.pk for t in app.scope.tenants if t.dimension == "event"] == [pks["djangocon-lab"]]
        await screen_is(pilot, ModelBrowser)
        # and with the keys queued before the app handles the first: t, the name, Enter
        await burst(pilot, "t", *"datacamp", "enter")
        await until(pilot, lambda: app.scope.pks().get("event") != pks["djangocon-lab"], "the second switch")
        assert app.scope.pks()["event"] == pks["datacamp"]


ALL = ("tenant_console.ui.export", "tenant_console.ui.graph", "tenant_console.ui.importer")


async def _first_submission(alias: str, slug: str) -> int:
    import asyncio

    def read():
        from conference.models import Submission
        from django.db import connections

        pk = Submission._base_manager.using(alias).filter(event__slug=slug).order_by("pk").values_list(
            "pk", flat=True)[0]
        connections[alias].close()
        return pk

    return await asyncio.to_thread(read)


async def test_a_tenant_switch_closes_the_old_tenants_objects_and_moves_the_rest(sqlite_ui_project, make_app,
                                                                                 tmp_path):
    """Detail and graph of a democon object close; the tenant export and the import review (into the
    current tenant) are re-made for the new tenant; no hidden screen complains afterwards."""
    from tenant_console.ui.export.screen import ExportScreen
    from tenant_console.ui.graph.screen import GraphScreen
    from tenant_console.ui.importer.screen import ImportScreen
    from tenant_console.ui.screens.detail import ObjectDetailScreen
    from tests.ui.conftest import banner_text, notifications

    project = sqlite_ui_project
    pks = await _event_pks(project.alias)
    sub = await _first_submission(project.alias, "democon")
    app = make_app(project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=ALL)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        app.open_object("conference.Submission", sub)
        detail = await screen_is(pilot, ObjectDetailScreen)
        await until(pilot, lambda: detail.loaded >= 1, "the detail")
        await pilot.press("g")
        graph = await screen_is(pilot, GraphScreen)
        await until(pilot, lambda: graph.tree.loads >= 1, "the graph")
        await pilot.press("colon", *"tenant pycon-nordic", "enter")
        await until(pilot, lambda: app.scope.pks().get("event") == pks["pycon-nordic"], "the switch")
        browser = await screen_is(pilot, ModelBrowser)
        assert app.screen_stack[1:] == [browser], "the detail and graph of democon's submission are closed"
        assert not detail.is_attached and not graph.is_attached
        await until(pilot, lambda: browser.counted_scope == app.scope, "the recount")
        assert not [n for n in notifications(app) if "does not exist" in n]

        # a tenant export follows the switch: re-planned, and what `e` writes is the new tenant
        await pilot.press("colon", *"export tenant", "enter")
        export = await screen_is(pilot, ExportScreen)
        await until(pilot, lambda: export.plans >= 1, "the plan")
        assert export.plan.scope["event"]["pk"] == str(pks["pycon-nordic"])
        app.run_command_line("tenant opsfest")
        await until(pilot, lambda: app.scope.pks().get("event") == pks["opsfest"], "the switch")
        await until(pilot, lambda: export.plans >= 2, "the new plan")
        assert app.screen is export
        assert export.plan.scope["event"]["pk"] == str(pks["opsfest"])
        assert "OpsFest" in str(export.query_one("#export-what").render())
        assert f"event-{pks['opsfest']}-" in export.query_one("#export-output").value
        out = tmp_path / "opsfest.jsonl"
        export.query_one("#export-output").value = str(out)
        await pilot.press("e")
        await until(pilot, lambda: export.state in ("done", "failed"), "the export", timeout=30)
        assert export.state == "done", str(export.query_one("#export-result").render())
        assert export.outcome.manifest["scope"]["event"]["pk"] == str(pks["opsfest"])

        # the import review "into the current tenant" is re-planned into the new one
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        app.run_command_line(f"import {out}")
        review = await screen_is(pilot, ImportScreen)
        await until(pilot, lambda: review.plans >= 1, "the import plan")
        review.action_toggle_into()  # i
        await until(pilot, lambda: review.plans >= 2, "the plan into the tenant")
        assert "OpsFest" in review.plan.retarget.text()
        app.run_command_line("tenant democon")
        await until(pilot, lambda: review.plans >= 3, "the plan into the new tenant")
        assert app.screen is review
        assert "DemoCon" in review.plan.retarget.text(), review.plan.retarget.text()
        assert "DemoCon" in banner_text(app)


async def test_another_tenants_object_is_refused_the_same_way_on_every_path(sqlite_ui_project, make_app):
    """democon scope, a pycon-nordic submission: the detail, :graph, x (export), :export and p (REPL)
    all refuse it with the same message, and nothing is opened; with scopes disabled (audited) it opens."""
    from tenant_console.ui.export.screen import ExportScreen
    from tenant_console.ui.graph.screen import GraphScreen
    from tests.ui.conftest import notifications

    project = sqlite_ui_project
    foreign = await _first_submission(project.alias, "pycon-nordic")
    app = make_app(project, scope_flags=[ScopeFlag("event__slug", "democon")],
                   extension_packages=(*ALL, "tenant_console.ui.repl"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        browser = await screen_is(pilot, ModelBrowser)
        attempts = [
            lambda: app.open_object("conference.Submission", foreign),
            lambda: app.run_command_line(f"graph conference.Submission.{foreign}"),
            lambda: app.action_export_object("conference.Submission", foreign),  # x
            lambda: app.run_command_line(f"export conference.Submission.{foreign}"),
            lambda: app.action_repl_use("conference.Submission", foreign),  # p
        ]
        for attempt in attempts:
            before = len(notifications(app))
            attempt()
            await until(pilot, lambda n=before: len(notifications(app)) > n, "the refusal")
            await pilot.pause()
            message = notifications(app)[-1]
            assert f"conference.Submission #{foreign} does not exist in the scope event=DemoCon" in message
            assert "it belongs to event PyCon Nordic (pycon-nordic)" in message
            assert app.screen is browser, f"nothing opened, but {app.screen}"
        assert len({n for n in notifications(app) if "does not exist in the scope" in n}) == 1, "the same way"

        # re-rooting the graph on another tenant's node is opening it too
        own = await _first_submission(project.alias, "democon")
        app.open_screen("graph", model_label="conference.Submission", pk=own)
        graph = await screen_is(pilot, GraphScreen)
        await until(pilot, lambda: graph.tree.loads >= 1, "the graph")
        from tenant_console.ui.graph.tree import ObjectData

        before = len(notifications(app))
        fake = ObjectData("conference.Submission", foreign, None)  # the cursor on a foreign node
        graph._cursor_object = lambda: fake  # type: ignore[method-assign]
        await pilot.press("r")
        await until(pilot, lambda: len(notifications(app)) > before, "the refusal")
        assert graph.pk == own and "does not exist in the scope" in notifications(app)[-1]
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)

        # with scopes disabled (a typed confirmation, audited), the same paths open it
        await app._disable("test: scopes disabled on purpose")
        app.action_export_object("conference.Submission", foreign)
        export = await screen_is(pilot, ExportScreen)
        assert export.objects == [f"conference.Submission.{foreign}"]


async def test_detail_flags_many_to_many_and_reverse_links_into_another_tenant(project, target_alias, tmp_path,
                                                                            make_app):
    """A pycon-nordic submission tagged with a democon tag (through table: 3 rows, one into democon), and
    reviewed from democon (the planted review): the detail counts all 3 tags, says one is another
    tenant's, lists it flagged, and shows the foreign review as a flagged reverse link."""
    import asyncio

    from tenant_console.ui.screens.detail import ObjectDetailScreen
    from tests.ui.conftest import _project_on, seed_with_cross_tenant_tag

    sub_pk, slug, other_tag, review_pk = await asyncio.to_thread(seed_with_cross_tenant_tag, target_alias)
    app = make_app(_project_on(project, target_alias, tmp_path), scope_flags=[ScopeFlag("event__slug", slug)])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        app.open_object("conference.Submission", sub_pk)
        detail = await screen_is(pilot, ObjectDetailScreen)
        await until(pilot, lambda: detail.loaded >= 1, "the detail")
        fields = {f.name: f for f in detail.view.fields}
        assert fields["tags"].text == "3 tags  ⚠ 1 in another tenant", fields["tags"].text
        assert fields["tags"].links[0].pk == other_tag and fields["tags"].links[0].foreign
        assert [link.foreign for link in fields["tags"].links[1:]] == [False, False]
        reviews = fields["← reviews"]
        assert "⚠ 1 in another tenant" in reviews.text
        assert [(link.pk, link.foreign) for link in reviews.links if link.foreign] == [(review_pk, True)]
        shown = [str(detail.query_one("#detail-fields").get_option_at_index(i).prompt)
                 for i in range(detail.query_one("#detail-fields").option_count)]
        assert any("⚠ other tenant" in s for s in shown)


async def test_esc_in_a_filtered_list_clears_the_filter_before_it_leaves(sqlite_ui_project, make_app):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        app.open_model("conference.Submission", "state=accepted")
        screen = await screen_is(pilot, ObjectListScreen)
        assert screen.table.spec.filter_text == "state=accepted" and screen.table.has_focus
        await pilot.press("escape")
        await until(pilot, lambda: screen.table.spec.filter_text == "", "the filter to clear")
        assert app.screen is screen and screen.query_one("#object-filter").value == ""
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)


async def test_up_arrow_recalls_commands_and_filters(sqlite_ui_project, make_app):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"model conference.Track", "enter")
        await screen_is(pilot, ObjectListScreen)
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"model conference.Room", "enter")
        await screen_is(pilot, ObjectListScreen)
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"mod", "up")
        box = app.screen.query_one("#cmd-input")
        assert box.value == "model conference.Room"
        await pilot.press("up")
        assert box.value == "model conference.Track"
        await pilot.press("up", "down", "down")
        assert box.value == "mod", "down past the newest entry brings back what was being typed"
        await pilot.press("up", "up", "enter")
        screen = await screen_is(pilot, ObjectListScreen)
        assert screen.model_label == "conference.Track"
        # the filter line of every list shares one history
        await pilot.press("/", *"name__icontains=a", "enter")
        await until(pilot, lambda: screen.table.spec.filter_text == "name__icontains=a", "the filter")
        await pilot.press("escape")
        await until(pilot, lambda: screen.table.spec.filter_text == "", "the filter to clear")
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        await pilot.press(":", *"model conference.Room", "enter")
        rooms = await screen_is(pilot, ObjectListScreen)
        await pilot.press("/", "up")
        assert rooms.query_one("#object-filter").value == "name__icontains=a"


async def test_colon_in_the_import_path_box_after_a_failed_plan_is_the_command_line(sqlite_ui_project, make_app,
                                                                                     tmp_path):
    from tenant_console.ui.importer.screen import ImportScreen

    bad = tmp_path / "nothing.jsonl"
    bad.write_text("{}\n")
    pks = await _event_pks(sqlite_ui_project.alias)
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")], extension_packages=ALL)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await screen_is(pilot, ModelBrowser)
        app.open_screen("import", path=str(bad))
        review = await screen_is(pilot, ImportScreen)
        await until(pilot, lambda: review.state == "failed", "the failed plan")
        box = review.query_one("#import-path")
        box.focus()
        await pilot.pause()
        await pilot.press(":", *"tenant opsfest", "enter")
        await until(pilot, lambda: app.scope.pks().get("event") == pks["opsfest"], "the switch")
        assert box.value == str(bad), "nothing was typed into the path"
        assert app.screen is review  # the review follows a tenant switch
        await pilot.press("end", *"x:y")  # editing the path: a colon is a character like any other
        assert box.value == str(bad) + "x:y"
