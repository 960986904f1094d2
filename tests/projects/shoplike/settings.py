"""A test-only project shaped like pretix/pretalx (see ``shop/models.py``).

SQLite in the file named by ``SHOPLIKE_DB``, or PostgreSQL when
``SHOPLIKE_PG_NAME`` names a database (``TC_PG_*`` for the server), so the same
tests run on both.
"""

import json
import os
import tempfile

_tmp = tempfile.gettempdir()

SECRET_KEY = "shoplike-test-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "shoplike.shop",
    "tenant_console",
]

if os.environ.get("SHOPLIKE_PG_NAME"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["SHOPLIKE_PG_NAME"],
            "HOST": os.environ.get("TC_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("TC_PG_PORT", "5432"),
            "USER": os.environ.get("TC_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("TC_PG_PASSWORD", ""),
        },
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SHOPLIKE_DB") or os.path.join(_tmp, "shoplike.sqlite3"),
        },
    }

TENANT_CONSOLE = {
    # A voucher has two CASCADE parents (event, item); inference takes the shorter path, the setting pins it.
    "OWNED": {"shop.Voucher": "event__organizer"},
    # A banner names the organizer that paid for it, but is shown to every tenant.
    "SHARED": ["shop.Banner"],
    "STATE_DIR": os.environ.get("SHOPLIKE_STATE_DIR") or os.path.join(_tmp, "shoplike-state"),
}
# Tests replace single keys (OWNED, SHARED, ...) to check how bad values are reported.
TENANT_CONSOLE.update(json.loads(os.environ.get("SHOPLIKE_TENANT_CONSOLE") or "{}"))
