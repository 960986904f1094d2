"""``OutsideLink.list_from``: the one reader of an ``outside_links`` list (manifest and move journal)."""

from __future__ import annotations

from tenant_console.core.tenancy.links import OutsideLink


def test_list_from_reads_back_as_dict_and_skips_what_is_not_a_link() -> None:
    link = OutsideLink("m2m", "conference.organiser", "events", "conference.event", "t", 2, 1, "shared")
    assert OutsideLink.list_from([link.as_dict(), "m2m", None, {"kind": "fk", "rows": True}]) == [
        link, OutsideLink("fk", "", "", "", "", 0, 0, "")]
    assert OutsideLink.list_from({"kind": "m2m"}) == [] and OutsideLink.list_from(None) == []
