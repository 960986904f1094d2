"""tenant-console: a terminal console for multi-tenant Django projects."""

__version__ = "0.1.0"
