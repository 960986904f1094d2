"""A conference tool shaped like pretalx: every event is a tenant, scoped by ``event``.

It has the shapes real django-scopes projects have: unscoped shared models
(``auth.User``, ``Organiser``), scoping through a path (``submission__event``),
a GenericForeignKey activity log, a self-referential FK, nullable FKs, a
FileField, a JSONField, a UUID primary key, UniqueConstraints (plain, conditional as pretix's
``one_default_per_event``, and over expressions), an explicit many-to-many ``through`` model and
multi-table inheritance.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim, Upper
from django_scopes import ScopedManager


class OrganiserManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Organiser(models.Model):
    """Shared between events (unscoped): the company that runs several events."""

    name = models.CharField(max_length=190)
    slug = models.SlugField(max_length=50, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="organisers", blank=True)

    objects = OrganiserManager()

    def natural_key(self):
        return (self.slug,)

    def __str__(self):
        return self.name


class Event(models.Model):
    """The tenant."""

    organiser = models.ForeignKey(Organiser, on_delete=models.PROTECT, related_name="events", null=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    date_from = models.DateField()
    date_to = models.DateField()
    is_public = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return self.name


class Track(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=200)
    color = models.CharField(max_length=7, default="#3aa57c")

    objects = ScopedManager(event="event")

    def __str__(self):
        return self.name


class Tag(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#1e90ff")

    objects = ScopedManager(event="event")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "tag"], name="unique_tag_per_event"),
            # "Python" and "python" are the same tag (an expression constraint: not supported, so not created,
            # on MariaDB, whose default collation compares them equal anyway).
            models.UniqueConstraint(Lower("tag"), "event", name="unique_tag_per_event_ci"),
        ]

    def __str__(self):
        return self.tag


class Room(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(event="event")

    def __str__(self):
        return self.name


class SpeakerProfile(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profiles")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speaker_profiles")
    biography = models.TextField(blank=True)
    avatar = models.FileField(upload_to="avatars/", null=True, blank=True)
    has_arrived = models.BooleanField(default=False)

    objects = ScopedManager(event="event")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="one_profile_per_event")]

    def __str__(self):
        return f"{self.user} @ {self.event_id}"


class Submission(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        CONFIRMED = "confirmed", "Confirmed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="submissions")
    code = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    abstract = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SUBMITTED)
    track = models.ForeignKey(Track, on_delete=models.SET_NULL, null=True, blank=True, related_name="submissions")
    tags = models.ManyToManyField(Tag, related_name="submissions", blank=True)
    speakers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SpeakerRole", related_name="submissions", blank=True
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    duration = models.PositiveIntegerField(null=True, blank=True)
    custom_data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField()

    logged_actions = GenericRelation("ActivityLog")

    objects = ScopedManager(event="event")

    class Meta:
        # Codes are unique ignoring case and surrounding spaces (pretalx's assign_code checks code__iexact): over
        # an expression the import's plan cannot evaluate (Trim), so the database decides at the insert.
        constraints = [models.UniqueConstraint(Upper(Trim("code")), name="submission_code_ci")]

    def __str__(self):
        return self.title


class SpeakerRole(models.Model):
    """The explicit ``through`` model of Submission.speakers, scoped through a path."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="speaker_roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="speaker_roles")
    is_primary = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(event="submission__event")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "user"], name="unique_speaker_role"),
            # One primary speaker per submission: a conditional constraint (as pretix's TaxRule has one default
            # per event); a partial index, which MariaDB does not have, so there only the project enforces it.
            models.UniqueConstraint(fields=["submission"], condition=Q(is_primary=True), name="one_primary_speaker"),
        ]


class Resource(models.Model):
    """A file attached to a submission: UUID primary key and a FileField."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="resources")
    resource = models.FileField(upload_to="resources/", blank=True)
    link = models.URLField(blank=True)
    description = models.CharField(max_length=1000, blank=True)

    objects = ScopedManager(event="submission__event")


class Review(models.Model):
    """A reviewer's score. It carries its own ``event`` (as in real projects), which is
    how a review in one event can end up pointing at another event's submission."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reviews")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reviews")
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    text = models.TextField(blank=True)
    created = models.DateTimeField()

    objects = ScopedManager(event="event")


class Question(models.Model):
    class Variant(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes/No"
        CHOICES = "choices", "Choice"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    question = models.CharField(max_length=400)
    variant = models.CharField(max_length=10, choices=Variant.choices, default=Variant.TEXT)
    required = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(event="event")

    def __str__(self):
        return self.question


class ChoiceQuestion(Question):
    """Multi-table inheritance: a question with a list of options."""

    options = models.JSONField(default=list)
    allow_multiple = models.BooleanField(default=False)

    objects = ScopedManager(event="event")


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="answers")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )
    answer = models.TextField()

    objects = ScopedManager(event="question__event")


class TalkSlot(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="talk_slots")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="slots")
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="talk_slots")
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    is_visible = models.BooleanField(default=False)

    objects = ScopedManager(event="event")


class ActivityLog(models.Model):
    """What happened to any object of an event: a GenericForeignKey with ContentType."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="log_entries")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    action_type = models.CharField(max_length=200)
    timestamp = models.DateTimeField()
    data = models.JSONField(null=True, blank=True)

    objects = ScopedManager(event="event")

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]
