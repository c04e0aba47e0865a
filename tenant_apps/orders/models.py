"""A merchant's part of a customer order (tenant schema): what one branch must prepare and hand over, its lines
at the prices the customer paid, and the history of every status change.

The customer's side (CustomerOrder, public schema) points here by (merchant, merchant_order_id); this schema holds
no reference to public order tables, only the customer order's id and number, so a merchant schema can live on
another database node later (architecture.md, scale-out).
"""

from django.conf import settings
from django.db import models


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Awaiting payment"
    PLACED = "placed", "New"
    ACCEPTED = "accepted", "Accepted"
    PREPARING = "preparing", "Preparing"
    READY_FOR_PICKUP = "ready_for_pickup", "Ready for pickup"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    PICKED_UP = "picked_up", "Picked up"
    DELIVERED = "delivered", "Delivered"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class Fulfilment(models.TextChoices):
    PICKUP = "pickup", "Store pickup"
    DELIVERY = "delivery", "Delivery by the store"
    PARTNER = "partner", "Partner delivery"


class StockState(models.TextChoices):
    """Where the order's units are in the branch's ledger."""

    RESERVED = "reserved", "Reserved"  # held since checkout
    SOLD = "sold", "Sold"  # paid: the reservation became a sale
    RELEASED = "released", "Released"  # never paid or cancelled before payment: back on the shelf
    RETURNED = "returned", "Returned"  # sold, then rejected/refunded: back on the shelf


class MerchantOrder(models.Model):
    number = models.CharField(max_length=24, unique=True, help_text="The customer order's number + '-' + part.")
    customer_order_id = models.BigIntegerField(db_index=True, help_text="CustomerOrder id (public schema).")
    customer_order_number = models.CharField(max_length=20)
    branch = models.ForeignKey("stores.Branch", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices)
    stock_state = models.CharField(max_length=10, choices=StockState.choices, default=StockState.RESERVED)
    payment_method = models.CharField(max_length=12)
    customer_name = models.CharField(max_length=120, blank=True)
    customer_phone = models.CharField(max_length=20)
    address = models.CharField(max_length=255, blank=True)
    address_notes = models.CharField(max_length=255, blank=True, help_text="For the rider: gate, floor, landmark.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    delivery_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=255, blank=True, help_text="Why it was rejected or cancelled.")
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="Wanted at this time, not as soon as possible."
    )
    promised_at = models.DateTimeField(null=True, blank=True, help_text="Ready (pickup) or delivered by, as promised.")
    # The partner courier's quote the customer accepted at checkout (fulfilment "partner"): the fee charged is its
    # fee; the merchant side books the courier with it (re-quoted there if it expired meanwhile).
    courier_quote_id = models.CharField(max_length=100, blank=True)
    courier_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    courier_quote_expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["branch", "status", "-id"], name="merchant_order_queue"),
            models.Index(fields=["created_at"], name="merchant_order_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subtotal__gte=0, delivery_fee__gte=0, total__gte=0),
                name="merchant_order_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class MerchantOrderLine(models.Model):
    order = models.ForeignKey(MerchantOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    product_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Effective price paid per unit.")
    regular_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title} {self.variant_name}".strip()


class OrderTransition(models.Model):
    """Every status change: who, when, from, to, why. Appended by orders.states only."""

    order = models.ForeignKey(MerchantOrder, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, blank=True)  # "" for the order's creation
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    actor_role = models.CharField(max_length=20, help_text="customer, system, or the staff member's role.")
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"
