"""Stock per branch x variant and the ledger of every change (tenant schema).

Invariant, tested: for every (branch, variant), the sums of the ledger's deltas equal the level's on_hand and
reserved. Levels only change through inventory.services, which write the movement in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class StockLevel(models.Model):
    branch = models.ForeignKey("stores.Branch", on_delete=models.CASCADE, related_name="stock_levels")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    available = models.GeneratedField(
        expression=F("on_hand") - F("reserved"), output_field=models.IntegerField(), db_persist=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "variant"], name="stock_level_unique"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0, reserved__gte=0, reserved__lte=F("on_hand")),
                name="stock_level_never_negative",
            ),
        ]
        indexes = [models.Index(fields=["branch", "available"], name="stock_branch_available")]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.branch_id}: {self.on_hand} on hand, {self.reserved} reserved"


class MovementReason(models.TextChoices):
    RECEIVE = "receive", "Received"
    SALE = "sale", "Sold"
    RESERVATION = "reservation", "Reserved"
    RELEASE = "release", "Released"
    ADJUSTMENT = "adjustment", "Adjusted"
    RETURN = "return", "Returned"
    COUNT = "count", "Counted"


class StockMovement(models.Model):
    branch = models.ForeignKey("stores.Branch", on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=MovementReason.choices)
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField(null=True)
    reference = models.CharField(max_length=80, blank=True, help_text="Order, import or count this belongs to.")
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # The fingerprint of the write that used idempotency_key (kernel.idempotency): the key with another change is 409.
    request_hash = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["branch", "variant", "-id"], name="movement_branch_variant")]

    def __str__(self) -> str:
        return f"{self.reason} {self.on_hand_delta:+d}/{self.reserved_delta:+d} of {self.variant_id}@{self.branch_id}"
