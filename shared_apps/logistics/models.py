"""Partner courier deliveries and the couriers' notifications (public schema: a courier knows no merchant schema).

A `CourierDelivery` is one parcel of one merchant order handed to a partner courier. It names the merchant order by
schema and id (no foreign key across schemas) and the customer's order by id, so live events and the fulfilment
floor can find both. Its idempotency key is stored before the courier is ever called: every retry of the booking
sends the same key, and the courier books at most once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from shared_apps.logistics.couriers.base import CourierStatus


class CourierProvider(models.TextChoices):
    UBER = "uber", "Uber Direct"
    POSTEX = "postex", "PostEx"


class DeliveryStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"  # stored, not booked yet (the booking task runs in a worker)
    PENDING = CourierStatus.PENDING.value, "Booked"
    PICKUP = CourierStatus.PICKUP.value, "Courier on the way to the shop"
    PICKUP_COMPLETE = CourierStatus.PICKUP_COMPLETE.value, "Picked up"
    DROPOFF = CourierStatus.DROPOFF.value, "On the way"
    DELIVERED = CourierStatus.DELIVERED.value, "Delivered"
    CANCELED = CourierStatus.CANCELED.value, "Cancelled"
    RETURNED = CourierStatus.RETURNED.value, "Returned"
    FAILED = "failed", "Not booked"  # the courier refused the booking (undeliverable, rejected)


OPEN_STATUSES = (
    DeliveryStatus.PENDING,
    DeliveryStatus.PICKUP,
    DeliveryStatus.PICKUP_COMPLETE,
    DeliveryStatus.DROPOFF,
)


class CourierDelivery(models.Model):
    provider = models.CharField(max_length=12, choices=CourierProvider.choices)
    provider_id = models.CharField(max_length=100, blank=True)  # Uber delivery id, PostEx trackingNumber
    idempotency_key = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=32, unique=True)  # ours, echoed by the courier (external_id)
    merchant_schema = models.CharField(max_length=63)
    merchant_order_id = models.BigIntegerField()
    customer_order_id = models.BigIntegerField(null=True, blank=True)
    # The merchant's own delivery record (tenant_apps.fulfilment), when it made one: names channel_delivery.
    merchant_delivery_id = models.BigIntegerField(null=True, blank=True)
    pickup = models.JSONField(default=dict)  # base.Stop as JSON (coordinates as strings)
    dropoff = models.JSONField(default=dict)
    items = models.JSONField(default=list)  # [{name, quantity, price}]
    cod_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    quote_id = models.CharField(max_length=100, blank=True)
    quote_fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    quote_expires_at = models.DateTimeField(null=True, blank=True)
    fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)  # what the courier charges
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    eta = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.REQUESTED)
    courier_imminent = models.BooleanField(default=False)
    tracking_url = models.URLField(max_length=500, blank=True)
    courier_name = models.CharField(max_length=100, blank=True)
    courier_phone = models.CharField(max_length=32, blank=True)
    last_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    booking_attempts = models.PositiveIntegerField(default=0)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"], condition=~Q(provider_id=""), name="courier_delivery_provider_once"
            ),
            # one live delivery per merchant order: a second request while one is open returns that one
            models.UniqueConstraint(
                fields=["merchant_schema", "merchant_order_id"],
                condition=Q(status__in=["requested", "pending", "pickup", "pickup_complete", "dropoff"]),
                name="courier_delivery_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant_schema", "merchant_order_id"], name="courier_delivery_order"),
            models.Index(fields=["provider", "status", "polled_at"], name="courier_delivery_poll"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_id or self.reference} ({self.status})"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # stored; its delivery is not known yet (the booking has not come back)
    APPLIED = "applied", "Applied"  # applied (or it changed nothing: late, repeated facts are applied as no-ops)
    REJECTED = "rejected", "Rejected"  # failed verification: nothing of it was applied


class CourierWebhook(models.Model):
    """A courier notification, stored raw before anything else happens. One row per provider event id
    (provider, dedup_key): repeats only count `deliveries`."""

    provider = models.CharField(max_length=12, choices=CourierProvider.choices)
    dedup_key = models.CharField(max_length=160)
    provider_delivery_id = models.CharField(max_length=100, blank=True)
    delivery = models.ForeignKey(
        CourierDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks"
    )
    body = models.TextField()
    # What the verified body says, read once at receipt: applying it later needs neither the signature nor the adapter.
    kind = models.CharField(max_length=10, blank=True)  # "status" | "position"
    courier_status = models.CharField(max_length=16, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    courier_name = models.CharField(max_length=100, blank=True)
    courier_phone = models.CharField(max_length=32, blank=True)
    imminent = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    detail = models.CharField(max_length=255, blank=True)
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "dedup_key"], name="courier_webhook_once")]
        indexes = [
            models.Index(
                fields=["provider", "provider_delivery_id"],
                condition=Q(status="received"),
                name="courier_webhook_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.dedup_key} ({self.status})"
