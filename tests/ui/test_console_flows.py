"""The console driven like a user would, on the seeded demo data (SQLite and PostgreSQL)."""

from __future__ import annotations

from tenant_console.cli.scopeflags import ScopeFlag
from tenant_console.ui.screens.detail import ObjectDetailScreen
from tenant_console.ui.screens.dialogs import DisableScopesDialog
from tenant_console.ui.screens.models import ModelBrowser
from tenant_console.ui.screens.objects import ObjectListScreen
from tenant_console.ui.screens.picker import TenantPicker
from tests.ui.conftest import SIZE, banner_text, notifications, ready, screen_is, until


async def _pick(pilot, text: str) -> None:
    picker = pilot.app.screen
    assert isinstance(picker, TenantPicker)
    before = picker.searches
    await pilot.press(*text)
    await until(pilot, lambda: picker.searches > before and picker.query_one("#picker-search").value == text,
                "the tenant search")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ModelBrowser), "the picker to close")


async def _type_filter(pilot, text: str) -> None:
    """Put ``text`` in the filter line and press enter (typing is exercised by the picker tests)."""
    box = pilot.app.screen.query_one("#object-filter")
    await pilot.press("slash")
    box.value = text
    await pilot.press("enter")


async def test_pick_tenant_by_typing_part_of_its_name(ui_project, make_app):
    app = make_app(ui_project)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        picker = app.screen
        assert isinstance(picker, TenantPicker), "the picker opens first when no tenant was given"
        assert "no tenant chosen" in banner_text(app)
        # The first picker lies over the model list, the console's home: esc leads there, so the trail
        # names it (docs/console.md: the picker adds `Tenants` while it is open).
        assert banner_text(app).endswith("Models › Tenants"), banner_text(app)
        assert [type(s) for s in app.screen_stack[-2:]] == [ModelBrowser, TenantPicker]
        await pilot.press(*"nordic")
        await until(pilot, lambda: picker.searched_text == "nordic", "the tenant search")
        options = picker.query_one("#dim-event")
        assert options.option_count == 1
        prompt = options.get_option_at_index(0).prompt
        assert "PyCon Nordic" in prompt.plain
        assert any(span.style == "bold reverse" for span in prompt.spans), "the typed text is highlighted"
        await pilot.press("enter")
        await until(pilot, lambda: app.scope.is_active, "the scope to be activated")
        assert [t.label for t in app.scope.tenants] == ["PyCon Nordic (pycon-nordic)"]
        assert isinstance(app.screen, ModelBrowser)
        assert "event: PyCon Nordic (pycon-nordic)" in banner_text(app)
        assert f"{ui_project.alias} ({ui_project.vendor})" in banner_text(app)
        assert "READ-ONLY" in banner_text(app)
        # the choice is remembered: it comes first next time, while the box is empty
        assert app.recent is not None
        assert [r.label for r in app.recent.get("event")] == ["PyCon Nordic (pycon-nordic)"]


async def test_a_search_that_finds_no_tenant_says_so(sqlite_ui_project, make_app):
    """No event matches: one disabled line says so (on the demo no row inside an event has a slug, so
    there is no "is a ... of" hint; tests/tenancy covers those on the shop-like project)."""
    app = make_app(sqlite_ui_project)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        picker = app.screen
        await pilot.press(*"zzz-none")
        await until(pilot, lambda: picker.searched_text == "zzz-none", "the tenant search")
        options = picker.query_one("#dim-event")
        assert options.option_count == 1
        only = options.get_option_at_index(0)
        assert only.disabled and only.prompt.plain == "No conference.Event matches 'zzz-none'."


async def test_recent_tenants_come_first_and_pk_search(sqlite_ui_project, make_app):
    ui_project = sqlite_ui_project
    from tenant_console.core.browse.recent import RecentTenants

    pks = {}

    def remember():
        from conference.models import Event

        pks.update(Event._base_manager.using(ui_project.alias).values_list("slug", "pk"))

    import asyncio

    await asyncio.to_thread(remember)
    recent = RecentTenants(ui_project.config.state_dir, ui_project.settings_module, ui_project.alias)
    recent.remember("event", pks["opsfest"], "OpsFest (opsfest)")
    app = make_app(ui_project)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        picker = app.screen
        await until(pilot, lambda: picker.searched_text == "", "the first search")
        first = picker.query_one("#dim-event").get_option_at_index(0).prompt.plain
        assert first.startswith("★ OpsFest (opsfest)") and "recent" in first
        await pilot.press(*str(pks["datacamp"]))
        await until(pilot, lambda: picker.searched_text == str(pks["datacamp"]), "the pk search")
        first = picker.query_one("#dim-event").get_option_at_index(0).prompt.plain
        assert first.startswith("DataCamp Berlin"), "an exact primary key comes first"


async def test_recent_tenants_that_no_longer_exist_are_dropped_and_labels_refreshed(sqlite_ui_project,
                                                                                    make_app):
    """After a re-seed, a remembered pk may be gone (or belong to a renamed tenant): the picker checks
    the remembered entries in the same database call as the search, and the file forgets the gone ones."""
    ui_project = sqlite_ui_project
    import asyncio

    from tenant_console.core.browse.recent import RecentTenants

    def slugs():
        from conference.models import Event

        return dict(Event._base_manager.using(ui_project.alias).values_list("slug", "pk"))

    pks = await asyncio.to_thread(slugs)
    gone = max(pks.values()) + 1000
    recent = RecentTenants(ui_project.config.state_dir, ui_project.settings_module, ui_project.alias)
    recent.remember("event", pks["opsfest"], "an old label")
    recent.remember("event", gone, "DemoCon 2026 (democon)")  # the pk of a previous seed
    recent.remember("event", pks["democon"], "DemoCon 2026 (democon)")
    app = make_app(ui_project)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        picker = app.screen
        await until(pilot, lambda: picker.searched_text == "", "the first search")
        lst = picker.query_one("#dim-event")
        prompts = [lst.get_option_at_index(i).prompt.plain for i in range(lst.option_count)]
        starred = [p for p in prompts if p.startswith("★")]
        assert starred == [f"★ DemoCon 2026 (democon)   #{pks['democon']} · recent",
                           f"★ OpsFest (opsfest)   #{pks['opsfest']} · recent"], prompts
        assert not any(f"#{gone}" in p for p in prompts)
        assert len(prompts) == len(pks), "every tenant once: recent ones are not repeated below"
    assert [(r.pk, r.label) for r in recent.get("event")] == [
        (pks["democon"], "DemoCon 2026 (democon)"), (pks["opsfest"], "OpsFest (opsfest)")]


async def test_scope_flag_opens_straight_into_the_tenant_and_counts_follow_a_switch(sqlite_ui_project, make_app):
    ui_project = sqlite_ui_project
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        browser = app.screen
        assert isinstance(browser, ModelBrowser), "no picker when the tenant was given"
        assert "DemoCon 2026 (democon)" in banner_text(app)
        await until(pilot, lambda: browser.counted_scope == app.scope, "counts")
        assert browser.counts["conference.Review"] == 81  # 80 + the planted cross-tenant review
        assert browser.counts["conference.Submission"] == 40
        assert browser.counts["conference.Event"] == 1
        prompt = browser.query_one("#model-list").get_option("conference.Review").prompt.plain
        assert "event" in prompt and "81" in prompt
        rounds = browser.rounds
        # switch tenant with the k9s-style command line
        await pilot.press("colon", *"tenant pycon-nordic", "enter")
        await until(pilot, lambda: browser.rounds > rounds and browser.counted_scope == app.scope,
                    "recount after the switch")
        assert "PyCon Nordic" in banner_text(app)
        assert browser.counts["conference.Review"] == 80


async def test_open_model_filter_and_open_object(sqlite_ui_project, make_app):
    ui_project = sqlite_ui_project
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"model Submission", "enter")
        await screen_is(pilot, ObjectListScreen)
        screen = app.screen
        table = screen.table
        await until(pilot, lambda: table.row_count == 40 and table.cache.row(0) is not None, "the first page")
        assert "Models › conference.Submission" in banner_text(app)
        # filter with Django lookups
        await _type_filter(pilot, "state=accepted")
        await until(pilot, lambda: table.state.total is not None and table.spec.filter_text == "state=accepted",
                    "the filtered count")

        def expected():
            from conference.models import Event, Submission
            from django_scopes import scope

            with scope(event=Event._base_manager.using(ui_project.alias).get(slug="democon")):
                qs = Submission.objects.using(ui_project.alias).filter(state="accepted")
                return qs.count(), qs.order_by("pk").values_list("pk", flat=True)[0]

        import asyncio

        count, first_pk = await asyncio.to_thread(expected)
        assert table.row_count == count > 0
        await until(pilot, lambda: table.cache.row(0) is not None, "the filtered page")
        assert table.cache.row(0).pk == first_pk
        state = [c.name for c in table.columns].index("state")
        assert all(r.cells[state].text == "Accepted" for r in table.cache.pages[0]), "choices by display value"
        # open the object under the cursor
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen) and app.screen.loaded, "the detail")
        detail = app.screen
        fields = {f.name: f for f in detail.view.fields}
        assert fields["state"].text.startswith("Accepted")
        assert fields["custom_data"].kind == "json" and "\n" in fields["custom_data"].text
        assert fields["event"].links[0].label == "DemoCon 2026 (democon)"
        assert "tags" in fields and fields["tags"].kind == "m2m"
        assert banner_text(app).endswith(f"#{first_pk}")
        # follow the FK to the event
        lst = detail.query_one("#detail-fields")
        lst.highlighted = lst.get_option_index("field:event")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen) and app.screen is not detail
                    and app.screen.loaded, "the linked object")
        assert app.screen.model_label == "conference.Event"
        # a followed link names its model in the trail (not a second bare "#pk")
        event_pk = app.screen.pk
        assert banner_text(app).endswith(f"conference.Submission › #{first_pk} › conference.Event #{event_pk}")
        # the picker laid over the trail says so while it is open
        await pilot.press("t")
        await screen_is(pilot, TenantPicker)
        assert banner_text(app).endswith(f"conference.Event #{event_pk} › Tenants")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen), "the picker to close")
        # esc walks back along the breadcrumbs
        await pilot.press("escape")
        assert app.screen is detail
        await pilot.press("escape")
        assert app.screen is screen


async def test_the_status_line_counts_one_row_in_the_singular(sqlite_ui_project, make_app):
    from textual.widgets import Static

    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"model Submission", "enter")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.row_count == 40 and table.cache.row(0) is not None, "the first page")

        def status() -> str:
            content = app.screen.query_one("#object-status", Static).content
            return getattr(content, "plain", str(content))

        assert " · 40 rows · " in status()
        await _type_filter(pilot, f"id={table.cache.row(0).pk}")
        await until(pilot, lambda: table.state.total == 1, "the filtered count")
        assert " · 1 row · " in status(), status()


async def test_bad_filters_leave_the_app_running(ui_project, make_app):
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Submission")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.row_count == 40, "the count")
        await _type_filter(pilot, "stat=accepted")
        await until(pilot, lambda: any("no field 'stat'" in m for m in notifications(app)), "the error")
        assert any("Did you mean 'state'" in m for m in notifications(app))
        assert table.spec.filter_text == "" and table.row_count == 40, "the list is unchanged"
        # a value the field rejects is only found out by the database layer: still a message
        await _type_filter(pilot, "created__gte=yesterday")
        await until(pilot, lambda: any("yesterday" in m for m in notifications(app)), "the value error")
        await _type_filter(pilot, 'title="unclosed')
        await until(pilot, lambda: any("close the quote" in m for m in notifications(app)), "the quote error")
        assert app.is_running and isinstance(app.screen, ObjectListScreen)
        # and a good filter still works afterwards
        await _type_filter(pilot, "scaling")
        await until(pilot, lambda: table.spec.filter_text == "scaling" and table.state.total is not None,
                    "the word search")
        assert 0 < table.row_count < 40


async def test_scroll_to_the_end_of_a_large_table(large_alias, make_app, monkeypatch):
    """2,500 rows (25 pages): the end and the middle are reached without fetching what lies between."""
    from tenant_console.ui.widgets import object_table

    monkeypatch.setattr(object_table, "ANCHOR_INDEX_DISTANCE", 500)  # as for 1,000,000 rows, scaled down
    app = make_app(large_alias, scope_flags=[ScopeFlag("event__slug", "megacon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Submission")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await pilot.press("G")  # at once: the jump waits for the count, then goes to the very end
        await until(pilot, lambda: table.cache.row(2499) is not None, "the last page")
        assert table.row_count == 2500 and table.cache.row(0) is not None

        def expected():
            from conference.models import Event, Submission

            ev = Event._base_manager.using(large_alias.alias).get(slug="megacon")
            pks = list(Submission._base_manager.using(large_alias.alias).filter(event=ev)
                       .order_by("pk").values_list("pk", flat=True))
            by_title = list(Submission._base_manager.using(large_alias.alias).filter(event=ev)
                            .order_by("title", "pk").values_list("pk", flat=True))
            return pks, by_title

        import asyncio

        pks, by_title = await asyncio.to_thread(expected)
        assert table.cursor_row == 2499
        assert table.cache.row(2499).pk == pks[-1]
        assert table.fetches <= 3, "only the pages on screen were fetched"
        # jump into the middle with the command line
        await pilot.press("colon", *"row 1234", "enter")
        await until(pilot, lambda: table.cache.row(1233) is not None, "the middle page")
        assert table.cursor_row == 1233
        assert table.cache.row(1233).pk == pks[1233]
        assert len(table.cache.pages) <= 5
        # scroll up from there: neighbouring pages are keyset seeks and line up exactly
        await pilot.press("pageup", "pageup", "pageup", "pageup")
        await until(pilot, lambda: table.cache.row(table.cursor_row) is not None, "the page above")
        assert table.cache.row(table.cursor_row).pk == pks[table.cursor_row]
        # sort by title (keyset on (title, pk)) and go to the end again
        table.cursor_column = [c.name for c in table.columns].index("title")
        await pilot.press("s")
        await until(pilot, lambda: table.spec.order == "title" and table.cache.row(0) is not None, "sorted")
        assert table.cache.row(0).pk == by_title[0]
        await pilot.press("G")
        await until(pilot, lambda: table.cache.row(2499) is not None, "the last sorted page")
        assert table.cache.row(2499).pk == by_title[-1]
        assert not table.cache.indexed, "the end is found from the end, without an index"
        await pilot.press("colon", *"row 40%", "enter")
        await until(pilot, lambda: table.cache.row(1000) is not None, "40%")
        assert table.cache.row(1000).pk == by_title[1000]
        assert table.cache.indexed, "a deep jump in a sorted order builds the sparse anchor index"
        await pilot.press("colon", *"row 1801", "enter")
        await until(pilot, lambda: table.cache.row(1800) is not None, "row 1801")
        assert table.cache.row(1800).pk == by_title[1800]


async def test_a_long_list_is_walked_in_the_background_for_deep_jumps(large_alias, make_app, monkeypatch):
    """Once counted, a list an index can read is walked (anchors every total/WALK_ANCHORS rows, a few per
    session call): a later :row N% then starts next to an anchor, and shows the right rows."""
    from tenant_console.ui.widgets import object_table

    monkeypatch.setattr(object_table, "WALK_MIN_ROWS", 1000)  # as for 1,000,000 rows, scaled down
    monkeypatch.setattr(object_table, "WALK_ANCHORS", 10)
    app = make_app(large_alias, scope_flags=[ScopeFlag("event__slug", "megacon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("conference.Submission")
        await screen_is(pilot, ObjectListScreen)
        table = app.screen.table
        await until(pilot, lambda: table.walked >= 2250, "the walk to the end")
        assert sorted(a for a in table.cache.anchors if a % 250 == 0)[:10] == list(range(0, 2500, 250))
        assert table.cache.distance(1900, 2500) <= 125, "every row is near an anchor"

        def expected():
            from conference.models import Event, Submission

            ev = Event._base_manager.using(large_alias.alias).get(slug="megacon")
            return list(Submission._base_manager.using(large_alias.alias).filter(event=ev)
                        .order_by("pk").values_list("pk", flat=True))

        import asyncio

        pks = await asyncio.to_thread(expected)
        await pilot.press("colon", *"row 76%", "enter")
        await until(pilot, lambda: table.cache.row(1900) is not None, "76%")
        assert table.cursor_row == 1900 and table.cache.row(1900).pk == pks[1900]
        assert [table.cache.row(i).pk for i in range(1900, 1910)] == pks[1900:1910]
        # a new order starts over: the walk of the old one is dropped
        table.cursor_column = [c.name for c in table.columns].index("title")
        await pilot.press("s")
        await until(pilot, lambda: table.spec.order == "title" and table.cache.row(0) is not None, "sorted")
        await pilot.pause(0.2)
        assert table.walked == 0, "title has no index: not walked"


async def test_disable_scopes_only_after_typing_the_word(sqlite_ui_project, make_app):
    ui_project = sqlite_ui_project
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("colon", *"disable", "enter")
        await screen_is(pilot, DisableScopesDialog)
        await pilot.press(*"disable", "enter")  # not the word asked for
        await pilot.pause(0.1)
        assert isinstance(app.screen, DisableScopesDialog)
        assert not app.scope.disabled and app.scope.is_active
        await pilot.press("escape")
        assert not app.scope.disabled
        await pilot.press("colon", *"disable", "enter")
        await screen_is(pilot, DisableScopesDialog)
        await pilot.press(*"DISABLE", "enter")
        await until(pilot, lambda: app.scope.disabled, "scopes to be disabled")
        banner = app.screen.query_one("ScopeBanner")
        assert banner.has_class("-disabled")
        assert "SCOPES DISABLED" in banner_text(app)
        records = ui_project.audit.outcomes()
        assert records[-1]["action"] == "scopes_disabled"
        browser = app.screen
        assert isinstance(browser, ModelBrowser)
        await until(pilot, lambda: browser.counted_scope == app.scope, "counts")
        assert browser.counts["conference.Event"] == 5 and browser.counts["conference.Submission"] == 200
        # choosing a tenant ends it
        await pilot.press("colon", *"tenant democon", "enter")
        await until(pilot, lambda: app.scope.is_active, "a tenant again")
        assert not banner.has_class("-disabled")


async def test_cross_tenant_reference_is_flagged_and_not_followed(sqlite_ui_project, make_app):
    ui_project = sqlite_ui_project
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.open_model("Review")
        await screen_is(pilot, ObjectListScreen)
        screen = app.screen
        await _type_filter(pilot, "planted")
        await until(pilot, lambda: screen.table.row_count == 1 and screen.table.cache.row(0), "the planted review")
        row = screen.table.cache.row(0)
        submission_cell = row.cells[[c.name for c in screen.table.columns].index("submission")]
        assert submission_cell.foreign and submission_cell.text.startswith("⚠ other tenant: "), submission_cell.text
        # On the cursor row the cell keeps its warning style (the cursor's colours lie beneath it).
        assert screen.table.cursor_row == 0
        strip = screen.table._row_strip(row, 0)
        marked = [seg for seg in strip if "⚠" in seg.text]
        assert marked and marked[0].style is not None and marked[0].style.bold, marked
        foreign = screen.table.get_component_rich_style("object-table--foreign")
        assert marked[0].style.color == foreign.color
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ObjectDetailScreen) and app.screen.loaded, "detail")
        detail = app.screen
        lst = detail.query_one("#detail-fields")
        lst.highlighted = lst.get_option_index("field:submission")
        await pilot.press("enter")
        # refused before anything opens (tenant_console.core.browse.access: the rule of every path)
        await until(pilot, lambda: any("does not exist in the scope" in m for m in notifications(app)),
                    "the refusal")
        await pilot.pause()
        assert app.screen is detail, "another tenant's object is not opened"


def _endless_query(alias: str) -> int:
    """A read that never ends on its own (a recursive CTE without a stop)."""
    from django.db import connections

    with connections[alias].cursor() as cur:
        cur.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
        return cur.fetchone()[0]


async def test_long_work_shows_progress_and_ctrl_x_cancels_it(ui_project, make_app):
    app = make_app(ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        browser = app.screen
        await until(pilot, lambda: browser.counted_scope == app.scope, "counts")
        app.run_worker(app.db(_endless_query, ui_project.alias), exit_on_error=False)
        await until(pilot, lambda: (app.busy and app.session.busy) or notifications(app), "the query to run")
        assert not notifications(app), notifications(app)
        await pilot.pause(0.1)
        assert "working… ctrl+x cancels" in banner_text(app)
        await pilot.press("ctrl+x")
        await until(pilot, lambda: not app.busy, "the query to stop")
        assert any("cancelled" in m.lower() for m in notifications(app))
        assert "working" not in banner_text(app)
        # the session is still usable afterwards
        rounds = browser.rounds
        await pilot.press("r")
        await until(pilot, lambda: browser.rounds > rounds, "a recount")
        assert browser.counts["conference.Submission"] == 40


async def test_model_filter_enter_opens_the_best_match(sqlite_ui_project, make_app):
    app = make_app(sqlite_ui_project, scope_flags=[ScopeFlag("event__slug", "democon")])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        browser = await screen_is(pilot, ModelBrowser)
        await pilot.press("slash", *"subm")
        lst = browser.query_one("#model-list")
        assert lst.highlighted_option.id == "conference.Submission"
        await pilot.press("enter")  # the first Enter opens it (it does not only move the focus)
        screen = await screen_is(pilot, ObjectListScreen)
        assert screen.model_label == "conference.Submission"
        await pilot.press("escape")
        await screen_is(pilot, ModelBrowser)
        # a name that starts with the text beats an earlier label that only contains it
        box = browser.query_one("#model-filter")
        box.focus()
        box.value = "question"  # conference.ChoiceQuestion comes first in the list
        await pilot.pause()
        assert lst.highlighted_option.id == "conference.Question"
        box.value = "zzz"
        await pilot.press("enter")
        await until(pilot, lambda: any("No model matches 'zzz'" in m for m in notifications(app)), "the message")
        assert app.screen is browser
