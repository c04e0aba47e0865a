"""Reels waiting for an operator (public schema). The reel itself lives in its merchant's schema."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReelReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the merchant")


class ReelReview(models.Model):
    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="+")
    reel_id = models.BigIntegerField()  # in the merchant's schema
    status = models.CharField(max_length=10, choices=ReelReviewStatus.choices, default=ReelReviewStatus.PENDING)
    caption = models.CharField(max_length=500, blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    duration_s = models.FloatField(default=0)
    check_failures = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("reel to review")
        verbose_name_plural = _("reels to review")
        constraints = [models.UniqueConstraint(fields=["merchant", "reel_id"], name="reel_review_one_per_reel")]
        indexes = [models.Index(fields=["status", "submitted_at"], name="reel_review_queue")]

    def __str__(self) -> str:
        return f"{self.merchant_id}:{self.reel_id}"
