"""Celery entry points of behaviour events (thin: the work is in services.py)."""

from celery import shared_task
from django.db import connection

from shared_apps.behaviour.services import behaviour_drain, behaviour_events_retire, opted_out_rebuild


@shared_task(name="shared_apps.behaviour.tasks.behaviour_drain_task")
def behaviour_drain_task() -> int:
    """Beat: recorded events into the database, a batch per transaction."""
    connection.set_schema_to_public()
    return behaviour_drain().events


@shared_task(name="shared_apps.behaviour.tasks.behaviour_retire_task")
def behaviour_retire_task() -> int:
    """Beat, daily: events past their retention folded into per-product daily counts; the opt-out set rebuilt."""
    connection.set_schema_to_public()
    retired = behaviour_events_retire().events
    opted_out_rebuild()
    return retired
