from django.apps import AppConfig


class TenantConsoleConfig(AppConfig):
    """Adding ``tenant_console`` to INSTALLED_APPS gives ``manage.py tenant_console``."""

    name = "tenant_console"
    verbose_name = "tenant-console"
