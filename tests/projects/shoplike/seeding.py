"""Deterministic seed data for the shop-like test project (about 200 rows).

``plant=True`` also makes one of acme's items point at a category of globex:
the cross-tenant reference through two owned tables that the audit must find.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django_scopes import scopes_disabled

from shoplike.shop import models as m

ORGANIZERS = [("acme", "Acme Tickets"), ("globex", "Globex Live")]
EVENTS = ["spring", "summer"]
ORDERS_PER_EVENT = 3
POSITIONS_PER_ORDER = 2


def seed(alias: str = "default", plant: bool = False) -> dict[str, int]:
    with scopes_disabled(), transaction.atomic(using=alias):
        if m.Organizer.objects.using(alias).exists():
            return {}
        eur = m.Currency.objects.using(alias).create(code="EUR")
        m.Currency.objects.using(alias).create(code="USD")
        for slug, name in ORGANIZERS:
            org = m.Organizer.objects.using(alias).create(slug=slug, name=name)
            m.OrganizerSetting.objects.using(alias).create(object=org, key="locale", value="en")
            m.OrganizerSetting.objects.using(alias).create(object=org, key="timezone", value="UTC")
            m.Team.objects.using(alias).create(organizer=org, name=f"{slug} admins")
            banner = m.Banner.objects.using(alias).create(sponsor=org, text=f"Sponsored by {name}")
            customers = [m.Customer.objects.using(alias).create(organizer=org, email=f"c{i}@{slug}.example")
                         for i in range(2)]
            for e_index, ev_slug in enumerate(EVENTS):
                # The translatable-like field: the first event of each organizer has no name (NULL).
                event = m.Event.objects.using(alias).create(organizer=org, slug=ev_slug, currency=eur,
                                                            name="" if e_index == 0 else f"{name} {ev_slug}")
                m.EventSetting.objects.using(alias).create(object=event, key="payment", value="invoice")
                banner.shown_at.add(event)
                cats = [m.Category.objects.using(alias).create(event=event, name=f"cat {i}") for i in range(2)]
                items = [m.Item.objects.using(alias).create(event=event, category=cats[i % 2] if i < 2 else None,
                                                            name=f"{ev_slug} item {i}", price_cents=1000 * (i + 1))
                         for i in range(3)]
                for i in range(3):
                    m.Question.all_objects.using(alias).create(event=event, text=f"q{i}", active=i != 2)
                m.Voucher.objects.using(alias).create(event=event, item=items[0], code=f"V-{slug}-{ev_slug}")
                m.Note.objects.using(alias).create(event=event, text="a note on the event")
                for o in range(ORDERS_PER_EVENT):
                    order = m.Order.objects.using(alias).create(event=event, customer=customers[o % 2],
                                                                code=f"{slug[:2]}{ev_slug[:2]}{o}".upper())
                    for p in range(POSITIONS_PER_ORDER):
                        pos = m.OrderPosition.objects.using(alias).create(order=order, item=items[p],
                                                                          price_cents=items[p].price_cents)
                        m.Transaction.objects.using(alias).create(position=pos, amount_cents=pos.price_cents)
                m.Comment.objects.using(alias).create(
                    content_type=ContentType.objects.db_manager(alias).get_for_model(m.Order),
                    object_id=order.pk, text="called the customer")
        m.Note.objects.using(alias).create(event=None, text="a note on nothing")
        # A sponsor of globex is shown at acme's spring event too: links from a shared row into two tenants.
        m.Banner.objects.using(alias).get(sponsor__slug="globex").shown_at.add(
            m.Event.objects.using(alias).get(organizer__slug="acme", slug="spring"))
        if plant:
            acme_item = m.Item.objects.using(alias).filter(event__organizer__slug="acme").order_by("pk").first()
            globex_cat = m.Category.objects.using(alias).filter(event__organizer__slug="globex").order_by("pk").first()
            assert acme_item is not None and globex_cat is not None
            acme_item.category = globex_cat
            acme_item.save(using=alias)
        from django.apps import apps

        return {model._meta.label: model._base_manager.using(alias).count()
                for model in apps.get_app_config("shop").get_models()}
