"""The browse core (no Textual): keyset paging, filters, counts, labels, detail, recent tenants."""

from __future__ import annotations

import pytest

from tenant_console.core.browse import catalog, counts, detail, filters, paging
from tenant_console.core.browse.paging import ListSpec
from tenant_console.core.browse.queryset import NeedsTenant
from tenant_console.core.browse.recent import RecentTenants
from tenant_console.core.errors import ConsoleError
from tenant_console.core.scope import ScopeState

pytestmark = pytest.mark.mariadb


@pytest.fixture
def democon(session, event_pks):
    return session.activate({"event": event_pks["democon"]})


ORDERS = [None, "title", "state", "track", "duration", "duplicate_of", "created"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_keyset_pages_equal_offset_pages(project, session, democon, order, descending):
    """Walking forwards and backwards by keyset, and jumping anywhere, gives exactly the OFFSET order,
    also for nullable columns (track, duration, duplicate_of) where NULLs must not fall between pages."""
    reg = project.registry
    spec = ListSpec("conference.Submission", order=order, descending=descending)
    total = session.run(paging.count, reg, spec, democon)
    assert total == 40
    reference = [r.pk for r in session.run(paging.page_by_offset, reg, spec, democon, 0, 100)]
    forward, key = [], None
    while True:
        rows = session.run(paging.page_after, reg, spec, democon, key, 7)
        if not rows:
            break
        forward += [r.pk for r in rows]
        key = rows[-1].key
    assert forward == reference
    backward, key = [], None
    while True:
        rows = session.run(paging.page_before, reg, spec, democon, key, 6)
        if not rows:
            break
        backward = [r.pk for r in rows] + backward
        key = rows[0].key
    assert backward == reference
    for position in (0, 1, 13, 20, 33, 39):
        rows = session.run(paging.page_at, reg, spec, democon, position, 5, total, {})
        assert [r.pk for r in rows] == reference[position:position + 5], position
    # with anchors (first keys of pages seen), from either side
    anchors = {10: session.run(paging.page_at, reg, spec, democon, 10, 1, total, {})[0].key,
               30: session.run(paging.page_at, reg, spec, democon, 30, 1, total, {})[0].key}
    for position in (8, 12, 25, 31):
        key = session.run(paging.locate, reg, spec, democon, position, total, anchors)
        assert key[-1] == reference[position]


@pytest.mark.parametrize(("order", "descending"), [(None, False), ("title", False), ("track", True),
                                                 ("duration", False)])
def test_anchor_index_holds_every_nth_key(project, session, democon, order, descending):
    reg = project.registry
    spec = ListSpec("conference.Submission", order=order, descending=descending)
    reference = session.run(paging.page_by_offset, reg, spec, democon, 0, 100)
    anchors = session.run(paging.anchor_index, reg, spec, democon, 7)
    assert sorted(anchors) == list(range(0, 40, 7))
    for position, key in anchors.items():
        assert key == reference[position].key
    for position in (3, 18, 36):
        rows = session.run(paging.page_at, reg, spec, democon, position, 4, 40, anchors)
        assert [r.pk for r in rows] == [r.pk for r in reference[position:position + 4]]


@pytest.mark.parametrize(("order", "descending", "filter_text"), [
    (None, False, ""), (None, True, ""), ("track", False, ""), ("track", True, "state!=accepted")])
def test_walked_anchors_are_the_keys_at_their_rows(project, session, democon, order, descending, filter_text):
    """The background walk (a key-only skip of ``every`` rows per step, in steps of a few per call) puts
    each anchor on the row it says, to the end of the list; a deep page from them equals OFFSET's."""
    reg = project.registry
    spec = ListSpec("conference.Submission", order=order, descending=descending, filter_text=filter_text)
    assert paging.indexed_order(spec)
    total = session.run(paging.count, reg, spec, democon)
    reference = session.run(paging.page_by_offset, reg, spec, democon, 0, 100)
    anchors: dict = {}
    start = None
    while True:
        found = session.run(paging.walk_anchors, reg, spec, democon, start, 3, 2)
        anchors.update(found)
        if len(found) < 2 + (1 if start is None else 0):
            break
        start = (max(found), found[max(found)])
    assert sorted(anchors) == list(range(0, total, 3))
    for position, key in anchors.items():
        assert key == reference[position].key, position
    assert total >= 5
    for position in sorted({4, total - 5, total // 2 + 1}):
        rows = session.run(paging.page_at, reg, spec, democon, position, 4, total, anchors)
        assert [r.pk for r in rows] == [r.pk for r in reference[position:position + 4]], position
    assert session.run(paging.walk_anchors, reg, spec, democon, (total - 1, reference[-1].key), 3, 2) == {}


def test_only_indexed_orders_are_walked():
    assert paging.indexed_order(ListSpec("conference.Submission"))
    assert paging.indexed_order(ListSpec("conference.Submission", order="track"))  # a foreign key
    assert not paging.indexed_order(ListSpec("conference.Submission", order="title"))


def test_rows_show_fk_labels_choices_and_flag_cross_tenant_targets(project, session, democon):
    spec = ListSpec("conference.Review", filter_text="planted")
    rows = session.run(paging.page_after, project.registry, spec, democon, None, 10)
    assert len(rows) == 1
    cols = [c.name for c in paging.columns(catalog.get_model("conference.Review"))]
    cells = dict(zip(cols, rows[0].cells, strict=True))
    assert cells["event"].text == "DemoCon 2026 (democon)" and not cells["event"].foreign
    assert cells["submission"].foreign and "other tenant" in cells["submission"].text
    sub = session.run(paging.page_after, project.registry, ListSpec("conference.Submission"), democon, None, 1)
    sub_cols = [c.name for c in paging.columns(catalog.get_model("conference.Submission"))]
    state = dict(zip(sub_cols, sub[0].cells, strict=True))["state"].text
    assert state in {"Submitted", "Accepted", "Rejected", "Confirmed", "Withdrawn"}


def test_isolation_other_tenants_rows_are_not_listed(project, session, democon, event_pks):
    reg = project.registry
    for label in ("conference.Submission", "conference.Answer", "conference.SpeakerRole", "conference.Review"):
        rows = session.run(paging.page_after, reg, ListSpec(label), democon, None, 1000)
        assert rows
    events = {r.cells[1].text for r in session.run(paging.page_after, reg, ListSpec("conference.Submission"),
                                                       democon, None, 1000)}
    assert events == {"DemoCon 2026 (democon)"}
    # the Event list itself is narrowed to the tenant
    assert session.run(paging.count, reg, ListSpec("conference.Event"), democon) == 1


def test_scoped_model_without_a_tenant_needs_one(project, session):
    with pytest.raises(NeedsTenant, match="choose a tenant"):
        session.run(paging.count, project.registry, ListSpec("conference.Submission"), ScopeState())
    assert session.run(counts.count_model, project.registry, "conference.Submission", ScopeState()) is None
    assert session.run(counts.count_model, project.registry, "conference.Organiser", ScopeState()) == 2
    disabled = ScopeState(disabled=True)
    session.disable_scopes("test")
    assert session.run(counts.count_model, project.registry, "conference.Submission", disabled) == 200


def test_counts_follow_the_tenant(project, session, event_pks):
    reg = project.registry
    a = session.activate({"event": event_pks["democon"]})
    assert session.run(counts.count_model, reg, "conference.Review", a) == 81
    b = session.activate({"event": event_pks["pycon-nordic"]})
    assert session.run(counts.count_model, reg, "conference.Review", b) == 80


@pytest.mark.parametrize(("text", "expected"), [
    ("state=accepted", lambda qs: qs.filter(state="accepted")),
    ("state!=accepted duration__isnull=no", lambda qs: qs.exclude(state="accepted").filter(duration__isnull=False)),
    ("state__in=accepted,confirmed", lambda qs: qs.filter(state__in=["accepted", "confirmed"])),
    ("track__name__icontains=da", lambda qs: qs.filter(track__name__icontains="da")),
    ("created__gte=2026-03-01T09:30:00+00:00", lambda qs: qs.filter(created__gte="2026-03-01T09:30:00+00:00")),
    ("duplicate_of=none", lambda qs: qs.filter(duplicate_of__isnull=True)),
    ("scaling", lambda qs: qs.filter(title__icontains="scaling") | qs.filter(abstract__icontains="scaling")
     | qs.filter(code__icontains="scaling")),
])
def test_filters_match_the_orm(project, session, democon, text, expected):
    from conference.models import Submission

    got = session.run(paging.count, project.registry, ListSpec("conference.Submission", filter_text=text), democon)
    want = session.run(lambda: expected(Submission.objects.all()).count())
    assert got == want


@pytest.mark.parametrize(("text", "expected", "note"), [
    ("state=Accepted", lambda qs: qs.filter(state="accepted"),
     "state=Accepted: matched the label 'Accepted' (stored as 'accepted')."),
    ("state!=WITHDRAWN", lambda qs: qs.exclude(state="withdrawn"),
     "state!=WITHDRAWN: matched the label 'Withdrawn' (stored as 'withdrawn')."),
    ("state__in=Accepted,confirmed", lambda qs: qs.filter(state__in=["accepted", "confirmed"]),
     "state__in=Accepted: matched the label 'Accepted' (stored as 'accepted')."),
    ("state=accepted", lambda qs: qs.filter(state="accepted"), None),
    ("state=paid", lambda qs: qs.filter(state="paid"),
     "state=paid: 'paid' is neither a value nor a label of the choices (submitted (Submitted), "
     "accepted (Accepted), rejected (Rejected), confirmed (Confirmed), withdrawn (Withdrawn)); compared as typed."),
])
def test_choices_match_by_value_or_label_and_say_which(project, session, democon, text, expected, note):
    """A field with choices takes the stored value or the label shown in the list (any case); the
    check says when it was the label, and when the text is neither (instead of silently matching nothing)."""
    from conference.models import Submission

    got = session.run(paging.count, project.registry, ListSpec("conference.Submission", filter_text=text), democon)
    want = session.run(lambda: expected(Submission.objects.all()).count())
    assert got == want
    if "paid" not in text:
        assert got > 0
    notes = session.run(filters.check, "conference.Submission", text, scoped=False)
    assert notes == ([note] if note else [])


def test_choice_labels_that_differ_from_their_value(project, session, democon):
    """Question.variant stores 'boolean' under the label 'Yes/No' and 'choices' under 'Choice'."""
    from conference.models import Question

    for text, stored in (("variant=yes/no", "boolean"), ("variant=Choice", "choices"), ("variant=choices", "choices")):
        got = session.run(paging.count, project.registry, ListSpec("conference.Question", filter_text=text), democon)
        assert got == session.run(lambda s=stored: Question.objects.filter(variant=s).count()), text
    notes = session.run(filters.check, "conference.Question", "variant=yes/no variant=choices", scoped=False)
    assert notes == ["variant=yes/no: matched the label 'Yes/No' (stored as 'boolean')."]


@pytest.mark.parametrize(("text", "message"), [
    ("stat=accepted", "has no field 'stat'. Did you mean 'state'?"),
    ("created__gte=yesterday", "does not fit conference.Submission"),
    ("duration=abc", "does not fit conference.Submission"),
    ("state__nolookup=x", "does not fit conference.Submission"),
    ('title="open', "close the quote"),
    ("=x", "is not a lookup expression"),
    ("duration__isnull=maybe", "__isnull takes yes or no"),
    ("duration__range=1", "__range takes two"),
])
def test_bad_filters_are_clear_errors(session, text, message):
    with pytest.raises(filters.FilterError) as err:
        session.run(filters.check, "conference.Submission", text, scoped=False)
    assert message in str(err.value)


def test_detail_every_field_and_invisible_objects(project, session, democon, event_pks):
    from conference.models import Review, Submission

    review_pk = session.run(lambda: Review.objects.get(text__contains="planted").pk)
    view = session.run(detail.object_view, project.registry, "conference.Review", review_pk, democon)
    fields = {f.name: f for f in view.fields}
    assert set(fields) >= {"id", "event", "submission", "user", "score", "text", "created"}
    assert fields["submission"].links[0].foreign and "another tenant" in fields["submission"].text
    foreign_pk = fields["submission"].links[0].pk
    with pytest.raises(detail.NotVisible, match="does not exist in the scope"):
        session.run(detail.object_view, project.registry, "conference.Submission", foreign_pk, democon)
    sub_pk = session.run(lambda: Submission.objects.order_by("pk").first().pk)
    sub = {f.name: f for f in session.run(detail.object_view, project.registry, "conference.Submission",
                                          sub_pk, democon).fields}
    assert sub["custom_data"].kind == "json" and sub["custom_data"].text.startswith("{\n")
    assert sub["abstract"].kind == "text"
    assert sub["tags"].kind == "m2m" and sub["tags"].links
    assert sub["state"].text.split()[0] in {"Submitted", "Accepted", "Rejected", "Confirmed", "Withdrawn"}
    log_pk = session.run(lambda: __import__("conference.models").models.ActivityLog.objects.first().pk)
    log = {f.name: f for f in session.run(detail.object_view, project.registry, "conference.ActivityLog",
                                          log_pk, democon).fields}
    assert log["content_object"].kind == "generic" and log["content_object"].links[0].model == "conference.Submission"


def test_to_many_counts_are_in_the_right_number(project, session, democon):
    """``1 user``, ``2 users`` (operator trial on pretalx: ``1 speaker profiles``)."""
    from conference.models import Submission
    from django.db.models import Count

    def with_speakers(n: int) -> int:
        return Submission.objects.annotate(n=Count("speakers")).filter(n=n).order_by("pk").values_list(
            "pk", flat=True).first()

    for n, text in ((1, "1 user"), (2, "2 users")):
        pk = session.run(with_speakers, n)
        assert pk is not None, n
        fields = {f.name: f for f in session.run(detail.object_view, project.registry, "conference.Submission",
                                                 pk, democon).fields}
        assert fields["speakers"].text.split("  ⚠")[0] == text, fields["speakers"].text


def test_resolve_model_names():
    assert catalog.resolve_model("conference.submission") == "conference.Submission"
    assert catalog.resolve_model("Submission") == "conference.Submission"
    with pytest.raises(ConsoleError, match="Did you mean"):
        catalog.resolve_model("Submision")


def test_catalog_marks_scope(project):
    infos = {i.label: i for i in catalog.catalog(project.registry)}
    assert infos["conference.Event"].scope_text() == "tenant: event"
    assert infos["conference.Answer"].scope_text() == "event via question__event"
    assert infos["conference.Organiser"].scope_text() == "shared"
    assert infos["conference.Submission"].scope_text() == "event"


def test_recent_tenants_per_project_and_database(tmp_path):
    a = RecentTenants(tmp_path, "demo.settings", "default")
    b = RecentTenants(tmp_path, "demo.settings", "replica")
    for pk in range(12):
        a.remember("event", pk, f"Event {pk}")
    a.remember("event", 3, "Event 3")
    assert [r.pk for r in a.get("event")][:3] == [3, 11, 10]
    assert len(a.get("event")) == 8
    assert b.get("event") == []
    (tmp_path / "recent-tenants.json").write_text("not json")
    assert a.get("event") == []  # a broken file is ignored, not fatal


def test_recent_tenants_are_checked_against_the_database(project, session, event_pks):
    """Gone pks (a re-seeded database) are dropped, an unparsable pk too, labels come from today's row;
    one query for the whole list, on both vendors."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from tenant_console.core.browse.recent import RecentTenant, check_recent, search_with_recent

    dim = project.registry.dimensions["event"]
    gone = max(event_pks.values()) + 1000
    entries = [RecentTenant("event", event_pks["opsfest"], "stale label"), RecentTenant("event", gone, "Gone"),
               RecentTenant("event", "not-a-pk", "Broken"), RecentTenant("event", event_pks["democon"], "x")]

    def checked():
        with CaptureQueriesContext(connections[session.alias]) as queries:
            result = check_recent(dim, entries, session.alias)
        return result, len(queries.captured_queries)

    result, n_queries = session.run(checked, scoped=False)
    assert [(r.pk, r.label) for r in result] == [(event_pks["opsfest"], "OpsFest (opsfest)"),
                                                 (event_pks["democon"], "DemoCon 2026 (democon)")]
    assert n_queries == 1
    assert session.run(check_recent, dim, [], session.alias, scoped=False) == []
    # typing in the box: the search only, the remembered ones are not shown (nor checked)
    found, recent = session.run(search_with_recent, dim, "nordic", 10, session.alias, entries, scoped=False)
    assert [h.label for h in found.hits] == ["PyCon Nordic (pycon-nordic)"] and recent == []


def test_every_model_lists_and_shows_its_objects(project, session, democon):
    """Every installed model (UUID pk, multi-table inheritance, generic FK, m2m through, shared
    models) lists a page, jumps to its end, sorts by each sortable column, and shows an object."""
    reg = project.registry
    for info in catalog.catalog(reg):
        spec = ListSpec(info.label)
        total = session.run(paging.count, reg, spec, democon)
        rows = session.run(paging.page_after, reg, spec, democon, None, 5)
        assert len(rows) == min(5, total), info.label
        if not rows:
            continue
        last = session.run(paging.page_at, reg, spec, democon, total - 1, 5, total, {})
        assert len(last) == 1
        view = session.run(detail.object_view, reg, info.label, rows[0].pk, democon)
        assert view.fields, info.label
        for col in paging.columns(catalog.get_model(info.label)):
            if col.sortable:
                sorted_rows = session.run(paging.page_at, reg, ListSpec(info.label, order=col.name), democon,
                                          total // 2, 3, total, {})
                assert sorted_rows, (info.label, col.name)


@pytest.mark.parametrize(("typed", "suggested"), [
    ("submision", "'conference.Submission'"),
    ("conference.submision", "'conference.Submission'"),
    ("SUBM", "'conference.Submission'"),
    ("Revew", "'conference.Review'"),
    ("confrence.Review", "'conference.Review'"),
    ("auth.usr", "'auth.User'"),
])
def test_unknown_model_suggests_the_closest_by_model_name(project, typed, suggested):
    with pytest.raises(ConsoleError) as err:
        catalog.resolve_model(typed)
    assert err.value.message == f"There is no model {typed!r}. Did you mean {suggested}?"


def test_unknown_model_with_nothing_close_names_the_apps_models_not_odd_ones(project):
    """The shared ``conference.`` prefix used to make 'conference.Nope' look like Answer, Room or Event."""
    from tenant_console.core.graph.objects import parse_object_spec

    assert catalog.closest_models("conference.Nope") == []
    with pytest.raises(ConsoleError) as err:
        parse_object_spec("conference.Nope.1")
    message = err.value.message
    assert "Did you mean" not in message
    assert "The models of 'conference' are: ActivityLog, Answer," in message and "Submission" in message
    with pytest.raises(ConsoleError) as err:
        parse_object_spec("conference.Sbmission.1")
    assert err.value.message.endswith("Did you mean 'conference.Submission'?")
    assert catalog.model_suggestion("Nope") == ""
    with pytest.raises(ConsoleError) as err:
        catalog.resolve_model("Nope")  # the console's :model: nothing close, so where to look instead
    assert err.value.message == ("There is no model 'Nope'. ':model' without a name lists every model "
                                 "(/ filters the list).")


@pytest.mark.parametrize(("order", "descending"), [(None, False), ("title", True), ("track", False)])
def test_a_filter_across_a_many_to_many_lists_each_object_once(project, session, democon, order, descending):
    """``speakers__username__startswith=user`` matches a submission once per matching speaker in a plain
    join; the list (count, keyset pages both ways, jumps) shows each object once, in the list's order."""
    from conference.models import Submission

    reg = project.registry
    text = "speakers__username__startswith=user"
    spec = ListSpec("conference.Submission", order=order, descending=descending, filter_text=text)

    def expected():
        joined = Submission.objects.filter(speakers__username__startswith="user")
        return joined.count(), joined.values("pk").distinct().count()

    joined, distinct = session.run(expected)
    assert joined > distinct > 0, "the demo data has submissions with several matching speakers"
    total = session.run(paging.count, reg, spec, democon)
    assert total == distinct
    reference = [r.pk for r in session.run(paging.page_by_offset, reg, spec, democon, 0, 1000)]
    assert len(reference) == len(set(reference)) == distinct
    forward, key = [], None
    while rows := session.run(paging.page_after, reg, spec, democon, key, 7):
        forward += [r.pk for r in rows]
        key = rows[-1].key
    assert forward == reference
    backward, key = [], None
    while rows := session.run(paging.page_before, reg, spec, democon, key, 6):
        backward = [r.pk for r in rows] + backward
        key = rows[0].key
    assert backward == reference
    for position in (0, distinct // 2, distinct - 1):
        rows = session.run(paging.page_at, reg, spec, democon, position, 3, total, {})
        assert [r.pk for r in rows] == reference[position:position + 3]


def test_the_filter_placeholder_names_the_models_own_fields_and_every_example_is_a_valid_filter():
    """The placeholder's example is made of the model's fields (a choice, a name-like text, a date), never a
    secret one, and each example of every model of the project parses and builds a query."""
    from django.apps import apps

    assert filters.example(apps.get_model("conference.Submission")) == (
        "state=submitted title__icontains=word created__gte=2026-01-01 word…")
    assert filters.example(apps.get_model("auth.User")) == "username__icontains=word last_login__gte=2026-01-01 word…"
    for model in apps.get_models():
        text = filters.example(model)
        assert "password" not in text
        terms = " ".join(t for t in text.split() if "=" in t and not t.startswith("field="))
        if terms:
            filters.build_q(model, filters.parse(terms))
