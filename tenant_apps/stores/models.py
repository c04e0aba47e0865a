"""Stores and branches of one merchant (tenant schema)."""

from django.db import models


class Store(models.Model):
    """A brand/shop of the merchant; customers see it as a shop with one or more branches."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    logo_public_id = models.CharField(max_length=255, blank=True)  # a MediaAsset under merchants/<schema>/stores
    is_active = models.BooleanField(default=True)  # closed: its branches stop selling (listings hidden)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """A physical location that holds stock, takes orders and delivers around itself."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="branches")
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=255)
    area = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80, default="Lahore")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    opening_hours = models.JSONField(default=dict, blank=True, help_text='{"mon": [["09:00", "22:00"]], ...}')
    hours_exceptions = models.JSONField(
        default=dict, blank=True, help_text='{"2026-12-25": [], "2026-12-31": [["10:00", "16:00"]]}: [] = closed'
    )
    offers_pickup = models.BooleanField(default=True)
    offers_delivery = models.BooleanField(default=False)
    delivery_radius_km = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    delivery_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    delivery_min_order = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    offers_partner_delivery = models.BooleanField(default=False)
    preparation_minutes = models.PositiveSmallIntegerField(
        default=20, help_text="From an order placed to ready: the first part of every promised time."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="branch_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(delivery_radius_km__gte=0, delivery_fee__gte=0, delivery_min_order__gte=0),
                name="branch_delivery_terms_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store.name} — {self.name}"
