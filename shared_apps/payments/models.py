"""Payments (public schema). One PaymentIntent per customer order: what is owed and whether it has been paid.
Gateways (Foree Pay, JazzCash) add attempts on top of it; cash on delivery is captured at hand-over."""

from django.conf import settings
from django.db import models


class PaymentMethod(models.TextChoices):
    COD = "cod", "Cash on delivery"
    FOREE = "foree", "Foree Pay"
    JAZZCASH = "jazzcash", "JazzCash"


class IntentStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment", "Requires payment"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"


class PaymentIntent(models.Model):
    customer_order = models.OneToOneField(
        "customer_orders.CustomerOrder", on_delete=models.PROTECT, related_name="payment"
    )
    method = models.CharField(max_length=12, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    status = models.CharField(max_length=20, choices=IntentStatus.choices, default=IntentStatus.REQUIRES_PAYMENT)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Unpaid after this: stock is released.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "expires_at"], name="payment_intent_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, captured_amount__gte=0, refunded_amount__gte=0),
                name="payment_intent_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount} {self.currency} ({self.status})"
