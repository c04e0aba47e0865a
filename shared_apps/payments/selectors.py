"""Reads of payments for the customer's pages and API (the caller has already checked the order is theirs)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min
from django.utils import timezone

from shared_apps.payments.models import IntentStatus, PaymentIntent, WebhookEvent, WebhookStatus
from shared_apps.payments.services import ONLINE

GATEWAYS = ("foree", "jazzcash")


def payment_can_pay(intent: PaymentIntent) -> bool:
    """An online payment that can be (re)tried now: not paid, not ended, before its deadline."""
    open_ = intent.status in (IntentStatus.REQUIRES_PAYMENT, IntentStatus.PROCESSING, IntentStatus.FAILED)
    return intent.method in ONLINE and open_ and bool(intent.expires_at and intent.expires_at > timezone.now())


def payment_detail(intent: PaymentIntent) -> dict[str, Any]:
    """The intent with its attempts (newest first) and refunds, in three queries."""
    return {
        "method": intent.method,
        "status": intent.status,
        "amount": intent.amount,
        "currency": intent.currency,
        "expires_at": intent.expires_at,
        "captured_amount": intent.captured_amount,
        "refunded_amount": intent.refunded_amount,
        "last_error": intent.last_error,
        "can_pay": payment_can_pay(intent),
        "gateways": list(GATEWAYS) if intent.method in ONLINE else [],
        "attempts": list(intent.attempts.order_by("-id")),
        "refunds": list(intent.refunds.order_by("-id")),
    }


def webhook_backlog() -> list[dict[str, Any]]:
    """Provider notifications stored but not applied yet (received, or waiting for the provider to confirm), per
    gateway: `{"gateway", "count", "oldest"}` — what /metrics reports as the webhook backlog."""
    return list(
        WebhookEvent.objects.filter(status__in=(WebhookStatus.RECEIVED, WebhookStatus.RETRY))
        .values("gateway")
        .annotate(count=Count("id"), oldest=Min("received_at"))
        .order_by("gateway")
    )
