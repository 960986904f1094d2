"""Reaching the MariaDB/MySQL server the tests use (127.0.0.1:3306, user root, empty password by default)."""

from __future__ import annotations

import os
from typing import Any


def params() -> dict[str, Any]:
    return {
        "host": os.environ.get("TC_MARIADB_HOST", "127.0.0.1"),
        "port": int(os.environ.get("TC_MARIADB_PORT", "3306")),
        "user": os.environ.get("TC_MARIADB_USER", "root"),
        "password": os.environ.get("TC_MARIADB_PASSWORD", ""),
    }


def unavailable_reason() -> str | None:
    """None if MariaDB answers and the driver is installed, else why not (for the skip message)."""
    try:
        import MySQLdb
    except ImportError as exc:
        return (f"mysqlclient is not installed ({exc}); `make venv` installs it where libmariadb-dev "
                "and pkg-config are present (scripts/mysql-build-deps.sh)")
    p = params()
    try:
        conn = MySQLdb.connect(connect_timeout=3, **p)
    except Exception as exc:
        return f"MariaDB is not reachable at {p['host']}:{p['port']} as {p['user']} ({' '.join(str(exc).split())})"
    conn.close()
    return None


def admin(sql: str) -> None:
    import MySQLdb

    conn = MySQLdb.connect(connect_timeout=5, **params())
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()
