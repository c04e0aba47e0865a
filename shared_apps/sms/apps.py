"""Installed so that Celery's autodiscovery finds shared_apps.sms.tasks. The app has no models."""

from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "shared_apps.sms"
    label = "sms"
    verbose_name = "SMS"
