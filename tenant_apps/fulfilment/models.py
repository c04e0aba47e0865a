"""How each merchant order leaves its branch (tenant schema): one Delivery per order — picked up by the customer
with a code, carried by one of the shop's own riders, or handed to a partner courier — and the cash a rider
collected for it.

A Delivery is created with its order (orders.states' `merchant_order_changed`, from_status ""), so every order has
one; its status runs beside the order's own (fulfilment/vocabulary.py maps both onto the one status the customer
reads).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Customer pickup")
    OWN_RIDER = "own_rider", _("Shop's rider")
    PARTNER = "partner", _("Partner courier")


class DeliveryStatus(models.TextChoices):
    WAITING = "waiting", _("Being prepared")
    READY = "ready", _("Ready")  # pickup: waiting at the counter; delivery: waiting for a rider or courier
    ASSIGNED = "assigned", _("Rider assigned")
    PICKED_UP = "picked_up", _("Picked up")
    ON_THE_WAY = "on_the_way", _("On the way")
    ARRIVED = "arrived", _("Arrived")
    DELIVERED = "delivered", _("Delivered")  # handed over, to the customer at the door or at the counter
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


class Delivery(models.Model):
    order = models.OneToOneField("orders.MerchantOrder", on_delete=models.CASCADE, related_name="delivery")
    branch = models.ForeignKey("stores.Branch", on_delete=models.PROTECT, related_name="deliveries")
    method = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.WAITING)
    pickup_code = models.CharField(max_length=4, help_text="Shown to the customer; staff type it at the counter.")
    handover_code = models.CharField(max_length=4, help_text="Shown to the customer; the rider types it at the door.")
    code_failures = models.PositiveSmallIntegerField(default=0)
    code_failed_at = models.DateTimeField(null=True, blank=True)
    rider = models.ForeignKey(
        "staff.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    proof_photo = models.CharField(max_length=255, blank=True, help_text="Cloudinary public id: customer away.")
    eta = models.DateTimeField(null=True, blank=True, help_text="When the customer gets it, as promised now.")
    courier_status = models.CharField(max_length=20, blank=True)
    last_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_accuracy = models.FloatField(null=True, blank=True)
    last_heading = models.FloatField(null=True, blank=True)
    last_position_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["branch", "status", "id"], name="delivery_branch_queue"),
            models.Index(fields=["rider", "status"], name="delivery_rider_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["assigned", "picked_up", "on_the_way", "arrived"])
                | models.Q(rider__isnull=False)
                | models.Q(method="partner"),
                name="delivery_carried_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of order {self.order_id} ({self.status})"


class CashCollection(models.Model):
    """Cash a rider took at the door for a cash-on-delivery order: in the rider's hand until the branch counts it."""

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="cash")
    rider = models.ForeignKey("staff.Membership", on_delete=models.PROTECT, related_name="cash_collections")
    branch = models.ForeignKey("stores.Branch", on_delete=models.PROTECT, related_name="cash_collections")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    collected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-collected_at"]
        indexes = [models.Index(fields=["branch", "collected_at"], name="cash_branch_day")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="cash_collection_positive")]

    def __str__(self) -> str:
        return f"{self.amount} by {self.rider_id}"
