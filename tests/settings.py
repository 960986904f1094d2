"""Settings for the test suite: the demo project on up to six databases.

``default`` and ``target`` are SQLite files; ``postgres`` and ``postgres_target`` are
PostgreSQL databases and ``mariadb`` and ``mariadb_target`` MariaDB databases created
for this run (present only when the server is reachable). ``tests/conftest.py`` sets
the environment variables read here.
"""

import os

from demo.settings import *  # noqa: F403
from demo.settings import BASE_DIR  # noqa: F401

_tmp = os.environ["TC_TEST_DIR"]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_tmp, "default.sqlite3")},
    "target": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_tmp, "target.sqlite3")},
}
if os.environ.get("TC_TEST_PG_NAME"):
    _pg = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("TC_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("TC_PG_PORT", "5432"),
        "USER": os.environ.get("TC_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("TC_PG_PASSWORD", ""),
    }
    DATABASES["postgres"] = {**_pg, "NAME": os.environ["TC_TEST_PG_NAME"]}
    DATABASES["postgres_target"] = {**_pg, "NAME": os.environ["TC_TEST_PG_NAME"] + "_target"}
if os.environ.get("TC_TEST_MARIADB_NAME"):
    _my = {
        "ENGINE": "django.db.backends.mysql",
        "HOST": os.environ.get("TC_MARIADB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("TC_MARIADB_PORT", "3306"),
        "USER": os.environ.get("TC_MARIADB_USER", "root"),
        "PASSWORD": os.environ.get("TC_MARIADB_PASSWORD", ""),
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }
    DATABASES["mariadb"] = {**_my, "NAME": os.environ["TC_TEST_MARIADB_NAME"]}
    DATABASES["mariadb_target"] = {**_my, "NAME": os.environ["TC_TEST_MARIADB_NAME"] + "_target"}

MEDIA_ROOT = os.path.join(_tmp, "media")
# Django's defaults, and a real file-system storage whose saves a test can make fail (tests/export/flaky_storage.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "flaky": {"BACKEND": "tests.export.flaky_storage.FlakyStorage",
              "OPTIONS": {"location": os.path.join(_tmp, "flaky-storage")}},
}
TENANT_CONSOLE = {"STATE_DIR": os.path.join(_tmp, "state")}

# The suite reads audit records from the logger (caplog, on the root logger): like a project that wants
# them in its own logging, it names the logger, so records propagate (see core/audit.route_records).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"tenant_console.audit": {"level": "INFO", "propagate": True}},
}
