"""Settings of the tenant-console demo project: a small conference tool scoped by event."""

import os
from pathlib import Path

from demo import dburl

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "demo-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "conference",
    "tenant_console",
]

DATABASES = {
    "default": dburl.parse(os.environ["DATABASE_URL"])
    if os.environ.get("DATABASE_URL")
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "demo.sqlite3"},
}
if os.environ.get("DEMO_REPLICA_URL"):
    DATABASES["replica"] = dburl.parse(os.environ["DEMO_REPLICA_URL"])

MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
}

TENANT_CONSOLE = {
    "STATE_DIR": os.environ.get("TENANT_CONSOLE_STATE_DIR", str(BASE_DIR / "var" / "state")),
}
