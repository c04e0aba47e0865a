"""Celery entry points of carts (thin: the work is in services.py)."""

from celery import shared_task
from django.db import connection

from marketplace.cart.services import carts_expire


@shared_task(name="marketplace.cart.tasks.carts_expire")
def carts_expire_task() -> int:
    """Beat (hourly): delete carts abandoned longer than their owner's time to live. Idempotent."""
    connection.set_schema_to_public()
    return carts_expire()
