"""Deterministic seed data for edgeproj: two festivals, ``democon`` the larger one."""

from __future__ import annotations

from django.db import transaction

from edgeproj.fest.i18n import Translated
from edgeproj.fest.models import Festival, Photo, Slot, Speaker, Talk

FESTIVALS = [("democon", {"en": "DemoCon", "de": "DemoKonferenz"}, 12), ("opsfest", {"en": "OpsFest"}, 4),
             ("dtage", {"en": "Düsseldorf Days"}, 2)]


@transaction.atomic
def seed() -> None:
    if Festival.objects.exists():
        return
    speakers = []
    for n in range(6):
        speakers.append(Speaker.objects.create(handle=f"speaker{n}"))
    for slug, name, talks in FESTIVALS:
        fest = Festival.objects.create(slug=slug, name=Translated(name), api_token=f"{slug}-secret-token")
        for n in range(talks):
            speaker = speakers[n % len(speakers)]
            talk = Talk.objects.create(
                festival=fest, code=f"{slug[:3].upper()}{n:03d}", review_code=f"r-{slug}-{n:03d}", number=n + 1,
                title=None if n % 3 == 0 else Translated({"en": f"Talk {n} at {slug}"}),
                data={"score": 1.0, "ratio": 2.5, "weights": [1.0, 2, 0.5], "nested": {"x": 3.0}},
                speaker=speaker,
            )
            Slot.objects.create(talk=talk, room=f"{slug}-room{n % 2}", start=9 + n, weight=1.0)
        for n in range(3 if slug == "democon" else 1):
            photo = Photo.objects.create(festival=fest, owner=speakers[n], caption=f"{slug} photo {n}")
            if slug == "democon":
                Speaker.objects.filter(pk=speakers[n].pk).update(photo=photo)
    first = Talk.objects.filter(festival__slug="democon").order_by("pk")
    Talk.objects.filter(pk=first[1].pk).update(duplicate_of=first[0])
