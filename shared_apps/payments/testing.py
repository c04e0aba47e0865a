"""Test helpers for payments (imported by tests only)."""

from __future__ import annotations

from shared_apps.payments.models import LedgerEntry, PaymentAttempt, PaymentIntent, PaymentPart, Refund, WebhookEvent


def payments_delete_all() -> None:
    """Every payment row, children first (they protect their intents), for tests that clear committed data."""
    WebhookEvent.objects.all().delete()
    LedgerEntry.objects.all().delete()
    Refund.objects.all().delete()
    PaymentAttempt.objects.all().delete()
    PaymentPart.objects.all().delete()
    PaymentIntent.objects.all().delete()
