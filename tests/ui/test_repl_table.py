"""REPL tables at 80 and 140 columns: the key and the first-read columns stay whole, the rest shrink or
are named under the table ("3 more columns not shown: ..."), and values are written as the object table writes them."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tenant_console.core.browse.rows import format_value
from tenant_console.core.repl.render import Rendered
from tenant_console.ui.repl.table import FittedTable, fit_columns
from tests.ui.test_repl_pane import ReplApp, log_text, ready, run, scope_of


def _table(columns, rows, priority=()) -> Rendered:
    return Rendered("table", columns=tuple(columns), rows=tuple(tuple(r) for r in rows), priority=tuple(priority))


def test_the_key_is_never_cut_and_what_does_not_fit_is_left_out_least_read_first():
    wide_ids = _table(["id", "title", "abstract", "created"],
                      [["150000", "A" * 40, "B" * 40, "2026-03-01 09:00:00"]], priority=[0, 1, 3, 2])
    widths, hidden = FittedTable(wide_ids).columns_for(40)
    assert widths[0] == 6  # 150000, whole
    assert hidden == ["created", "abstract"]  # left out from the least read on, named in reading order
    assert widths[1] == 31  # the first-read column gets what is left
    # every width is used at most once, and the total fits
    assert sum(widths) + 3 * (len([w for w in widths if w]) - 1) <= 40
    # a key wider than the whole table is still shown (cut at the edge by the terminal), alone
    assert fit_columns([50, 10], ["id", "x"], [0, 1], 30) == [50, 0]


def test_short_values_are_shown_whole_or_not_at_all():
    value = _table(["id", "title", "state", "created"],
                   [["1", "Schemas admin queries scaling fixtures", "submitted", "2026-03-01 09:00:00"]],
                   priority=[0, 1, 2, 3])
    for width in range(20, 90):
        widths, _hidden = FittedTable(value).columns_for(width)
        assert widths[2] in (0, len("submitted")) and widths[3] in (0, 19), (width, widths)


@pytest.fixture
def sqlite_project(project, tmp_path):
    config = dataclasses.replace(project.config, state_dir=tmp_path)
    return dataclasses.replace(project, config=config, warnings=[])


@pytest.mark.parametrize("size", [(80, 24), (140, 42)], ids=["80x24", "140x42"])
async def test_repl_table_keeps_the_id_and_the_first_read_columns(sqlite_project, size):
    app = ReplApp(sqlite_project, scope_of(sqlite_project, "default", "democon"), "default")
    async with app.run_test(size=size) as pilot:
        pane = await ready(pilot)
        result = await run(pilot, "Submission.objects.order_by('-pk')")
        table = result.value
        text = log_text(pane)
        header = next(line for line in text.split("\n") if line.startswith("  id "))
        for name in ("id", "code", "title", "state"):  # the key, the code, the title, the choice
            assert f" {name} " in f" {header} ", (name, header)
        first = table.rows[0]
        assert f"  {first[0]} " in text  # the id whole (no '…', not width 0)
        assert first[table.columns.index("code")] in text  # the code whole
        # One note counts and names every column not shown, carried or not.
        note = re.search(r"(\d+) more columns? not shown: (.*?) \(_\[0\]", " ".join(text.split()))
        assert note is not None, text
        order = [table.columns[i] for i in table.reading_order()]
        hidden = [c for c in order if f" {c} " not in f" {header} "] + list(table.omitted)
        assert int(note[1]) == len(hidden) and note[2].split(", ") == hidden, (note[0], hidden)
        if size[0] == 80:
            assert "abstract" in hidden
        else:
            assert "created" in header  # 140 columns have room for the dates


async def test_repl_values_are_written_as_the_object_table_writes_them(sqlite_project):
    app = ReplApp(sqlite_project, scope_of(sqlite_project, "default", "democon"), "default")
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(pilot)
        result = await run(pilot, "Submission.objects.order_by('pk').values_list('pk', 'created', 'duplicate_of')")
        created = result.value.rows[0][1]
        assert "datetime" not in created and len(created) == 19  # 2026-03-01 09:00:00, not a repr
        sub = await run(pilot, "Submission.objects.order_by('pk').first()")
        fields = dict(sub.value.rows)
        value = await run(pilot, "_.created")
        assert fields["created"] == created
        assert value.value.kind == "text"  # a bare value keeps its Python repr (it is Python you type)
        from conference.models import Submission

        def first_created():
            return format_value(Submission._base_manager.filter(event__slug="democon").order_by("pk").first().created)

        import asyncio

        assert created == await asyncio.to_thread(first_created)


def test_the_sql_echo_tells_the_tenant_checks_queries_from_the_inputs():
    from tenant_console.core.repl.sqlecho import QueryRecord
    from tenant_console.ui.repl.output import render_queries

    text = render_queries([QueryRecord("SELECT 1", 0.001), QueryRecord("SELECT 2", 0.001, check=True)],
                          timings=False).plain
    assert text.split("\n") == ["SQL: 2 queries (1 by the console's tenant check)", "  SELECT 1",
                                "  SELECT 2  [tenant check]"]
