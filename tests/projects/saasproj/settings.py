"""A second, test-only project with a different shape from the demo (see README below).

- ``ticketing``: django-scopes with TWO dimensions, both named differently from
  their models: ``organizer`` -> ``ticketing.Account`` (UUID primary key) and
  ``event`` -> ``ticketing.Show``, which is itself scoped by organizer, so a show
  implies its organizer. ``Ticket`` is scoped by both.
- ``notes``: tenants isolated WITHOUT django-scopes: a contextvar "current
  workspace" read by a custom default manager, with ``all_objects`` beside it,
  plugged in through ``TENANT_CONSOLE["DIMENSIONS"]["workspace"]``.

SQLite in a file named by ``SAASPROJ_DB`` (default: the system temp dir), so the
tests can build it in their own temporary directory.
"""

import os
import tempfile

_tmp = tempfile.gettempdir()

SECRET_KEY = "saasproj-test-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "saasproj.ticketing",
    "saasproj.notes",
    "tenant_console",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SAASPROJ_DB") or os.path.join(_tmp, "saasproj.sqlite3"),
    },
}

TENANT_CONSOLE = {
    "DIMENSIONS": {
        # Discovery would label an Account "Account #<uuid>"; say how a human knows it.
        "organizer": {"label": "{display_name} [{handle}]"},
        # Not django-scopes: the project's own contextvar backend.
        "workspace": {
            "model": "notes.Workspace",
            "activate": "saasproj.notes.tenancy.activate",
            "disable": "saasproj.notes.tenancy.unscoped",
            "scoped_models": {"notes.Note": "workspace", "notes.Comment": "note__workspace"},
        },
    },
    "STATE_DIR": os.environ.get("SAASPROJ_STATE_DIR") or os.path.join(_tmp, "saasproj-state"),
}
