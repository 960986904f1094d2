"""Settings that read ``django.conf.settings`` while they are being imported, as pretalx's do
(they log through a logger whose set-up reads settings). Loaded by the real executable in
``test_foundation_cli.py``; ``EAGER_DB`` names the seeded SQLite database."""

import logging
import os

from django.conf import settings as _live_settings

SECRET_KEY = "eager-test-only"
logging.getLogger(__name__).debug("loading settings (DEBUG=%s)", getattr(_live_settings, "DEBUG", None))

from demo.settings import *  # noqa: E402,F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["EAGER_DB"]}}
TENANT_CONSOLE = {"AUDIT_LOG": None}
