"""Celery entry points of logistics (thin: the work is in services.py). Every provider call of this app runs here,
never in a web request. Every task is idempotent: a retry or a second delivery changes nothing already done."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from celery import shared_task
from django.db import connection

from shared_apps.logistics.couriers.base import CourierError, CourierErrorKind
from shared_apps.logistics.services import (
    courier_book,
    courier_cancel,
    courier_quote_answer,
    couriers_poll,
    stop_from_json,
)

RETRY_SECONDS = (10, 30, 60, 120, 300)  # a courier that did not answer is asked again, the same key each time


@shared_task(name="shared_apps.logistics.tasks.courier_quote_task", ignore_result=True)
def courier_quote_task(
    provider: str, pickup: dict[str, Any], dropoff: dict[str, Any], cod_amount: str, reply_key: str
) -> None:
    """A quote asked for by services.courier_quote_request; the answer is left for selectors.courier_quote_reply."""
    connection.set_schema_to_public()
    courier_quote_answer(
        provider=provider,
        pickup=stop_from_json(pickup),
        dropoff=stop_from_json(dropoff),
        cod_amount=Decimal(cod_amount),
        reply_key=reply_key,
    )


@shared_task(bind=True, name="shared_apps.logistics.tasks.courier_book_task", ignore_result=True, max_retries=5)
def courier_book_task(self, delivery_id: int) -> None:
    connection.set_schema_to_public()
    try:
        courier_book(delivery_id=delivery_id)
    except CourierError as error:
        if error.kind != CourierErrorKind.UNAVAILABLE:
            raise
        # beat's couriers_poll queues it again after the last retry
        raise self.retry(
            exc=error, countdown=RETRY_SECONDS[min(self.request.retries, len(RETRY_SECONDS) - 1)]
        ) from error


@shared_task(bind=True, name="shared_apps.logistics.tasks.courier_cancel_task", ignore_result=True, max_retries=5)
def courier_cancel_task(self, delivery_id: int) -> None:
    connection.set_schema_to_public()
    try:
        courier_cancel(delivery_id=delivery_id)
    except CourierError as error:
        if error.kind != CourierErrorKind.UNAVAILABLE:
            raise
        raise self.retry(
            exc=error, countdown=RETRY_SECONDS[min(self.request.retries, len(RETRY_SECONDS) - 1)]
        ) from error


@shared_task(name="shared_apps.logistics.tasks.couriers_poll_task")
def couriers_poll_task() -> dict[str, int]:
    """Beat (every minute): see couriers_poll."""
    connection.set_schema_to_public()
    return couriers_poll()
