"""Reaching the PostgreSQL server the tests use (127.0.0.1:5432, trust auth by default)."""

from __future__ import annotations

import os


def params() -> dict[str, str]:
    return {
        "host": os.environ.get("TC_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("TC_PG_PORT", "5432"),
        "user": os.environ.get("TC_PG_USER", "postgres"),
        "password": os.environ.get("TC_PG_PASSWORD", ""),
    }


def unavailable_reason() -> str | None:
    """None if PostgreSQL answers, else why not (for the skip message)."""
    try:
        import psycopg2
    except ImportError as exc:  # pragma: no cover - psycopg2-binary is a dependency
        return f"psycopg2 is not installed ({exc})"
    try:
        conn = psycopg2.connect(dbname="postgres", connect_timeout=3, **params())
    except Exception as exc:
        p = params()
        return f"PostgreSQL is not reachable at {p['host']}:{p['port']} as {p['user']} ({' '.join(str(exc).split())})"
    conn.close()
    return None


def admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", connect_timeout=5, **params())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def admin_db(dbname: str, sql: str) -> None:
    """Run ``sql`` as the admin user in the database ``dbname`` (autocommit)."""
    import psycopg2

    conn = psycopg2.connect(dbname=dbname, connect_timeout=5, **params())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()
