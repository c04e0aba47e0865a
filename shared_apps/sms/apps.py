"""The SMS outbox (models.SmsMessage) and its delivery tasks (found by Celery's autodiscovery)."""

from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "shared_apps.sms"
    label = "sms"
    verbose_name = "SMS"
