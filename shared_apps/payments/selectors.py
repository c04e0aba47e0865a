"""Reads of payments for the customer's pages and API (the caller has already checked the order is theirs)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shared_apps.payments.models import IntentStatus, PaymentIntent
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
