"""Carts (public schema): one per shopper (a user or a guest), lines from any number of merchants and branches.
A line names its source (merchant, branch, variant); the listing it was added from is kept for display only, and
prices and availability are always re-read from the merchant's schema (marketplace/cart/pricing.py)."""

from django.conf import settings
from django.db import models


class Cart(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    guest = models.OneToOneField("accounts.Guest", null=True, blank=True, on_delete=models.CASCADE, related_name="cart")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="Abandoned carts expire from here.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, guest__isnull=True)
                | models.Q(user__isnull=True, guest__isnull=False),
                name="cart_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"cart of {'user ' + str(self.user_id) if self.user_id else 'guest ' + str(self.guest_id)}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="+")
    branch_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    listing = models.ForeignKey("listings.Listing", null=True, on_delete=models.SET_NULL, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The price the customer was last shown; a change is flagged."
    )
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "merchant", "branch_id", "variant_id"], name="cart_item_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="cart_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}@{self.merchant_id}/{self.branch_id}"
