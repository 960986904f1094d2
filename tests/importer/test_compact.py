"""What a plan holds per object stays small (issue 12/15: import memory): an item without findings
has no extra record, implied decisions are not stored, the index keeps no tuple per object. The
behaviour is the one every other import test checks; these pin the compact forms down."""

from __future__ import annotations

from tenant_console.core.importer.decisions import Decisions, Final, resolve
from tenant_console.core.importer.plan import Item, RefIndex
from tenant_console.core.importer.reader import Row


def _item(key: int, cls: str = "new") -> Item:
    return Item(row=Row(label="conference.tag", pk=key, fields={"name": f"t{key}"}, line=key, key=key), cls=cls)


def test_an_item_without_findings_has_no_extra_record():
    it = _item(1)
    assert it._extra is None
    assert (it.diff, it.detail, it.other_tenant, it.existing, it.forced, it.clash, it.cross, it.missing) == (
        (), "", False, None, None, (), (), ())
    it.detail = ""  # the default: still nothing stored
    it.other_tenant = False
    assert it._extra is None
    it.detail = "differs in name"
    assert it._extra is not None and it.detail == "differs in name" and it.diff == ()
    it.diff = [1]
    assert it.diff == [1]
    assert Item(row=it.row, cls="changed", detail="x", other_tenant=True).other_tenant is True


def test_final_stores_only_what_the_class_does_not_imply():
    new, same, clash = _item(1), _item(2, "identical"), _item(3, "key_clash")
    final = Final()
    final.set(new, "insert")
    final.set(same, "keep")
    final.set(clash, "new_key")
    assert (final.get(new), final.get(same), final.get(clash)) == ("insert", "keep", "new_key")
    assert final._set == {id(clash): "new_key"}
    final.set(new, "skip")
    assert final.get(new) == "skip"
    final.pop(new)
    final.pop(clash)
    assert final.get(new) is None and final.get(clash) is None and final.get(new, "undecided") == "undecided"
    final.set(new, "insert")
    assert final.get(new) == "insert" and not final._set


def test_ref_index_by_model():
    index = RefIndex()
    a, b = _item(1), _item(2)
    index[("conference.tag", 1)] = a
    index[("conference.tag", 2)] = b
    assert index[("conference.tag", 1)] is a and index.get(("conference.tag", 2)) is b
    assert ("conference.tag", 1) in index and ("conference.tag", 3) not in index and ("auth.user", 1) not in index
    assert index.get(("auth.user", 1)) is None and len(index) == 2


def test_a_real_plan_is_compact(importer, make_export):
    plan = importer.plan(make_export(importer.source))
    news = [it for it in plan.all_items() if it.cls == "new"]
    assert news and all(it._extra is None for it in news)
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "dependent")
    res = resolve(plan, d)
    assert all(res.decision(it) == "insert" for it in news if id(it) not in res.final._set)
    assert len(res.final._set) < len(news)  # implied decisions are not stored
    assert sum(res.counts(plan)[lb].get("insert", 0) for lb in plan.items) >= len(news) - len(res.final._set)


def test_ref_index_packs_integer_keys_and_keeps_the_others():
    index = RefIndex()
    items = [_item(k) for k in (3, 7, 12)]
    for it in items:
        index[("conference.tag", it.key)] = it
    dup = _item(7, "duplicate")
    dup.key = "7@line9"  # a duplicate keeps a text key of its own
    index[("conference.tag", dup.key)] = dup
    index[("auth.user", ("alice",))] = natural = _item(1)
    index.compact("conference.tag", [*items, dup])
    index.compact("auth.user")
    keys, packed = index._packed["conference.tag"]
    assert list(keys) == [3, 7, 12] and list(packed) == items
    assert index._by_label == {"conference.tag": {"7@line9": dup}, "auth.user": {("alice",): natural}}
    assert [index.get(("conference.tag", k)) for k in (3, 7, 12)] == items
    assert index[("conference.tag", "7@line9")] is dup and index.get(("auth.user", ("alice",))) is natural
    assert index.get(("conference.tag", 8)) is None and ("conference.tag", 13) not in index
    assert ("conference.tag", 2**70) not in index and len(index) == 5
    in_order = [_item(k) for k in (1, 2, 5)]
    other = RefIndex()
    for it in in_order:
        other[("conference.tag", it.key)] = it
    other.compact("conference.tag", in_order)
    assert other._packed["conference.tag"][1] is in_order  # already in key order: the plan's list is shared
    replaced = _item(2)
    other[("conference.tag", 2)] = replaced  # replacing a packed entry still works
    assert other[("conference.tag", 2)] is replaced and other[("conference.tag", 5)] is in_order[2]


def test_an_item_takes_its_rows_place(importer, make_export):
    plan = importer.plan(make_export(importer.source))
    for label, items in plan.items.items():
        assert plan.export.rows[label] is items  # one object per incoming object, not a row and an item
        assert all(it.row is it and plan.index.get((label, it.key)) is it for it in items)
