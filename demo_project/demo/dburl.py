"""A tiny DATABASE_URL parser (sqlite:///path, postgres://user@host:port/name), no dependency."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
}


def parse(url: str) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme not in ENGINES:
        raise ValueError(f"DATABASE_URL has an unsupported scheme {parts.scheme!r}")
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        name = path[1:] if path.startswith("/") and not path.startswith("//") else path.lstrip("/")
        if path.startswith("//"):
            name = path[1:]
        return {"ENGINE": ENGINES[scheme], "NAME": name or ":memory:"}
    config = {
        "ENGINE": ENGINES[scheme],
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
    options = dict(parse_qsl(parts.query))
    if options:
        config["OPTIONS"] = options
    return config
