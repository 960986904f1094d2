"""A ticket shop shaped like pretix (and pretalx where they differ), small.

One django-scopes dimension, ``organizer``, ending at :class:`Organizer`. Only a
few models carry a ``ScopedManager``; most tenant data is reached through
foreign keys, as in the real projects:

* :class:`Event` is scoped through an abstract base that carries the manager.
* :class:`Order` (depth 1, under the scoped event), :class:`OrderPosition`
  (depth 2: its ``order`` is CASCADE, its ``item`` PROTECT) and
  :class:`Transaction` (depth 3) have no ScopedManager: owned.
* :class:`Team` and :class:`OrganizerSetting` hang directly off the tenant;
  :class:`EventSetting` is a settings store keyed by ``object`` -> event.
* :class:`Item` (owned) may point at another organizer's :class:`Category`
  (owned): the cross-tenant reference the isolation audit must find.
* :class:`Customer` is scoped by a secondary manager ``profiles`` beside a plain
  ``objects``; :class:`Question`'s default manager hides inactive questions
  (``all_objects`` sees them), like pretalx's submissions.
* :class:`Note` (only a nullable link) and :class:`Comment` (only a generic
  foreign key) are ambiguous; :class:`Voucher` (two CASCADE parents to the same
  dimension) is declared owned and :class:`Banner` shared in the settings; its
  many-to-many ``shown_at`` links it to events of any organizer.
* ``Event.name`` is a translatable-like field: NULL in the database, ``""`` in Python.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_scopes import ScopedManager


class NullableTextField(models.TextField):
    """Like django-i18nfield's fields: stores NULL for an empty value and reads it back as ``""``."""

    def from_db_value(self, value, expression, connection):
        return "" if value is None else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value or None


class Currency(models.Model):
    """Shared reference data."""

    code = models.CharField(max_length=3, unique=True)

    def __str__(self):
        return self.code


class Organizer(models.Model):
    """The tenant of the ``organizer`` dimension."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class OrganizerScoped(models.Model):
    """Abstract base carrying the ScopedManager (pretix's LoggedModel-style bases)."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="%(class)ss")

    objects = ScopedManager(organizer="organizer")

    class Meta:
        abstract = True


class Event(OrganizerScoped):
    slug = models.SlugField()
    name = NullableTextField(null=True, blank=True)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT)

    def __str__(self):
        return self.slug


class OrganizerSetting(models.Model):
    """A settings store keyed by a foreign key to the tenant model (owned, depth 1)."""

    object = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="setting_objects")
    key = models.CharField(max_length=100)
    value = models.TextField()


class EventSetting(models.Model):
    object = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="setting_objects")
    key = models.CharField(max_length=100)
    value = models.TextField()


class Team(models.Model):
    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)


class Category(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=100)


class Item(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="items")
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    name = models.CharField(max_length=100)
    price_cents = models.IntegerField(default=0)


class ActiveQuestionManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(active=True)


class Question(models.Model):
    """Scoped; the default manager hides inactive questions, ``all_objects`` sees every one."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    objects = ScopedManager(organizer="event__organizer", _manager_class=ActiveQuestionManager)
    all_objects = ScopedManager(organizer="event__organizer")


class Customer(models.Model):
    """Scoped by a secondary manager with another name; the default manager is plain."""

    organizer = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="customers")
    email = models.CharField(max_length=100)

    objects = models.Manager()
    profiles = ScopedManager(organizer="organizer")


class Order(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="orders")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True)
    code = models.CharField(max_length=16)


class OrderPosition(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="positions")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="positions")
    price_cents = models.IntegerField()


class Transaction(models.Model):
    position = models.ForeignKey(OrderPosition, on_delete=models.PROTECT, related_name="transactions")
    amount_cents = models.IntegerField()


class Voucher(models.Model):
    """Two CASCADE parents (event, item) reaching the same dimension; the settings pin the path."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="vouchers")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="vouchers")
    code = models.CharField(max_length=16)


class Banner(models.Model):
    """Links to an organizer (its sponsor) but is shared: declared so in the settings.

    ``shown_at`` is a many-to-many declared outside the tenant whose other side is inside it, as
    pretalx's and pretix's ``Team.limit_events``: its link rows belong to no tenant's export.
    """

    sponsor = models.ForeignKey(Organizer, on_delete=models.CASCADE, related_name="banners")
    text = models.CharField(max_length=100)
    shown_at = models.ManyToManyField(Event, blank=True, related_name="banners")


class Note(models.Model):
    """Only a nullable link to an event: ambiguous (a note may belong to nobody)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True)
    text = models.CharField(max_length=100)


class Comment(models.Model):
    """Only a generic foreign key: ambiguous (its target model differs per row)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    text = models.CharField(max_length=100)
