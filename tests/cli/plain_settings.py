"""A project without django-scopes (only contrib apps), for the 'no dimensions' warning."""

import os

SECRET_KEY = "plain"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PLAIN_DB"]}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TENANT_CONSOLE = {"AUDIT_LOG": None}
