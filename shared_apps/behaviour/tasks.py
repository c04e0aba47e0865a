"""Celery entry points of behaviour events (thin: the work is in services.py)."""

from celery import shared_task
from django.db import connection

from shared_apps.behaviour.services import behaviour_drain


@shared_task(name="shared_apps.behaviour.tasks.behaviour_drain_task")
def behaviour_drain_task() -> int:
    """Beat: recorded events into the database, a batch per transaction."""
    connection.set_schema_to_public()
    return behaviour_drain().events
