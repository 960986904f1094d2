"""Benchmark: the delete preview and apply against Django's own delete machinery, on the same cascade.

    .venv/bin/python -m benchmarks.delete                  # 10,000 megacon talks (about 100k rows) as roots
    .venv/bin/python -m benchmarks.delete --roots 1000
    .venv/bin/python -m benchmarks.delete --pg             # also on PostgreSQL (builds it once)

Preview peers, on the same roots: Django's ``Collector.collect`` alone (what
``QuerySet.delete()`` computes before deleting; it leaves fast deletes as
unevaluated querysets, so it reads far less: it counts nothing and places
nothing against a tenant), and the admin's delete confirmation
(``NestedObjects.collect`` + ``nested()``, which formats every row as the
admin's page does). Ours is the collector plus the tenant placement of every
row and the counts, in a read-only session.

Apply peers: ``QuerySet.delete()`` (no preview re-check, no backup) against ours
(re-check, backup of every touched row in the export format, delete), both in a
transaction that is rolled back afterwards, so every repeat sees the same data.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import prepare, ratio


def _queries(alias: str, fn: Any) -> tuple[float, int, Any]:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections[alias]) as ctx:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return seconds, len(ctx), result


def run(alias: str, n_roots: int) -> None:
    from conference.models import Event, Submission
    from django.contrib.admin.utils import NestedObjects
    from django.db import transaction
    from django.db.models.deletion import Collector

    from tenant_console.core.delete import apply_delete, preview_delete
    from tenant_console.core.export.storage import LocalOutput
    from tenant_console.core.project import load_project

    project = load_project("benchmarks.settings")
    ro = project.session("bench-delete", alias=alias)
    rw = project.session("bench-delete-rw", alias=alias, readonly=False)
    try:
        event = ro.run(lambda: Event._base_manager.using(alias).get(slug="megacon"), scoped=False)
        tenant = {"event": event.pk}
        pks = ro.run(lambda: list(Submission._base_manager.using(alias).filter(event=event).order_by("pk")
                                  .values_list("pk", flat=True)[:n_roots]), scoped=False)
        roots = {Submission: pks}

        def roots_qs() -> Any:
            return Submission._base_manager.using(alias).filter(pk__in=pks)

        ours_s, ours_q, preview = ro.run(lambda: _queries(alias, lambda: preview_delete(
            project.registry, alias, tenant, roots)), scoped=False)

        def collector_only() -> Collector:
            c = Collector(using=alias)
            c.collect(roots_qs())
            return c

        def admin_nested() -> Any:
            c = NestedObjects(using=alias)
            c.collect(roots_qs())
            return c.nested(str)

        coll_s, coll_q, _ = ro.run(lambda: _queries(alias, collector_only), scoped=False)
        admin_s, admin_q, _ = ro.run(lambda: _queries(alias, admin_nested), scoped=False)
        print(f"\n[{alias}] preview of {len(pks):,} submissions: {preview.total:,} rows deleted in "
              f"{len(preview.deletes)} models, {preview.total_updated:,} changed")
        print(f"  ours (collector + tenant placement + counts): {ours_s:7.2f}s {ours_q:6,} queries")
        print(f"  Django Collector.collect (reads deferred):    {coll_s:7.2f}s {coll_q:6,} queries  "
              f"ours {ratio(ours_s, coll_s)}")
        print(f"  admin NestedObjects (confirmation page):      {admin_s:7.2f}s {admin_q:6,} queries  "
              f"ours {ratio(ours_s, admin_s)}")

        folder = Path(tempfile.mkdtemp(prefix="tc-bench-delete-"))

        def ours_apply() -> Any:
            with transaction.atomic(using=alias):
                report = apply_delete(project, alias, tenant, roots, expected=preview.fingerprint(),
                                      backup=LocalOutput(folder / f"b{time.monotonic_ns()}.jsonl.gz"))
                transaction.set_rollback(True, using=alias)
            return report

        def django_delete() -> Any:
            with transaction.atomic(using=alias):
                result = roots_qs().delete()
                transaction.set_rollback(True, using=alias)
            return result

        ap_s, ap_q, report = rw.run(lambda: _queries(alias, ours_apply), scoped=False, readonly=False)
        dj_s, dj_q, result = rw.run(lambda: _queries(alias, django_delete), scoped=False, readonly=False)
        assert report.total == result[0], (report.total, result[0])
        print(f"  apply, ours (re-check + backup + delete):     {ap_s:7.2f}s {ap_q:6,} queries")
        print(f"  apply, QuerySet.delete() (no backup):         {dj_s:7.2f}s {dj_q:6,} queries  "
              f"ours {ratio(ap_s, dj_s)}")
    finally:
        ro.close()
        rw.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delete", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roots", type=int, default=10_000, help="megacon submissions to delete (default 10,000)")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    aliases = ("default", "postgres") if args.pg else ("default",)
    prepare(aliases=aliases)
    for alias in aliases:
        run(alias, args.roots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
