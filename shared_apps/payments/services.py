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


def payment_cod_dropped(*, customer_order_id: int, amount: Decimal) -> PaymentIntent | None:
    """A cash-on-delivery part was rejected or cancelled before hand-over: its cash will never come, so the intent
    stops waiting for it (amount minus the part). With nothing left to collect the intent is cancelled, or succeeded
    if the other parts' cash is already in. One locked read-modify-write."""
    with transaction.atomic():
        intent = (
            PaymentIntent.objects.select_for_update()
            .filter(customer_order_id=customer_order_id, method=PaymentMethod.COD)
            .first()
        )
        if intent is None:
            return None
        intent.amount = max(intent.amount - amount, Decimal("0.00"))
        if intent.amount == 0 and intent.captured_amount == 0:
            intent.status = IntentStatus.CANCELLED
        elif intent.captured_amount >= intent.amount:
            intent.status = IntentStatus.SUCCEEDED
        intent.save(update_fields=["amount", "status", "updated_at"])
    return intent


EXPIRABLE = (IntentStatus.REQUIRES_PAYMENT, IntentStatus.FAILED)


def payment_intents_expired(*, now=None, limit: int = 200) -> list[PaymentIntent]:
    """Unpaid online intents past their deadline (oldest first), for the release sweep."""
    now = now or timezone.now()
    return list(PaymentIntent.objects.filter(status__in=EXPIRABLE, expires_at__lt=now).order_by("expires_at")[:limit])


def payment_intent_expire(*, intent_id: int, now=None) -> bool:
    """Mark an unpaid intent past its deadline expired; True only for the one call that did it. A conditional UPDATE
    (still unpaid, still past the deadline): a second sweep, or a payment that succeeded meanwhile, makes it a no-op,
    and the row stays locked until the caller's transaction ends, so the caller can release the order's stock in the
    same transaction without a payment slipping in between."""
    now = now or timezone.now()
    updated = PaymentIntent.objects.filter(pk=intent_id, status__in=EXPIRABLE, expires_at__lt=now).update(
        status=IntentStatus.EXPIRED, updated_at=timezone.now()
    )
    return bool(updated)
