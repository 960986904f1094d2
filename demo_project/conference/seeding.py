"""Deterministic demo data, written with bulk inserts so that a million rows take seconds.

``seed(...)`` is what ``manage.py seed_demo`` calls; it is also used by the test
suite and the benchmarks. Same arguments, same rows (``random.Random(seed)``).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django_scopes import scopes_disabled

from conference import models as m

EVENTS = [
    ("democon", "DemoCon 2026", "acme"),
    ("pycon-nordic", "PyCon Nordic", "acme"),
    ("djangocon-lab", "DjangoCon Lab", "dsf"),
    ("opsfest", "OpsFest", "dsf"),
    ("datacamp", "DataCamp Berlin", None),
]
ORGANISERS = [("acme", "ACME Conferences"), ("dsf", "Django Community Events")]
TRACKS = ["Web", "Data", "Ops", "Community", "Security", "Testing"]
ROOMS = ["Main Hall", "Room A", "Room B", "Workshop 1", "Workshop 2", "Lightning Stage"]
TAGS = ["python", "django", "postgres", "async", "htmx", "devops", "ml", "beginner", "advanced", "keynote"]
WORDS = [
    "scaling",
    "tenants",
    "databases",
    "migrations",
    "async",
    "views",
    "caching",
    "queries",
    "testing",
    "deploys",
    "observability",
    "security",
    "search",
    "forms",
    "admin",
    "signals",
    "workers",
    "queues",
    "schemas",
    "fixtures",
    "exports",
    "imports",
    "graphs",
]
STATES = ["submitted", "accepted", "rejected", "confirmed", "withdrawn"]
BASE_TIME = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
BATCH = 2000


@dataclass
class SeedReport:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def add(self, label: str, n: int) -> None:
        self.rows[label] = self.rows.get(label, 0) + n


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 6))).capitalize()


def _bulk(report: SeedReport, model, objs, alias: str) -> list:
    created = model._base_manager.db_manager(alias).bulk_create(objs, batch_size=BATCH)
    report.add(model._meta.label, len(objs))
    return created


def _users(alias: str, count: int, report: SeedReport) -> list:
    User = get_user_model()
    existing = User._base_manager.using(alias).count()
    objs = [
        User(
            username=f"user{i:06d}",
            email=f"user{i:06d}@example.org",
            first_name=f"Speaker{i}",
            last_name="Demo",
            password="!unusable",
        )
        for i in range(existing, existing + count)
    ]
    _bulk(report, User, objs, alias)
    return list(User._base_manager.using(alias).order_by("pk")[existing : existing + count])


def _event_rows(
    alias: str, event: m.Event, users: list, rng: random.Random, submissions: int, report: SeedReport, code_prefix: str
) -> dict[str, list]:
    """Everything one event has: tracks, rooms, tags, questions, submissions and what hangs off them."""
    tracks = _bulk(report, m.Track, [m.Track(event=event, name=n) for n in TRACKS[:4]], alias)
    rooms = _bulk(
        report,
        m.Room,
        [
            m.Room(event=event, name=n, capacity=rng.choice([None, 40, 120, 400]), position=i)
            for i, n in enumerate(ROOMS[:5])
        ],
        alias,
    )
    tags = _bulk(report, m.Tag, [m.Tag(event=event, tag=t) for t in TAGS[:8]], alias)
    questions = _bulk(
        report,
        m.Question,
        [
            m.Question(event=event, question="Have you spoken before?", variant="boolean", position=0),
            m.Question(event=event, question="How many years of Python?", variant="number", position=1),
            m.Question(event=event, question="Anything we should know?", variant="text", position=2),
        ],
        alias,
    )
    choice = m.ChoiceQuestion(
        event=event, question="Preferred day", variant="choices", position=3, options=["Day 1", "Day 2", "Either"]
    )
    choice.save(using=alias)
    report.add("conference.Question", 1)
    report.add("conference.ChoiceQuestion", 1)
    questions.append(choice)

    subs = []
    for i in range(submissions):
        subs.append(
            m.Submission(
                event=event,
                code=f"{code_prefix}{i:07d}",
                title=_title(rng),
                abstract=" ".join(rng.choice(WORDS) for _ in range(30)),
                state=rng.choice(STATES),
                track=rng.choice([*tracks, None]),
                duration=rng.choice([None, 15, 30, 45]),
                custom_data={
                    "level": rng.choice(["beginner", "intermediate", "expert"]),
                    "needs_av": rng.random() < 0.3,
                },
                created=BASE_TIME + dt.timedelta(minutes=i),
            )
        )
    subs = _bulk(report, m.Submission, subs, alias)

    roles, profiles_for, tag_links, reviews, answers, slots, resources, logs = [], set(), [], [], [], [], [], []
    Through = m.Submission.tags.through
    sub_ct = ContentType.objects.db_manager(alias).get_for_model(m.Submission)
    for i, sub in enumerate(subs):
        speakers = rng.sample(users, k=1 if rng.random() < 0.7 else 2)
        for pos, user in enumerate(speakers):
            roles.append(m.SpeakerRole(submission=sub, user=user, is_primary=pos == 0, position=pos))
            profiles_for.add(user.pk)
        for tag in rng.sample(tags, k=2):
            tag_links.append(Through(submission_id=sub.pk, tag_id=tag.pk))
        for reviewer in rng.sample(users, k=2):
            reviews.append(
                m.Review(
                    event=event,
                    submission=sub,
                    user=reviewer,
                    score=rng.randint(0, 10),
                    text=_title(rng),
                    created=BASE_TIME + dt.timedelta(days=1, minutes=i),
                )
            )
        for q in questions[:3]:
            answers.append(
                m.Answer(
                    question=q,
                    submission=sub,
                    person=speakers[0],
                    answer=str(rng.randint(0, 20)) if q.variant == "number" else _title(rng),
                )
            )
        if sub.state in ("accepted", "confirmed"):
            start = BASE_TIME + dt.timedelta(days=30, minutes=30 * (i % 20))
            slots.append(
                m.TalkSlot(
                    event=event,
                    submission=sub,
                    room=rng.choice(rooms),
                    start=start,
                    end=start + dt.timedelta(minutes=sub.duration or 30),
                    is_visible=True,
                )
            )
        if i % 4 == 0:
            resources.append(m.Resource(submission=sub, resource=f"resources/{sub.code}.pdf", description="Slides"))
        logs.append(
            m.ActivityLog(
                event=event,
                content_type=sub_ct,
                object_id=sub.pk,
                user=speakers[0],
                action_type="submission.create",
                timestamp=sub.created,
                data={"title": sub.title},
            )
        )
    _bulk(report, m.SpeakerRole, roles, alias)
    profiles = _bulk(
        report,
        m.SpeakerProfile,
        [
            m.SpeakerProfile(
                event=event, user_id=pk, biography="Loves Django.", avatar=f"avatars/{pk}.png" if pk % 3 == 0 else None
            )
            for pk in sorted(profiles_for)
        ],
        alias,
    )
    Through._base_manager.db_manager(alias).bulk_create(tag_links, batch_size=BATCH)
    report.add(Through._meta.label, len(tag_links))
    _bulk(report, m.Review, reviews, alias)
    _bulk(report, m.Answer, answers, alias)
    _bulk(report, m.TalkSlot, [*slots, m.TalkSlot(event=event, room=rooms[0])], alias)
    _bulk(report, m.Resource, resources, alias)
    _bulk(report, m.ActivityLog, logs, alias)
    # A few duplicates point at another submission of the same event (self-referential FK).
    dupes = subs[1 :: max(1, len(subs) // 5)][:5]
    for d in dupes:
        d.duplicate_of = subs[0]
    m.Submission._base_manager.db_manager(alias).bulk_update(dupes, ["duplicate_of"])
    return {"subs": subs, "profiles": profiles}


def seed(
    alias: str = "default",
    *,
    events: int = 5,
    submissions: int = 40,
    users: int = 60,
    large: int = 0,
    tenants: int = 0,
    seed_value: int = 2026,
    flush: bool = False,
) -> SeedReport:
    """Seed the demo data; returns the rows written per model and the time taken."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    report = SeedReport()
    with scopes_disabled(), transaction.atomic(using=alias):
        if flush:
            flush_all(alias)
        organisers = {
            slug: m.Organiser._base_manager.db_manager(alias).create(slug=slug, name=name) for slug, name in ORGANISERS
        }
        report.add("conference.Organiser", len(organisers))
        people = _users(alias, users, report)
        for org in organisers.values():
            org.members.add(*people[:3])
        seeded: list[tuple[m.Event, dict]] = []
        for n in range(events):
            slug, name, org = EVENTS[n] if n < len(EVENTS) else (f"event-{n:03d}", f"Event {n}", None)
            ev = m.Event._base_manager.db_manager(alias).create(
                slug=slug,
                name=name,
                organiser=organisers.get(org) if org else None,
                date_from=dt.date(2026, 5, 1) + dt.timedelta(days=30 * n),
                date_to=dt.date(2026, 5, 3) + dt.timedelta(days=30 * n),
                is_public=n % 2 == 0,
                settings={"timezone": "Europe/Berlin", "cfp_open": n % 2 == 1},
            )
            report.add("conference.Event", 1)
            seeded.append((ev, _event_rows(alias, ev, people, rng, submissions, report, f"E{n:02d}")))
        if len(seeded) >= 2:
            plant_cross_tenant_review(alias, seeded[0][0], seeded[1][1]["subs"][0], people[0])
            report.add("conference.Review", 1)
        if large:
            seed_large(alias, large, people, rng, report, organisers.get("acme"))
        if tenants:
            seed_tenants(alias, tenants, report)
    if connections[alias].vendor == "postgresql":
        reset_sequences(alias)
    report.seconds = time.perf_counter() - started
    return report


def plant_cross_tenant_review(alias: str, event: m.Event, foreign_submission: m.Submission, user) -> m.Review:
    """The kind of row real databases contain: a review in one event of another event's talk."""
    return m.Review._base_manager.db_manager(alias).create(
        event=event,
        submission=foreign_submission,
        user=user,
        score=7,
        text="Reviewed from the wrong event (planted cross-tenant reference)",
        created=BASE_TIME,
    )


def seed_large(
    alias: str, rows: int, people: list, rng: random.Random, report: SeedReport, organiser: m.Organiser | None
) -> m.Event:
    """One big tenant (``megacon``) with about ``rows`` rows across its models.

    Each submission brings about ten rows (roles, tags, reviews, answers, slot,
    log), so ``rows // 10`` submissions. The rows are written with multi-row
    INSERTs and explicit keys (:class:`RowWriter`), several times faster than
    ``bulk_create``, which spends most of its time compiling SQL per object.
    """
    ev = m.Event._base_manager.db_manager(alias).create(
        slug="megacon",
        name="MegaCon (large)",
        organiser=organiser,
        date_from=dt.date(2027, 1, 10),
        date_to=dt.date(2027, 1, 14),
        settings={"large": True},
    )
    report.add("conference.Event", 1)
    _event_rows(alias, ev, people, rng, 0, report, "MEGA")  # tracks, rooms, tags, questions
    remaining, offset = max(1, rows // 10), 0
    writer = RowWriter(alias, report)
    while remaining > 0:
        n = min(10_000, remaining)
        _large_chunk(writer, ev, people, rng, n, offset)
        offset += n
        remaining -= n
    return ev


class RowWriter:
    """Multi-row INSERTs with explicit primary keys, values converted once per column type."""

    def __init__(self, alias: str, report: SeedReport) -> None:
        self.alias = alias
        self.connection = connections[alias]
        self.report = report
        self._next: dict[type, int] = {}

    def next_ids(self, model, n: int) -> range:
        if model not in self._next:
            top = model._base_manager.using(self.alias).order_by("-pk").values_list("pk", flat=True).first()
            self._next[model] = (top or 0) + 1
        start = self._next[model]
        self._next[model] = start + n
        return range(start, start + n)

    def insert(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        meta = model._meta
        fields = [meta.get_field(c) for c in columns]
        converters = [self._converter(f) for f in fields]
        if any(c is not None for c in converters):
            rows = [
                tuple(v if c is None or v is None else c(v) for v, c in zip(row, converters, strict=True))
                for row in rows
            ]
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(f.column) for f in fields)
        per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        chunk = max(1, min(500, 30000 // len(fields)))
        with self.connection.cursor() as cursor:
            for i in range(0, len(rows), chunk):
                part = rows[i : i + chunk]
                sql = f"INSERT INTO {qn(meta.db_table)} ({cols}) VALUES " + ", ".join([per_row] * len(part))
                cursor.execute(sql, [v for row in part for v in row])
        self.report.add(meta.label, len(rows))

    def _converter(self, field):
        from django.db import models as dm

        if isinstance(field, (dm.JSONField, dm.DateTimeField, dm.DateField, dm.DecimalField, dm.UUIDField)):
            return lambda value, f=field: f.get_db_prep_save(value, self.connection)
        return None


def _large_chunk(w: RowWriter, ev: m.Event, people: list, rng: random.Random, n: int, offset: int) -> None:
    tracks = list(m.Track._base_manager.using(w.alias).filter(event=ev).values_list("pk", flat=True))
    tags = list(m.Tag._base_manager.using(w.alias).filter(event=ev).values_list("pk", flat=True))
    rooms = list(m.Room._base_manager.using(w.alias).filter(event=ev).values_list("pk", flat=True))
    questions = list(
        m.Question._base_manager.using(w.alias).filter(event=ev).order_by("position").values_list("pk", flat=True)[:2]
    )
    sub_ct = ContentType.objects.db_manager(w.alias).get_for_model(m.Submission).pk
    user_pks = [u.pk for u in people]
    sub_ids = w.next_ids(m.Submission, n)
    subs, roles, links, reviews, answers, slots, logs = [], [], [], [], [], [], []
    role_ids = w.next_ids(m.SpeakerRole, n)
    log_ids = w.next_ids(m.ActivityLog, n)
    for i, sid in enumerate(sub_ids):
        k = offset + i
        created = BASE_TIME + dt.timedelta(minutes=k)
        state = rng.choice(STATES)
        user = user_pks[k % len(user_pks)]
        subs.append(
            (
                sid,
                ev.pk,
                f"MEGA{k:07d}",
                _title(rng),
                "",
                state,
                rng.choice([*tracks, None]),
                30,
                {"chunk": offset},
                created,
            )
        )
        roles.append((role_ids[i], sid, user, True, 0))
        links += [(sid, t) for t in rng.sample(tags, k=2)]
        reviews += [(ev.pk, sid, user_pks[(k + j) % len(user_pks)], rng.randint(0, 10), "", created) for j in (1, 2)]
        answers += [(q, sid, user, "42") for q in questions]
        if state in ("accepted", "confirmed"):
            slots.append((ev.pk, sid, rng.choice(rooms), created, created + dt.timedelta(minutes=30), True))
        logs.append((log_ids[i], ev.pk, sub_ct, sid, user, "submission.create", created))
    w.insert(
        m.Submission,
        ["id", "event", "code", "title", "abstract", "state", "track", "duration", "custom_data", "created"],
        subs,
    )
    w.insert(m.SpeakerRole, ["id", "submission", "user", "is_primary", "position"], roles)
    through = m.Submission.tags.through
    w.insert(through, ["submission", "tag"], links)
    w.insert(m.Review, ["event", "submission", "user", "score", "text", "created"], reviews)
    w.insert(m.Answer, ["question", "submission", "person", "answer"], answers)
    w.insert(m.TalkSlot, ["event", "submission", "room", "start", "end", "is_visible"], slots)
    w.insert(m.ActivityLog, ["id", "event", "content_type", "object_id", "user", "action_type", "timestamp"], logs)


def seed_tenants(alias: str, count: int, report: SeedReport) -> None:
    """Many small tenants (events with one track each), for the tenant picker at scale."""
    start = m.Event._base_manager.using(alias).count()
    for base in range(0, count, 10000):
        chunk = range(base, min(count, base + 10000))
        events = _bulk(
            report,
            m.Event,
            [
                m.Event(
                    slug=f"tenant-{start + i:06d}",
                    name=f"Tenant {start + i:06d} {WORDS[i % len(WORDS)].title()} Summit",
                    date_from=dt.date(2026, 1, 1),
                    date_to=dt.date(2026, 1, 2),
                )
                for i in chunk
            ],
            alias,
        )
        _bulk(report, m.Track, [m.Track(event=ev, name="Main") for ev in events], alias)


def flush_all(alias: str) -> None:
    """Delete every demo row (children first; self-references cleared first, since MariaDB/MySQL checks each row)."""
    m.Submission._base_manager.using(alias).exclude(duplicate_of=None).update(duplicate_of=None)
    for model in (
        m.ActivityLog,
        m.TalkSlot,
        m.Answer,
        m.ChoiceQuestion,
        m.Question,
        m.Review,
        m.Resource,
        m.SpeakerRole,
        m.Submission.tags.through,
        m.Submission,
        m.SpeakerProfile,
        m.Room,
        m.Tag,
        m.Track,
        m.Event,
        m.Organiser.members.through,
        m.Organiser,
    ):
        model._base_manager.using(alias).all()._raw_delete(alias)
    get_user_model()._base_manager.using(alias).all().delete()


def reset_sequences(alias: str) -> None:
    from django.apps import apps
    from django.core.management.color import no_style

    connection = connections[alias]
    sql = connection.ops.sequence_reset_sql(no_style(), list(apps.get_app_config("conference").get_models()))
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)
