"""Build a pretix database for the real-project suite (run inside the pretix venv).

    PRETIX_CONFIG_FILE=... python tests/real/pretix_data.py [--empty]

pretix has no demo-data command, so this writes, through its ORM inside ``scopes_disabled()`` and
with a fixed seed: three organizers with one or two events each, tax rules, item categories,
items (one with variations), quotas, questions with options, orders with positions, answers,
fees, payments and invoice addresses, invoices, a voucher and a team. Then it runs pretix's own
``create_order_transactions``. ``--empty`` only migrates (the target of an import).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from decimal import Decimal

SEED = 4242
ORGANIZERS = [("acme", "Acme Tickets", 2), ("globex", "Globex Events", 1), ("initech", "Initech Live", 1)]
ORDERS_PER_EVENT = 24


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if "--empty" in sys.argv:
        return
    generate(random.Random(SEED))
    call_command("create_order_transactions")
    print("pretix data ready")


def generate(rnd: random.Random) -> None:
    from django.utils.timezone import now
    from django_scopes import scopes_disabled
    from pretix.base.models import (
        Event,
        InvoiceAddress,
        Item,
        ItemCategory,
        ItemVariation,
        Order,
        OrderFee,
        OrderPayment,
        OrderPosition,
        Organizer,
        Question,
        QuestionAnswer,
        QuestionOption,
        Quota,
        TaxRule,
        Team,
        Voucher,
    )
    from pretix.base.services.invoices import generate_invoice

    base = now().replace(microsecond=0)
    with scopes_disabled():
        for org_slug, org_name, n_events in ORGANIZERS:
            org = Organizer.objects.create(name=org_name, slug=org_slug)
            Team.objects.create(organizer=org, name=f"{org_name} admins", all_events=True)
            channel = org.sales_channels.get(identifier="web")
            for e in range(n_events):
                event = Event.objects.create(
                    organizer=org, name=f"{org_name} Festival {2027 + e}", slug=f"{org_slug}fest{e + 1}",
                    currency="EUR", date_from=base + dt.timedelta(days=60 + 30 * e), live=True,
                )
                event.settings.invoice_generate = "True"
                vat = TaxRule.objects.create(event=event, name="VAT", rate=Decimal("19.00"))
                reduced = TaxRule.objects.create(event=event, name="Reduced VAT", rate=Decimal("7.00"))
                tickets = ItemCategory.objects.create(event=event, name="Tickets", position=0)
                merch = ItemCategory.objects.create(event=event, name="Merchandise", position=1)
                full = Item.objects.create(event=event, category=tickets, name="Full ticket",
                                           default_price=Decimal("120.00"), tax_rule=vat, admission=True)
                student = Item.objects.create(event=event, category=tickets, name="Student ticket",
                                              default_price=Decimal("45.00"), tax_rule=vat, admission=True)
                shirt = Item.objects.create(event=event, category=merch, name="T-shirt",
                                            default_price=Decimal("20.00"), tax_rule=reduced)
                sizes = [ItemVariation.objects.create(item=shirt, value=size, position=i)
                         for i, size in enumerate(("S", "M", "L"))]
                quota = Quota.objects.create(event=event, name="Tickets", size=500)
                quota.items.set([full, student])
                shirts = Quota.objects.create(event=event, name="Shirts", size=200)
                shirts.items.set([shirt])
                shirts.variations.set(sizes)
                diet = Question.objects.create(event=event, question="Dietary needs?", type="C", required=False)
                diet.items.set([full, student])
                diet_options = [QuestionOption.objects.create(question=diet, answer=a, identifier=f"D{i}")
                                for i, a in enumerate(("none", "vegetarian", "vegan"))]
                Voucher.objects.create(event=event, code=f"{org_slug.upper()}FREE{e}", item=full, max_usages=3)
                for n in range(ORDERS_PER_EVENT):
                    status = rnd.choice(["p", "p", "p", "n", "c"])
                    order = Order.objects.create(
                        event=event, email=f"buyer{n}@{org_slug}.example", status=status, locale="en",
                        datetime=base - dt.timedelta(days=rnd.randint(1, 40), minutes=n),
                        expires=base + dt.timedelta(days=14), total=Decimal("0.00"), sales_channel=channel,
                    )
                    InvoiceAddress.objects.create(order=order, name_cached=f"Buyer {n}", city="Berlin",
                                                  country="DE", zipcode="10115", street=f"Street {n}")
                    total = Decimal("0.00")
                    for pid in range(1, rnd.randint(1, 3) + 1):
                        item = rnd.choice([full, student, shirt])
                        variation = rnd.choice(sizes) if item == shirt else None
                        price = (variation.price if variation else item.default_price)
                        pos = OrderPosition.objects.create(order=order, item=item, variation=variation, price=price,
                                                           positionid=pid, attendee_email=f"a{n}-{pid}@x.example")
                        if item != shirt:
                            answer = QuestionAnswer.objects.create(orderposition=pos, question=diet, answer="")
                            opt = rnd.choice(diet_options)
                            answer.options.set([opt])
                            answer.answer = str(opt.answer)
                            answer.save()
                        total += price
                    if rnd.random() < 0.4:
                        fee = OrderFee.objects.create(order=order, fee_type="payment", value=Decimal("2.50"),
                                                      tax_rule=vat)
                        total += fee.value
                    order.total = total
                    order.save()
                    state = {"p": "confirmed", "n": "created", "c": "canceled"}[status]
                    OrderPayment.objects.create(order=order, amount=total, provider="manual", state=state,
                                                payment_date=order.datetime if status == "p" else None)
                    if status == "p" and rnd.random() < 0.6:
                        generate_invoice(order, trigger_pdf=False)


if __name__ == "__main__":
    main()
