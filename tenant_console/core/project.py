"""Loading a Django project the way ``manage.py`` does, with errors a person can act on."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

from tenant_console.core.audit import AuditTrail
from tenant_console.core.config import ConsoleConfig
from tenant_console.core.discovery import ScopeRegistry
from tenant_console.core.errors import ProjectLoadError, did_you_mean


@dataclass
class Project:
    """A loaded Django project: settings, database alias, discovered scopes, audit trail."""

    settings_module: str
    alias: str
    vendor: str
    config: ConsoleConfig
    registry: ScopeRegistry
    audit: AuditTrail
    warnings: list[str] = field(default_factory=list)

    def session(self, name: str = "console", *, alias: str | None = None, readonly: bool = True):  # noqa: ANN201
        """A session; a read-only one on ``TENANT_CONSOLE["READONLY_DATABASE"]`` when that is set
        (and no alias is asked for), so that the server enforces read-only."""
        from tenant_console.core.session import Session

        if alias is None and readonly and self.config.readonly_database:
            alias = self.config.readonly_database
        return Session(self, alias=alias, name=name, readonly=readonly)

    def writable_alias(self, alias: str) -> str:
        """Where writable work of a session on ``alias`` goes: the project's database when
        ``alias`` is the read-only database, else ``alias`` itself."""
        if alias == self.config.readonly_database:
            return self.alias if self.alias != alias else "default"
        return alias

    def database_label(self) -> str:
        """``default (postgresql)``: alias and vendor, never hosts or passwords."""
        return f"{self.alias} ({self.vendor})"


def _last_line(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def _setup_paths(pythonpath: Sequence[str]) -> None:
    for path in reversed([os.getcwd(), *pythonpath]):
        path = os.path.abspath(path)
        if path not in sys.path:
            sys.path.insert(0, path)


def configure_django(settings: str | None, pythonpath: Sequence[str] = ()) -> str:
    """Import the settings and run ``django.setup()``; return the settings module name."""
    _setup_paths(pythonpath)
    settings = settings or os.environ.get("DJANGO_SETTINGS_MODULE")
    if not settings:
        raise ProjectLoadError(
            "No Django settings were given. Pass --settings mysite.settings (the dotted module path "
            "manage.py uses) or set DJANGO_SETTINGS_MODULE; use --pythonpath DIR if the project is not "
            "in the current directory."
        )
    from django.conf import settings as dj_settings

    if dj_settings.configured:
        current = os.environ.get("DJANGO_SETTINGS_MODULE")
        if current and current != settings:
            raise ProjectLoadError(f"Django is already configured with {current!r}; cannot load {settings!r}.")
        import django

        django.setup()
        return settings
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    try:
        # Exactly as manage.py: the first attribute read makes ``LazySettings`` import the module.
        # Importing it ourselves first would be wrong for settings that read ``django.conf.settings``
        # while they are being imported (pretalx logs at import): that inner read would configure
        # Django from the half-imported module, with DATABASES and the rest not yet defined.
        dj_settings.INSTALLED_APPS  # noqa: B018
    except Exception as exc:
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and exc.name and settings.startswith(exc.name):
            hint = (
                f" Python looked for it on sys.path (the current directory {os.getcwd()!r} and any "
                "--pythonpath); run from the project directory or pass --pythonpath."
            )
        raise ProjectLoadError(f"The settings module {settings!r} cannot be imported: {_last_line(exc)}.{hint}")
    import django

    try:
        django.setup()
    except Exception as exc:
        raise ProjectLoadError(f"Django could not start with the settings {settings!r}: {_last_line(exc)}.")
    return settings


def load_project(settings: str | None = None, pythonpath: Sequence[str] = (), database: str = "default") -> Project:
    """Load the project without touching the database (see :mod:`checks` for that)."""
    module = configure_django(settings, pythonpath)
    from django.conf import settings as dj_settings
    from django.db import connections

    from tenant_console.core import routing
    from tenant_console.core.audit import route_records
    from tenant_console.core.config import load_config
    from tenant_console.core.discovery import discover

    aliases = list(dj_settings.DATABASES)
    if database not in aliases:
        raise ProjectLoadError(
            f"There is no database alias {database!r} in DATABASES of {module}.{did_you_mean(database, aliases)} "
            f"Known aliases: {', '.join(aliases)}."
        )
    config = load_config()
    if config.readonly_database is not None and config.readonly_database not in aliases:
        ro = config.readonly_database
        raise ProjectLoadError(
            f"TENANT_CONSOLE['READONLY_DATABASE'] names the database alias {ro!r}, which is not in DATABASES of "
            f"{module}.{did_you_mean(ro, aliases)} Known aliases: {', '.join(aliases)}."
        )
    registry = discover(config)
    routing.install()
    route_records(config.audit_log, getattr(dj_settings, "LOGGING", None))
    project = Project(
        settings_module=module,
        alias=database,
        vendor=connections[database].vendor,
        config=config,
        registry=registry,
        audit=AuditTrail(config.audit_log, module, database),
    )
    project.warnings.extend(registry.warnings)
    if not registry.dimensions:
        project.warnings.append(
            "No scope dimensions were found: no model uses a django-scopes ScopedManager and TENANT_CONSOLE "
            "configures no tenant backend. Everything is shown unscoped."
        )
    return project
