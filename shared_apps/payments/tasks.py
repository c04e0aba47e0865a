"""Celery entry points of payments (thin: the work is in services.py). Every task is idempotent: a retry, a second
delivery or a beat run overlapping another changes nothing that was already done."""

from celery import shared_task
from django.db import connection

from shared_apps.payments.models import PaymentPart
from shared_apps.payments.services import (
    payment_part_refund,
    payment_webhook_process,
    payments_reconcile,
    refund_process,
)


@shared_task(name="shared_apps.payments.tasks.webhook_process_task", ignore_result=True)
def webhook_process_task(event_id: int) -> None:
    """A stored notification: confirm with the provider and apply (a failure leaves it for reconciliation)."""
    connection.set_schema_to_public()
    payment_webhook_process(event_id=event_id)


@shared_task(name="shared_apps.payments.tasks.refund_process_task", ignore_result=True)
def refund_process_task(refund_id: int) -> None:
    connection.set_schema_to_public()
    refund_process(refund_id=refund_id)


@shared_task(name="shared_apps.payments.tasks.part_refund_task", ignore_result=True)
def part_refund_task(part_id: int, reason: str) -> None:
    """A paid part was rejected or cancelled: give back what is still held for it."""
    connection.set_schema_to_public()
    payment_part_refund(part=PaymentPart.objects.get(pk=part_id), reason=reason)


@shared_task(name="shared_apps.payments.tasks.payments_reconcile_task")
def payments_reconcile_task() -> dict[str, int]:
    """Beat (every minute): see payments_reconcile."""
    connection.set_schema_to_public()
    return payments_reconcile()
