"""Live events (public schema): the event log streams replay from, and the publish entry point."""

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "shared_apps.live"
    label = "live"
    verbose_name = "Live events"
    default_auto_field = "django.db.models.BigAutoField"
