"""The customer's order (public schema): one per checkout, with one part per merchant. Each part mirrors that
merchant's MerchantOrder (tenant schema) — status, totals, lines and a customer-facing timeline — written in the
same transaction as the merchant's change, so "my orders" reads one schema and never walks tenant schemas."""

from django.conf import settings
from django.db import models


class CustomerOrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Awaiting payment"
    PLACED = "placed", "Placed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class CustomerOrder(models.Model):
    number = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    guest = models.ForeignKey("accounts.Guest", null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=CustomerOrderStatus.choices)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_phone = models.CharField(max_length=20)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    delivery_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    payment_method = models.CharField(max_length=12)
    # Where it goes, as it was at checkout (a saved address may change or go later; the order keeps this copy):
    # {address_id, label, text, notes, latitude, longitude}; empty when every part is picked up.
    delivery_address = models.JSONField(default=dict, blank=True)
    # Checkout's Idempotency-Key, unique per shopper: a repeated request finds this order instead of a new one.
    owner_key = models.CharField(max_length=48, help_text="u:<user id> or g:<guest id> at checkout.")
    idempotency_key = models.CharField(max_length=80)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_key", "idempotency_key"], name="customer_order_idempotency"),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="customer_order_user"),
            models.Index(fields=["guest", "-id"], name="customer_order_guest"),
        ]

    def __str__(self) -> str:
        return self.number


class CustomerOrderPart(models.Model):
    order = models.ForeignKey(CustomerOrder, on_delete=models.CASCADE, related_name="parts")
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.PROTECT, related_name="+")
    merchant_order_id = models.BigIntegerField()
    number = models.CharField(max_length=24, unique=True)
    branch_id = models.BigIntegerField()
    merchant_slug = models.CharField(max_length=40)
    store_name = models.CharField(max_length=120)
    branch_name = models.CharField(max_length=120)
    branch_phone = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20)
    fulfilment = models.CharField(max_length=10)
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="Wanted at this time, not as soon as possible."
    )
    promised_at = models.DateTimeField(null=True, blank=True, help_text="Ready (pickup) or delivered by, as promised.")
    # The partner courier's quote the customer accepted at checkout (fulfilment "partner"): the fee charged is its
    # fee; the merchant side books the courier with it (re-quoted there if it expired meanwhile).
    courier_quote_id = models.CharField(max_length=100, blank=True)
    courier_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    courier_quote_expires_at = models.DateTimeField(null=True, blank=True)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    delivery_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    lines = models.JSONField(default=list, help_text="[{title, variant_name, quantity, unit_price, line_total}]")
    timeline = models.JSONField(default=list, help_text="[{status, at, note}] as the customer sees it.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "merchant_order_id"], name="customer_order_part_source"),
        ]

    def __str__(self) -> str:
        return self.number


class PartTracking(models.Model):
    """Where one merchant part is as the customer follows it: its step in the one vocabulary
    (tenant_apps/fulfilment/vocabulary.py), the promised time, the codes the customer shows and the rider's last
    position. Written by the merchant's delivery in the same transaction (marketplace/orders/tracking.py); keyed by
    the part's number because the delivery is made before checkout writes the part."""

    number = models.CharField(max_length=24, unique=True)
    customer_order_id = models.BigIntegerField(db_index=True)
    step = models.CharField(max_length=20, blank=True)  # "" while the order waits for its payment
    method = models.CharField(max_length=10)
    pickup_code = models.CharField(max_length=4)
    handover_code = models.CharField(max_length=4)
    eta = models.DateTimeField(null=True, blank=True)
    rider_name = models.CharField(max_length=120, blank=True)
    shop_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    shop_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    rider_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    rider_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.number}: {self.step or '-'}"


class TrackingNotice(models.Model):
    """One text per (part, step): the unique row is what makes a step's SMS go out once, however often it is told."""

    number = models.CharField(max_length=24)
    step = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number", "step"], name="tracking_notice_once")]

    def __str__(self) -> str:
        return f"{self.number}: {self.step}"
