from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "shared_apps.logistics"
    label = "logistics"
    verbose_name = "Logistics"
