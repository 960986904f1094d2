"""Prints what the tests of edgeproj need to see in its database, as JSON (run as ``python -m edgeproj.probe``).

``counts``: rows per model and festival slug; ``sequences``: PostgreSQL sequence values;
``rows``: every row of every model (values as the serializer writes them), per festival.
``python -m edgeproj.probe --sql STATEMENT`` runs one statement first (autocommit).
"""

from __future__ import annotations

import json

import django


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgeproj.settings")
    django.setup()
    import sys

    if len(sys.argv) > 2 and sys.argv[1] == "--sql":
        from django.db import connection as conn

        with conn.cursor() as cur:
            cur.execute(sys.argv[2])
    from django.core import serializers
    from django.db import connection
    from django_scopes import scopes_disabled

    from edgeproj.fest.models import Festival, Photo, Slot, Speaker, Talk

    out: dict = {"counts": {}, "rows": {}, "sequences": {}}
    with scopes_disabled():
        paths = {Talk: "festival__slug", Photo: "festival__slug", Slot: "talk__festival__slug"}
        for model, path in paths.items():
            label = model._meta.label_lower
            for slug in Festival.objects.values_list("slug", flat=True):
                qs = model.objects.filter(**{path: slug}).order_by("pk")
                out["counts"].setdefault(slug, {})[label] = qs.count()
                out["rows"].setdefault(slug, {})[label] = [
                    {k: v for k, v in r["fields"].items() if k not in ("festival", "talk", "duplicate_of")}
                    for r in serializers.serialize("python", qs)]
        out["festivals"] = {f.slug: str(f.name) for f in Festival.objects.all()}
        from django.db.models import F

        # References between festivals: talks marked as duplicates of another festival's talk.
        out["cross"] = {slug: Talk.objects.filter(festival__slug=slug, duplicate_of__isnull=False).exclude(
            duplicate_of__festival=F("festival")).count() for slug in out["festivals"]}
        out["speakers"] = Speaker.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            out["sequences"] = {name: value for name, value in cur.fetchall()}
    print(json.dumps(out, default=str, sort_keys=True))


if __name__ == "__main__":
    main()
