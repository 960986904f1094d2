"""Database checks made when a project is opened: reachable, migrated."""

from __future__ import annotations

import os
import urllib.parse

from django.db import DEFAULT_DB_ALIAS, connections

from tenant_console.core.errors import ProjectLoadError


def describe_database(alias: str) -> str:
    """Vendor, host and port of an alias, for error messages (never the password)."""
    conn = connections[alias]
    settings = conn.settings_dict
    if conn.vendor == "sqlite":
        return f"sqlite database {settings.get('NAME')!s}"
    host = settings.get("HOST") or "local socket"
    port = settings.get("PORT") or "default port"
    return f"{conn.vendor} database {settings.get('NAME')!r} on {host}:{port}"


def sqlite_file(name: object) -> str | None:
    """The file a SQLite ``NAME`` opens, or None for an in-memory database.

    Django opens SQLite with ``uri=True``: a name is a URI only when it starts with ``file:``.
    """
    database = os.fspath(name) if isinstance(name, (str, os.PathLike)) else str(name or "")
    if not database.startswith("file:"):
        return None if database in ("", ":memory:") else database
    parsed = urllib.parse.urlsplit(database)
    if parsed.path in ("", ":memory:") or dict(urllib.parse.parse_qsl(parsed.query)).get("mode") == "memory":
        return None
    return urllib.parse.unquote(parsed.path)


def check_connection(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Open the connection and run ``SELECT 1``; raise a one-paragraph error if it fails.

    A SQLite file that does not exist is reported before connecting: opening it would create an
    empty file, and looking at a database must never create one (a mistyped NAME or path).
    """
    conn = connections[alias]
    if conn.vendor == "sqlite":
        path = sqlite_file(conn.settings_dict.get("NAME"))
        if path is not None and not os.path.exists(path):
            raise ProjectLoadError(
                f"The {describe_database(alias)} (alias {alias!r}) does not exist; nothing was created. "
                "Check the NAME in DATABASES (relative names are read from the current directory), "
                "or run manage.py migrate to create it."
            )
    try:
        conn.ensure_connection()
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
    except Exception as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ProjectLoadError(
            f"Cannot reach the {describe_database(alias)} (alias {alias!r}): {message}. "
            "Check that the server is running and the DATABASES settings are right."
        )
    if conn.vendor == "sqlite":
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM sqlite_master")
            (tables,) = cur.fetchone()
        if tables == 0:
            raise ProjectLoadError(
                f"The {describe_database(alias)} (alias {alias!r}) is empty: it has no tables. "
                "Run manage.py migrate first (or check the NAME in DATABASES)."
            )


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """``{app_label: [migration names]}`` not yet applied to the database."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending: dict[str, list[str]] = {}
    for migration, backwards in plan:
        if not backwards:
            pending.setdefault(migration.app_label, []).append(migration.name)
    return pending


def migration_warning(alias: str = DEFAULT_DB_ALIAS) -> str | None:
    pending = unapplied_migrations(alias)
    if not pending:
        return None
    apps = ", ".join(f"{app} ({len(names)})" for app, names in sorted(pending.items()))
    return (
        f"The database {alias!r} has unapplied migrations for {apps}; "
        "what the console shows may not match the models. Run manage.py migrate."
    )


def check_database(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Connection check, then migration check; returns warnings."""
    check_connection(alias)
    warning = migration_warning(alias)
    return [warning] if warning else []
