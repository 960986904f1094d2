"""The cells of a page are made cheaply (once per distinct FK or choice value, text cells without the
dataclass's __init__), and are exactly the cells made the plain way."""

from __future__ import annotations

from dataclasses import fields

from tenant_console.core.browse import catalog, paging
from tenant_console.core.browse.paging import ListSpec
from tenant_console.core.browse.rows import Cell, _text_cell, format_value


def test_a_text_cell_is_a_cell():
    made = _text_cell("x")
    assert type(made) is Cell and made == Cell("x") and hash(made) == hash(Cell("x"))
    assert vars(made) == vars(Cell("x")) and [f.name for f in fields(Cell)] == list(vars(made))


def test_page_cells_equal_plainly_made_ones(project, session, event_pks):
    scope = session.activate({"event": event_pks["democon"]})
    spec = ListSpec("conference.Submission")
    model = catalog.get_model(spec.model)
    cols = paging.columns(model)

    def page():
        rows = paging.page_after(project.registry, spec, scope, None, 40)
        records = list(model.objects.order_by("pk").values("pk", *[c.attname for c in cols])[:40])
        return rows, records

    rows, records = session.run(page)
    assert len(rows) == len(records) == 40
    for row, rec in zip(rows, records, strict=True):
        for col, cell in zip(cols, row.cells, strict=True):
            value = rec[col.attname]
            if value is None:
                assert cell == Cell("∅", null=True)
            elif col.kind == "choice":
                flat = dict(model._meta.get_field(col.name).flatchoices)
                assert cell == Cell(str(flat.get(value, value)))
            elif col.kind != "fk":
                assert cell == Cell(format_value(value, col.kind)), col.name
    # an FK value repeated on the page is one cell
    tracks = [row.cells[[c.name for c in cols].index("track")] for row in rows]
    assert len({id(c) for c in tracks}) == len({c.text for c in tracks})


def test_values_are_formatted_as_before_the_shortcuts():
    """format_value's shortcuts (ints, text, empty JSON) give what its general path gives."""
    import json

    for value in ({}, [], {"a": [1, "é"]}, [None], "", "a  b\nc", 0, -7, 12345678901234567890):
        for kind in ("json", "text", "number", "other"):
            if kind == "json" or isinstance(value, (dict, list)):
                expected = json.dumps(value, ensure_ascii=False, default=str)
            else:
                expected = " ".join(str(value).split())
            assert format_value(value, kind) == expected, (value, kind)
    assert format_value(True, "bool") == "yes" and format_value(None) == "∅"
