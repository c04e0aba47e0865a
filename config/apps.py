from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """django.contrib.admin whose default site requires platform Admin + TOTP (config/admin_site.py)."""

    default_site = "config.admin_site.PlatformAdminSite"
