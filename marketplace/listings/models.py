"""The marketplace's listing index (public schema): one row per variant x branch that sells it, denormalized from
every merchant schema by the outbox publisher. Customers only ever read this table, never a merchant schema."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Listing(models.Model):
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="listings")
    branch_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    merchant_slug = models.CharField(max_length=40)
    store_name = models.CharField(max_length=120)
    branch_name = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey("categories.Category", null=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.JSONField(default=list, blank=True)
    sku = models.CharField(max_length=64)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    in_stock = models.BooleanField(default=False)
    available = models.IntegerField(default=0)
    image_public_id = models.CharField(max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    h3_r7 = models.CharField(max_length=16, blank=True)
    h3_r8 = models.CharField(max_length=16, blank=True)
    h3_r9 = models.CharField(max_length=16, blank=True)
    offers_pickup = models.BooleanField(default=True)
    offers_delivery = models.BooleanField(default=False)
    delivery_radius_km = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    search = SearchVectorField(null=True)
    version = models.BigIntegerField(help_text="The merchant's outbox event id this row reflects; never goes back.")
    source_updated_at = models.DateTimeField(null=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "branch_id", "variant_id"], name="listing_unique_source"),
        ]
        indexes = [
            models.Index(fields=["h3_r7"], name="listing_h3_r7"),
            models.Index(fields=["category", "price"], name="listing_category_price"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.variant_name} @ {self.branch_name}"
