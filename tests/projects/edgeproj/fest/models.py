"""Models of the edge-case project (see ``edgeproj/settings.py``)."""

from django.db import models
from django_scopes import ScopedManager

from edgeproj.fest.i18n import TranslatedField


class Festival(models.Model):
    """The tenant: its name is translatable text, not a CharField."""

    name = TranslatedField()
    slug = models.SlugField(unique=True)
    api_token = models.TextField(blank=True)  # never a search field

    def __str__(self):
        return str(self.name)


class SpeakerManager(models.Manager):
    def get_by_natural_key(self, handle):
        return self.get(handle=handle)


class Speaker(models.Model):
    """Shared between festivals, serialized by natural key; its photo is nullable."""

    handle = models.CharField(max_length=50, unique=True)
    photo = models.ForeignKey("Photo", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = SpeakerManager()

    def natural_key(self):
        return (self.handle,)


class Photo(models.Model):
    """Points at its speaker (non-nullable): with ``Speaker.photo``, a cycle broken at the nullable side."""

    festival = models.ForeignKey(Festival, on_delete=models.CASCADE, related_name="photos")
    owner = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="photos")
    caption = models.CharField(max_length=100, blank=True)

    objects = ScopedManager(festival="festival")


class Talk(models.Model):
    """Two unique fields (as pretalx's Submission has ``code`` and ``review_code``), a per-festival
    ``unique_together``, a translatable title that may be NULL, JSON with floats."""

    festival = models.ForeignKey(Festival, on_delete=models.PROTECT, related_name="talks")
    code = models.CharField(max_length=16, unique=True)
    review_code = models.CharField(max_length=32, unique=True)
    number = models.PositiveIntegerField()
    title = TranslatedField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    speaker = models.ForeignKey(Speaker, on_delete=models.SET_NULL, null=True, blank=True, related_name="talks")
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)

    objects = ScopedManager(festival="festival")

    class Meta:
        unique_together = [("festival", "number")]


class Slot(models.Model):
    """A multi-column unique constraint that does not include the tenant."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="slots")
    room = models.CharField(max_length=50)
    start = models.PositiveIntegerField()
    weight = models.FloatField(default=1.0)

    objects = ScopedManager(festival="talk__festival")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "start"], name="one_talk_per_room_and_time")]
