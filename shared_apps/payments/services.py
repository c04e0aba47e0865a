"""Payment intents: created by checkout, captured by a gateway or by cash at hand-over, expired by beat when an
online payment never arrives. Issue 8 adds attempts, gateways, refunds and the ledger on top."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shared_apps.payments.models import IntentStatus, PaymentIntent, PaymentMethod

ONLINE = frozenset({PaymentMethod.FOREE, PaymentMethod.JAZZCASH})


def payment_intent_create(*, customer_order, method: str, amount: Decimal, currency: str) -> PaymentIntent:
    """Online methods must be paid within PAYMENT_TIMEOUT_MINUTES (then beat releases the stock); cash on delivery
    waits for hand-over and never expires."""
    expires_at = timezone.now() + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES) if method in ONLINE else None
    return PaymentIntent.objects.create(
        customer_order=customer_order, method=method, amount=amount, currency=currency, expires_at=expires_at
    )


def payment_cod_collected(*, customer_order_id: int, amount: Decimal) -> PaymentIntent | None:
    """Cash for one merchant part was handed over: add it to the captured amount (atomic increment); the intent
    succeeds once every part's cash is in."""
    with transaction.atomic():
        updated = PaymentIntent.objects.filter(customer_order_id=customer_order_id, method=PaymentMethod.COD).update(
            captured_amount=F("captured_amount") + amount, updated_at=timezone.now()
        )
        if not updated:
            return None
        intent = PaymentIntent.objects.select_for_update().get(customer_order_id=customer_order_id)
        status = IntentStatus.SUCCEEDED if intent.captured_amount >= intent.amount else IntentStatus.PROCESSING
        if intent.status != status:
            intent.status = status
            intent.save(update_fields=["status", "updated_at"])
    return intent


def payment_intents_expired(*, now=None, limit: int = 200) -> list[PaymentIntent]:
    """Unpaid online intents past their deadline (oldest first), for the release sweep."""
    now = now or timezone.now()
    return list(
        PaymentIntent.objects.filter(
            status__in=[IntentStatus.REQUIRES_PAYMENT, IntentStatus.FAILED], expires_at__lt=now
        ).order_by("expires_at")[:limit]
    )
