"""Settings for the benchmarks: the demo project on a large SQLite file and, when reachable, PostgreSQL."""

import os

from demo.settings import *  # noqa: F403
from demo.settings import BASE_DIR

_dir = os.environ.get("TC_BENCH_DIR", str(BASE_DIR.parent / ".bench"))
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_dir, "large.sqlite3")},
    "empty": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_dir, "empty.sqlite3")},
    # benchmarks/console.py: one tenant with a single 1,000,000-row table (paging figures)
    "console": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_dir, "console.sqlite3")},
}
if os.environ.get("TC_BENCH_PG"):
    _pg = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("TC_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("TC_PG_PORT", "5432"),
        "USER": os.environ.get("TC_PG_USER", "postgres"),
    }
    # TC_BENCH_PG_DB: the large database's name (benchmarks that build their own size name their own, so that
    # runs from several checkouts or sizes never reseed each other's database on the shared server)
    DATABASES["postgres"] = {**_pg, "NAME": os.environ.get("TC_BENCH_PG_DB", "tc_bench_large")}
    DATABASES["postgres_empty"] = {**_pg, "NAME": "tc_bench_empty"}
    DATABASES["postgres_console"] = {**_pg, "NAME": "tc_bench_console"}  # benchmarks/console.py
    DATABASES["postgres_tenants"] = {**_pg, "NAME": "tc_bench_tenants"}  # benchmarks/tenants.py
MEDIA_ROOT = os.path.join(_dir, "media")
TENANT_CONSOLE = {"STATE_DIR": os.path.join(_dir, "state"), "AUDIT_LOG": os.path.join(_dir, "state", "audit.jsonl")}
