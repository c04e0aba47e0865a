"""Reads of logistics: a quote a worker left for the checkout, and the courier delivery of a merchant order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Min
from django.utils.dateparse import parse_datetime

from shared_apps.logistics.couriers.base import Quote
from shared_apps.logistics.errors import LogisticsError, LogisticsErrorCode
from shared_apps.logistics.models import CourierDelivery, CourierWebhook, WebhookStatus
from shared_apps.logistics.services import QUOTE_REPLY_CACHE


def _when(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def courier_quote_reply(*, reply_key: str) -> Quote | None:
    """The quote a worker answered for `reply_key` (services.courier_quote_request), None while it has not.
    Raises the LogisticsError the courier's refusal became (UNDELIVERABLE, QUOTE_UNAVAILABLE, REJECTED)."""
    answer = cache.get(QUOTE_REPLY_CACHE.format(reply_key))
    if answer is None:
        return None
    if "error" in answer:
        raise LogisticsError(LogisticsErrorCode(answer["error"]))
    return Quote(
        id=answer["id"] or "",
        fee=Decimal(answer["fee"]),
        currency=answer["currency"],
        expires_at=_when(answer["expires_at"]),
        eta=_when(answer["eta"]),
    )


def courier_delivery_of_order(*, merchant_schema: str, merchant_order_id: int) -> CourierDelivery | None:
    """The newest courier delivery of one merchant order (open or ended), None if it never had one."""
    return (
        CourierDelivery.objects.filter(merchant_schema=merchant_schema, merchant_order_id=merchant_order_id)
        .order_by("-id")
        .first()
    )


def courier_webhook_backlog() -> list[dict[str, Any]]:
    """Courier notifications stored but not applied yet, per provider: `{"provider", "count", "oldest"}`. One may
    wait legitimately for its booking to come back (the delivery is not known yet), so its age is what matters."""
    return list(
        CourierWebhook.objects.filter(status=WebhookStatus.RECEIVED)
        .values("provider")
        .annotate(count=Count("id"), oldest=Min("received_at"))
        .order_by("provider")
    )
