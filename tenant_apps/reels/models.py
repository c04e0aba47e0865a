"""A merchant's reels (tenant schema). Written only by tenant_apps.reels.services; the contract of what reaches the
marketplace is in this package's docstring."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_PRODUCTS = 5
MAX_DURATION_S = 60
MAX_CAPTION = 500


class ReelStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ReelMedia(models.TextChoices):
    """Whether the eager derivatives (HLS, MP4, WebM, poster) exist at Cloudinary: playback never waits for an
    on-the-fly transform, so a reel is shown only once they are `ready`."""

    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Reel(models.Model):
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="reels")
    branches = models.ManyToManyField("stores.Branch", related_name="reels", blank=True)
    public_id = models.CharField(max_length=255, unique=True)  # a video MediaAsset under merchants/<schema>/reels
    asset_version = models.PositiveBigIntegerField(default=0)  # Cloudinary's version: busts CDN caches on replace
    duration_s = models.FloatField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    caption = models.CharField(max_length=MAX_CAPTION, blank=True)
    status = models.CharField(max_length=16, choices=ReelStatus.choices, default=ReelStatus.DRAFT)
    rejection_reason = models.TextField(blank=True, help_text=_("Shown to the merchant in its console."))
    # Failed automatic checks (codes from tenant_apps.reels.checks), kept for the operator and the merchant.
    check_failures = models.JSONField(default=list, blank=True)
    media_state = models.CharField(max_length=10, choices=ReelMedia.choices, default=ReelMedia.PROCESSING)
    publish_at = models.DateTimeField(null=True, blank=True)  # scheduled; null: as soon as approved
    published_at = models.DateTimeField(null=True, blank=True)  # when it went (or goes) public; null: not public
    hls_url = models.URLField(max_length=500, blank=True)
    mp4_url = models.URLField(max_length=500, blank=True)
    webm_url = models.URLField(max_length=500, blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )  # public table: no database constraint (docs/decisions/0001)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="reel_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(rejection_reason=""), name="reel_approved_no_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"reel #{self.pk}"


class ReelProduct(models.Model):
    reel = models.ForeignKey(Reel, on_delete=models.CASCADE, related_name="tags")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="reel_tags")
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_PRODUCTS)])

    class Meta:
        ordering = ["reel_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["reel", "product"], name="reel_product_unique"),
            models.UniqueConstraint(fields=["reel", "position"], name="reel_product_position_unique"),
            models.CheckConstraint(
                condition=models.Q(position__gte=1, position__lte=MAX_PRODUCTS), name="reel_product_position_range"
            ),
        ]

    def __str__(self) -> str:
        return f"reel #{self.reel_id} → product #{self.product_id}"
