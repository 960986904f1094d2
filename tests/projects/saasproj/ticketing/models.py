"""Ticket sales shaped like pretix: organizers (accounts) own shows, shows sell tickets.

Two django-scopes dimensions, each named differently from its tenant model:
``organizer`` ends at :class:`Account` (UUID primary key) and ``event`` ends at
:class:`Show`. A show is scoped by its organizer, so choosing a show implies
the organizer.
"""

import uuid

from django.db import models
from django_scopes import ScopedManager


class Country(models.Model):
    """Shared reference data (unscoped)."""

    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name


class Account(models.Model):
    """The ``organizer`` tenant. Has neither ``name`` nor ``slug``: discovery must cope."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    handle = models.SlugField(max_length=50, unique=True)
    display_name = models.CharField(max_length=200)
    plan = models.CharField(max_length=10, choices=[("free", "Free"), ("pro", "Pro")], default="free")
    api_token = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.display_name


class Show(models.Model):
    """The ``event`` tenant, itself scoped by organizer (a show implies its account)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="shows")
    slug = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organizer="account")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "slug"], name="unique_show_slug_per_account")]

    def __str__(self):
        return self.title


class Venue(models.Model):
    """Scoped by organizer only."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(max_length=200)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True)

    objects = ScopedManager(organizer="account")

    def __str__(self):
        return self.name


class Ticket(models.Model):
    """Scoped by both dimensions, one of them through a path."""

    show = models.ForeignKey(Show, on_delete=models.CASCADE, related_name="tickets")
    venue = models.ForeignKey(Venue, on_delete=models.SET_NULL, null=True, blank=True)
    code = models.CharField(max_length=20, unique=True)
    holder = models.CharField(max_length=200)

    objects = ScopedManager(organizer="show__account", event="show")

    def __str__(self):
        return self.code


class PaymentLog(models.Model):
    """A ScopedManager that is NOT the default manager: the console treats the model as unscoped."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payments")
    amount_cents = models.IntegerField()

    objects = models.Manager()
    scoped = ScopedManager(organizer="account")
