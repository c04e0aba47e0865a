"""Celery entry points of the shopper's history (thin: the work is in services.py)."""

from celery import shared_task
from django.db import connection

from marketplace.history.services import order_purchases_record


@shared_task(name="marketplace.history.tasks.order_purchases_record_task")
def order_purchases_record_task(*, schema_name: str, merchant_order_id: int) -> int:
    """After a shop's order is placed: its products as the customer's purchases."""
    connection.set_schema_to_public()
    return order_purchases_record(schema_name=schema_name, merchant_order_id=merchant_order_id)
