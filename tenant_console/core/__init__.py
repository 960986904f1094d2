"""The Django side of tenant-console.

Nothing in this package imports Textual or the UI; the CLI and the console both
drive the database only through :class:`tenant_console.core.session.Session`.
An import-linter contract in ``pyproject.toml`` keeps it that way.
"""
