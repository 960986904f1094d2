"""A small test project for the edges of imports and exports (``tests/core/edge_project.py`` drives it).

Shaped like pretalx where the demo is not: the tenant's name is a translatable text field
(JSON in a TextField, as django-i18nfield stores it), a scoped model has two unique fields
(``code`` and ``review_code``), ``unique_together`` and a multi-column constraint, a
translatable field stores NULL and reads back ``""``, a JSONField holds floats, and a user-like
model and its picture refer to each other (non-nullable one way, nullable the other).

Like pretalx's, these settings read ``django.conf.settings`` while they are imported.

The database: ``EDGEPROJ_PG`` names a PostgreSQL database (on ``TC_PG_HOST``...), else the
SQLite file ``EDGEPROJ_DB``.
"""

import logging
import os
import tempfile

from django.conf import settings as _live

SECRET_KEY = "edgeproj-test-only"
DEBUG = False
logging.getLogger(__name__).debug("edgeproj settings loading (DEBUG=%s)", getattr(_live, "DEBUG", None))

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "edgeproj.fest",
    "tenant_console",
]
if os.environ.get("EDGEPROJ_PG"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["EDGEPROJ_PG"],
            "HOST": os.environ.get("TC_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("TC_PG_PORT", "5432"),
            "USER": os.environ.get("TC_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("TC_PG_PASSWORD", ""),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("EDGEPROJ_DB") or os.path.join(tempfile.gettempdir(), "edgeproj.sqlite3"),
        }
    }
TENANT_CONSOLE = {
    # Speakers are people shared between festivals (only their nullable photo leads to a festival).
    "SHARED": ["fest.Speaker"],
    "STATE_DIR": os.environ.get("EDGEPROJ_STATE_DIR") or os.path.join(tempfile.gettempdir(), "edgeproj-state"),
}
