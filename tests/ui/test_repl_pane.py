"""Pilot tests of the REPL pane in a small app of its own, on the seeded demo databases."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from conference.models import Event, Submission, Tag
from textual.app import App, ComposeResult

from tenant_console.core.repl.history import History, history_path
from tenant_console.core.scope import ScopeState, TenantRef
from tenant_console.ui.repl import ReplPane
from tenant_console.ui.repl.dialogs import CrossTenantCommitDialog, UncommittedDialog, WritableDialog

MARK = "tc-repl-ui"


class ReplApp(App):
    """Just the pane, full screen."""

    def __init__(self, project, scope: ScopeState, alias: str) -> None:
        super().__init__()
        self.project = project
        self.scope = scope
        self.alias = alias

    def compose(self) -> ComposeResult:
        yield ReplPane(self.project, scope=self.scope, alias=self.alias, history=History(
            history_path(self.project.config.state_dir, self.project.settings_module)))


def scope_of(project, alias: str, slug: str) -> ScopeState:
    s = project.session("scope-lookup", alias=alias)
    try:
        pk, name = s.run(lambda: Event._base_manager.values_list("pk", "name").get(slug=slug), scoped=False)
    finally:
        s.close()
    return ScopeState(tenants=(TenantRef("event", pk, f"{name} ({slug})"),))


def count(project, alias: str, model, **filters) -> int:
    s = project.session("observer", alias=alias)
    try:
        return s.run(lambda: model._base_manager.filter(**filters).count(), scoped=False)
    finally:
        s.close()


async def wait_for(pilot, predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await pilot.pause(0.02)


async def ready(pilot) -> ReplPane:
    pane = pilot.app.screen.query_one(ReplPane)
    await asyncio.wait_for(pane.ready.wait(), 15)
    return pane


async def run(pilot, source: str, *, type_it: bool = False):
    """Type (or paste) ``source`` and press enter; return the result."""
    pane = pilot.app.screen.query_one(ReplPane)
    before = len(pane.results)
    if type_it:
        await pilot.press(*source)
    else:
        pane.editor.insert(source)
    await pilot.press("enter")
    if pane.editor.text.strip():  # a block: the blank line that ends it
        await pilot.press("enter")
    await wait_for(pilot, lambda: len(pane.results) > before)
    await pilot.pause()
    return pane.results[-1]


def log_text(pane: ReplPane) -> str:
    return "\n".join(line.text for line in pane.log_view.lines)


@pytest.fixture
def app_on(ui_project, db_alias):
    def make(slug: str = "democon") -> ReplApp:
        return ReplApp(ui_project, scope_of(ui_project, db_alias, slug), db_alias)

    return make


@pytest.fixture
def sqlite_app(project, tmp_path):
    """For flows whose database does not matter: SQLite only (the core tests cover both databases)."""
    config = dataclasses.replace(project.config, state_dir=tmp_path)
    proj = dataclasses.replace(project, config=config, warnings=[])

    def make(slug: str = "democon", scope: ScopeState | None = None) -> ReplApp:
        return ReplApp(proj, scope if scope is not None else scope_of(proj, "default", slug), "default")

    return make



async def test_count_in_tenant_a_then_b(app_on, ui_project, db_alias):
    app = app_on("democon")
    async with app.run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        res = await run(pilot, "Submission.objects.count()", type_it=True)
        expected = count(ui_project, db_alias, Submission, event__slug="democon")
        assert res.value.text == str(expected)
        assert str(expected) in log_text(pane)
        assert "democon" in str(pane.query_one("#repl-banner").render())
        await pilot.press(*"mine = 7")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.results) == 2)
        assert await pane.set_scope(scope_of(ui_project, db_alias, "pycon-nordic"))
        res = await run(pilot, "(Submission.objects.count(), event.slug, mine)")
        expected_b = count(ui_project, db_alias, Submission, event__slug="pycon-nordic")
        assert res.value.text == f"({expected_b}, 'pycon-nordic', 7)"
        assert "pycon-nordic" in str(pane.query_one("#repl-banner").render())


async def test_value_without_print_and_a_multiline_block(sqlite_app):
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        assert pane.editor.language == "python", "syntax highlighting (tree-sitter) is on"
        res = await run(pilot, "Submission.objects.order_by('pk')")
        assert res.value.kind == "table" and "rows, first 10 shown" in log_text(pane)
        # A for block typed line by line: enter continues the block, a blank line runs it.
        await pilot.press(*"for i in range(3):")
        await pilot.press("enter")
        assert pane.editor.text == "for i in range(3):\n    "
        await pilot.press(*"print('line', i)")
        await pilot.press("enter")
        assert not pane.results[1:], "the block is still open"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.results) == 2)
        assert pane.results[-1].output == [("stdout", "line 0\nline 1\nline 2\n")]
        assert "line 2" in log_text(pane)
        assert pane.editor.text == ""
        # ctrl+j puts a newline inside a complete line without running it.
        await pilot.press(*"x = 1")
        await pilot.press("ctrl+j")
        await pilot.press(*"x + 1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(pane.results) == 3)
        assert pane.results[-1].value.text == "2"


async def test_completion_offers_a_model_field(sqlite_app):
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press(*"Submission.objects.filter(sta")
        await pilot.press("tab")
        await wait_for(pilot, lambda: pane.editor.text.endswith("filter(state"))
        pane.editor.set_source("Submission.objects.filter(title__ico")
        await pilot.press("tab")
        await wait_for(pilot, lambda: "title__icontains" in pane.editor.text)
        # Several candidates: a list opens; down + enter picks one.
        pane.editor.set_source("Submission.objects.filter(t")
        await pilot.press("tab")
        options = pane.query_one("#repl-completions")
        await wait_for(pilot, lambda: options.has_class("-on"))
        names = [c.text for c in pane.completions.completions]
        assert {"title", "track", "tags"} <= set(names)
        await pilot.press("down", "enter")
        assert pane.editor.text == f"Submission.objects.filter({names[1]}"
        assert not options.has_class("-on") and pane.editor.has_focus
        pane.editor.set_source("event.na")
        await pilot.press("tab")
        await wait_for(pilot, lambda: pane.editor.text == "event.name")


async def test_history_recalls_an_input_after_a_restart(sqlite_app):
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        await ready(pilot)
        await run(pilot, "6 * 7")
        await run(pilot, "'second'")
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("up")
        assert pane.editor.text == "'second'"
        await pilot.press("up")
        assert pane.editor.text == "6 * 7"
        await pilot.press("down", "down")
        assert pane.editor.text == ""
        await pilot.press("ctrl+r")
        await pilot.press(*"6 *")
        await pilot.press("enter")
        assert pane.editor.text == "6 * 7"


async def test_write_is_refused_in_read_only_mode(app_on, ui_project, db_alias):
    before = count(ui_project, db_alias, Tag)
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        res = await run(pilot, f"Tag.objects.create(event=event, tag='{MARK}-refused')")
        assert res.error_kind == "refused"
        await wait_for(pilot, lambda: "nothing was written" in " ".join(log_text(pane).split()))
        text = " ".join(log_text(pane).split())
        # One "refused", and the key that makes the REPL writable is named.
        assert "REFUSED read-only session: INSERT refused" in text and "Refused:" not in text
        assert "Press f3 to switch to writable mode (it asks first)." in text
        assert (await run(pilot, "1 + 1")).value.text == "2"
    assert count(ui_project, db_alias, Tag) == before


async def test_writable_mode_commit_and_rollback(app_on, ui_project, db_alias, marked_tags_removed):
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        dialog_text = str(pilot.app.screen.query_one("#typed-text").render())
        assert "democon" in dialog_text and db_alias in dialog_text
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        res = await run(pilot, f"Tag.objects.create(event=event, tag='{MARK}-commit').tag")
        assert res.ok and res.writes
        assert "uncommitted changes" in str(pane.query_one("#repl-banner").render())
        assert count(ui_project, db_alias, Tag, tag=f"{MARK}-commit") == 0, "invisible to others before commit"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not pane.runner.writable)
        assert count(ui_project, db_alias, Tag, tag=f"{MARK}-commit") == 1
        assert "read-only" in str(pane.query_one("#repl-banner").render())

        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        await run(pilot, f"Tag.objects.filter(tag='{MARK}-commit').delete()")
        await pilot.press(*":rollback", "enter")
        await wait_for(pilot, lambda: not pane.runner.writable)
        assert count(ui_project, db_alias, Tag, tag=f"{MARK}-commit") == 1, "the delete was rolled back"


async def test_a_write_into_another_tenant_is_shown_and_asked_before_commit(app_on, ui_project, db_alias,
                                                                           marked_tags_removed):
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        res = await run(pilot, "from conference.models import Event as E\n"
                               f"Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-cross').pk")
        assert res.ok and res.write_warning.startswith("⚠ 1 row written belongs to another tenant: conference.Tag ")
        await wait_for(pilot, lambda: "OTHER TENANT" in log_text(pane))
        assert "event=PyCon Nordic (pycon-nordic)" in " ".join(log_text(pane).split())
        # ctrl+s does not commit at once: it names the rows and asks for the word.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CrossTenantCommitDialog))
        assert "belongs to another tenant" in str(pilot.app.screen.query_one("#typed-text").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Not committed" in log_text(pane))
        assert pane.runner.writable and count(ui_project, db_alias, Tag, tag=f"{MARK}-cross") == 0
        await pilot.press(*":commit", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CrossTenantCommitDialog))
        await pilot.press(*"OTHER TENANT", "enter")
        await wait_for(pilot, lambda: not pane.runner.writable)
        assert count(ui_project, db_alias, Tag, tag=f"{MARK}-cross") == 1


async def test_switching_tenant_with_uncommitted_changes_asks_first(app_on, ui_project, db_alias, marked_tags_removed):
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        await run(pilot, f"Tag.objects.create(event=event, tag='{MARK}-switch')")
        other = scope_of(ui_project, db_alias, "pycon-nordic")
        switch = asyncio.ensure_future(pane.set_scope(other))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UncommittedDialog))
        await pilot.pause()
        dialog = " ".join(str(w.render()) for w in pilot.app.screen.query("Static"))
        assert f"Tag.objects.create(event=event, tag='{MARK}-switch')" in dialog, "the dialog lists the inputs"
        await pilot.press("escape")
        assert await switch is False
        assert pane.runner.dirty and "democon" in pane.runner.scope.describe()
        switch = asyncio.ensure_future(pane.set_scope(other))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UncommittedDialog))
        await pilot.press("r")
        assert await switch is True
        assert not pane.runner.writable and "pycon-nordic" in pane.runner.scope.describe()
    assert count(ui_project, db_alias, Tag, tag=f"{MARK}-switch") == 0


async def test_uncommitted_dialog_commit_of_another_tenants_rows_asks_for_the_word(app_on, ui_project, db_alias,
                                                                                  marked_tags_removed):
    """Switching tenant with rows of another tenant pending: ``c`` alone does not commit them."""
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        res = await run(pilot, "from conference.models import Event as E\n"
                               f"Tag.objects.create(event=E.objects.get(slug='pycon-nordic'), tag='{MARK}-leave').pk")
        assert res.ok and res.foreign_writes
        other = scope_of(ui_project, db_alias, "pycon-nordic")
        switch = asyncio.ensure_future(pane.set_scope(other))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UncommittedDialog))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CrossTenantCommitDialog))
        await pilot.press("escape")
        assert await switch is False
        assert pane.runner.writable and "democon" in pane.runner.scope.describe()
        assert count(ui_project, db_alias, Tag, tag=f"{MARK}-leave") == 0
        switch = asyncio.ensure_future(pane.set_scope(other))
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UncommittedDialog))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CrossTenantCommitDialog))
        await pilot.press(*"OTHER TENANT", "enter")
        assert await switch is True
        assert "pycon-nordic" in pane.runner.scope.describe()
    assert count(ui_project, db_alias, Tag, tag=f"{MARK}-leave") == 1


async def test_going_read_only_with_unchecked_writes_asks_for_the_word(app_on, ui_project, db_alias,
                                                                       marked_tags_removed, monkeypatch):
    """A failed check (fail closed) gates the read-only dialog's commit like a write into another tenant."""
    from tenant_console.core.repl import crosswrite

    def broken(self):
        raise RuntimeError("owner path gone")

    monkeypatch.setattr(crosswrite.WriteWatch, "foreign", broken)
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WritableDialog))
        await pilot.press(*"WRITE", "enter")
        await wait_for(pilot, lambda: pane.runner.writable)
        res = await run(pilot, f"Tag.objects.create(event=event, tag='{MARK}-unchecked').pk")
        assert res.ok and res.write_check_failed
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, UncommittedDialog))
        assert "could not check" in " ".join(str(w.render()) for w in pilot.app.screen.query("Static"))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CrossTenantCommitDialog))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Not committed" in log_text(pane))
        assert pane.runner.writable and count(ui_project, db_alias, Tag, tag=f"{MARK}-unchecked") == 0
        await pilot.press(*":rollback", "enter")
        await wait_for(pilot, lambda: not pane.runner.writable)
    assert count(ui_project, db_alias, Tag, tag=f"{MARK}-unchecked") == 0


@pytest.mark.parametrize(("kind", "key"), [("loop", "ctrl+c"), ("query", "ctrl+c"), ("loop", "ctrl+x")])
async def test_ctrl_c_interrupts_and_the_pane_goes_on(app_on, db_alias, kind, key):
    """ctrl+x (the console's cancel key) interrupts as ctrl+c does."""
    async with app_on().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        if kind == "loop":
            source = "while True:\n    pass"
        elif db_alias == "postgres":
            source = "connection.cursor().execute('SELECT pg_sleep(30)')"
        else:
            source = ("connection.cursor().execute('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                      "SELECT x + 1 FROM c) SELECT count(*) FROM c').fetchall()")
        pane.editor.insert(source)
        await pilot.press("enter")
        if "\n" in source:
            await pilot.press("enter")
        await wait_for(pilot, lambda: pane.runner is not None and
                       (pane.runner.in_query if kind == "query" else pane.runner.in_user_code))
        started = time.monotonic()
        await pilot.press(key)
        await wait_for(pilot, lambda: pane.results)
        assert time.monotonic() - started < 10
        assert pane.results[-1].error_kind == "interrupted", pane.results[-1].error
        assert "KeyboardInterrupt" in log_text(pane)
        assert (await run(pilot, "Submission.objects.exists()")).value.text == "True"


async def test_exception_shows_a_traceback_and_the_app_goes_on(sqlite_app):
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        res = await run(pilot, "Submission.objects.get(pk=-1)")
        assert res.error_kind == "exception"
        text = log_text(pane)
        assert "Traceback" in text and "DoesNotExist" in text and 'File "<repl-' in text
        assert (await run(pilot, "'still here'")).value.text == "'still here'"
        assert pilot.app.is_running


async def test_disabled_scopes_warn_in_red(sqlite_app, project):
    async with sqlite_app(scope=ScopeState(disabled=True)).run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        warning = pane.query_one("#repl-scope-warning")
        assert warning.display and "SCOPES ARE DISABLED" in str(warning.render())
        total = count(project, "default", Submission)
        assert (await run(pilot, "Submission.objects.count()")).value.text == str(total)


async def test_sql_echo_toggle_shows_each_query(sqlite_app):
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        await pilot.press("f2")
        assert pane.sql_echo and "SQL echo" in str(pane.query_one("#repl-banner").render())
        await run(pilot, "list(Track.objects.order_by('pk')[:1]) and Room.objects.count()")
        text = log_text(pane)
        assert "SQL: 2 queries" in text and "conference_track" in text and "conference_room" in text
        await pilot.press("f2")
        assert not pane.sql_echo
        await run(pilot, "Tag.objects.count()")
        assert "conference_tag" not in log_text(pane)


async def test_output_appears_while_the_input_runs(sqlite_app):
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        pane.editor.insert("import time\nfor i in range(100):\n    print('tick', i)\n    time.sleep(0.05 if i else 0)")
        await pilot.press("enter")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "tick 1" in log_text(pane))
        assert pane.running, "output is shown before the input ends"
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: pane.results)
        assert pane.results[-1].error_kind == "interrupted"
        text = log_text(pane)
        lines = [line.strip() for line in text.split("\n")]
        assert lines.count("tick 1") == 1, "streamed once, not again at the end"
        assert text.index("In [1]") < text.index("tick 0")


async def test_no_tenant_is_said_plainly(sqlite_app):
    async with sqlite_app(scope=ScopeState()).run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        warning = pane.query_one("#repl-scope-warning")
        assert warning.display and "No tenant chosen" in str(warning.render())
        res = await run(pilot, "Submission.objects.count()")
        assert res.error_kind == "exception" and "ScopeError" in res.error
        assert (await run(pilot, "Event.objects.count() > 0")).value.text == "True", "shared models still work"


async def test_another_tenants_object_is_flagged_in_red(sqlite_app):
    """The planted review in democon points at a pycon-nordic submission: the forward FK is flagged."""
    async with sqlite_app().run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        res = await run(pilot, "Review.objects.filter(submission__event__slug='pycon-nordic').get().submission")
        assert res.ok and "belongs to another tenant: event=PyCon Nordic" in res.value.warning
        await wait_for(pilot, lambda: "belongs to another tenant" in log_text(pane))
        line = next(s for s in pane.log_view.lines if "belongs to another tenant" in s.text)
        styles = [seg.style for seg in line if "another tenant" in seg.text]
        assert styles and all(st.color is not None and st.color.name == "red" and st.bold for st in styles)
        plain = await run(pilot, "Submission.objects.first()")
        assert plain.ok and not plain.value.warning


async def test_colon_q_in_the_pane_on_its_own_quits(sqlite_app):
    """Without the console around, :q still quits (after asking its own guard)."""
    app = sqlite_app()
    async with app.run_test(size=(110, 32)) as pilot:
        pane = await ready(pilot)
        pane.editor.insert(":q")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app._exit)
