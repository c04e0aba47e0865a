"""What a merchant sells (tenant schema). Prices are Decimal in the merchant's currency (PKR)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

DEFAULT_LOW_STOCK_THRESHOLD = 5
MAX_LOW_STOCK_THRESHOLD = 100_000


class ProductStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class Product(models.Model):
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="products")
    # Platform category (public schema): the search path reaches it from every tenant schema.
    category = models.ForeignKey(
        "categories.Category", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )  # public table: no database constraint (docs/decisions/0001)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    # "Only N left" from here down: the console's low-stock lists and the marketplace's badge (per branch's stock).
    low_stock_threshold = models.PositiveIntegerField(default=DEFAULT_LOW_STOCK_THRESHOLD)
    # The starter-list item this product was added from ("grocery/olpers-milk"): adding the item again finds it.
    starter_key = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "slug"], name="product_slug_unique_per_store"),
            models.UniqueConstraint(
                fields=["store", "starter_key"],
                condition=~models.Q(starter_key=""),
                name="product_starter_key_unique_per_store",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    barcode = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=120, blank=True, help_text="e.g. '1 kg' or 'Red / L'")
    options = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default=settings.DEFAULT_CURRENCY)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="variant_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}".strip()


class BranchPrice(models.Model):
    """A branch's own price for a variant, instead of the variant's base price."""

    branch = models.ForeignKey("stores.Branch", on_delete=models.CASCADE, related_name="prices")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="branch_prices")
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "variant"], name="branch_price_unique"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="branch_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.branch_id}: {self.price}"


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"


class ProductMedia(models.Model):
    """An image or video of a product, in display order. The file lives at Cloudinary (public_id)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="media")
    public_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=8, choices=MediaKind.choices, default=MediaKind.IMAGE)
    position = models.PositiveSmallIntegerField(default=0)
    alt = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.public_id
