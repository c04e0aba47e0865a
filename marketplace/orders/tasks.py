"""Celery entry points of customer orders (thin: the work is in services.py)."""

from celery import shared_task
from django.db import connection

from marketplace.orders.services import customer_orders_unpaid_release


@shared_task(name="marketplace.orders.tasks.unpaid_orders_release")
def unpaid_orders_release() -> int:
    """Beat (every minute): online payments past their deadline expire and their reserved stock goes back on the
    shelf. Safe to overlap with itself and to run any number of times."""
    connection.set_schema_to_public()
    return customer_orders_unpaid_release()
