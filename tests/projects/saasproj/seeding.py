"""Deterministic seed data for the second test project (small: a few dozen rows).

Fixed UUIDs (uuid5 of the handle) and fixed codes, so tests can name rows. Two
accounts each have a show with the slug ``spring-gala`` (unique per account
only), which makes ``--event__slug=spring-gala`` ambiguous on purpose.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django_scopes import scopes_disabled

from saasproj.notes.models import Comment, Note, Workspace
from saasproj.notes.tenancy import unscoped
from saasproj.ticketing.models import Account, Country, PaymentLog, Show, Ticket, Venue

NAMESPACE = uuid.UUID("6f1c3f8e-3d5a-4c7e-9a51-2b8f0c9d4e21")

ACCOUNTS = [("acme", "Acme Events", "pro"), ("globex", "Globex Live", "free"), ("initech", "Initech Shows", "free")]
SHOWS = {
    "acme": [("spring-gala", "Spring Gala"), ("summer-fest", "Summer Fest")],
    "globex": [("spring-gala", "Spring Gala (Globex)"), ("winter-expo", "Winter Expo")],
    "initech": [("launch-party", "Launch Party")],
}
WORKSPACES = {"acme": [("acme-ops", "Acme Ops"), ("acme-sales", "Acme Sales")], "globex": [("globex-main", "Globex")]}
TICKETS_PER_SHOW = 4
NOTES_PER_WORKSPACE = 3
COMMENTS_PER_NOTE = 2


def account_id(handle: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, handle)


def flush(alias: str = "default") -> None:
    for model in (Comment, Note, Workspace, PaymentLog, Ticket, Venue, Show, Account, Country):
        model._base_manager.using(alias).all().delete()


def seed(alias: str = "default") -> dict[str, int]:
    """Replace the project's data with the fixed data set; return row counts per model."""
    with transaction.atomic(using=alias), scopes_disabled(), unscoped():
        flush(alias)
        countries = Country.objects.using(alias).bulk_create(
            [Country(code="DE", name="Germany"), Country(code="FR", name="France"), Country(code="US", name="USA")]
        )
        for a, (handle, display, plan) in enumerate(ACCOUNTS):
            account = Account.objects.using(alias).create(
                id=account_id(handle), handle=handle, display_name=display, plan=plan, api_token=f"tok-{handle}"
            )
            venues = [
                Venue.objects.using(alias).create(account=account, name=f"{display} Hall {x}", country=countries[a])
                for x in "AB"
            ]
            PaymentLog.objects.using(alias).bulk_create(
                [PaymentLog(account=account, amount_cents=1000 * (i + 1)) for i in range(2)]
            )
            for slug, title in SHOWS[handle]:
                show = Show.objects.using(alias).create(account=account, slug=slug, title=title)
                Ticket.objects.using(alias).bulk_create([
                    Ticket(show=show, venue=venues[i % 2], code=f"{handle[:3].upper()}-{slug[:10]}-{i}",
                           holder=f"Holder {i} of {title}")
                    for i in range(TICKETS_PER_SHOW)
                ])
            for key, name in WORKSPACES.get(handle, []):
                workspace = Workspace.objects.using(alias).create(account=account, key=key, name=name)
                for n in range(NOTES_PER_WORKSPACE):
                    note = Note.objects.using(alias).create(workspace=workspace, title=f"{name} note {n}")
                    Comment.objects.using(alias).bulk_create(
                        [Comment(note=note, text=f"comment {c} on {note.title}") for c in range(COMMENTS_PER_NOTE)]
                    )
        models = (Country, Account, Show, Venue, Ticket, PaymentLog, Workspace, Note, Comment)
        return {m.__name__: m._base_manager.using(alias).count() for m in models}
