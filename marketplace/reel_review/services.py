"""An operator's decision on a reel: recorded here, applied in the merchant's schema (tenant_apps.reels)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.reel_review.models import ReelReview, ReelReviewStatus
from tenant_apps.reels.errors import ReelError, ReelErrorCode
from tenant_apps.reels.models import ReelStatus
from tenant_apps.reels.services import reel_moderate


def reel_review_decide(*, review: ReelReview, approve: bool, by, reason: str = "") -> ReelReview:
    """Approve or reject (a reason is required: the merchant reads it) one waiting reel, in one transaction with the
    reel's change and its outbox event. Raises ReelError NOT_REVIEWABLE (decided already, or withdrawn) and
    REASON_REQUIRED. An approval the automatic checks refuse now (a product archived meanwhile) is a rejection."""
    with transaction.atomic():
        review = ReelReview.objects.select_for_update().select_related("merchant").get(pk=review.pk)
        if review.status != ReelReviewStatus.PENDING:
            raise ReelError(ReelErrorCode.NOT_REVIEWABLE)
        with schema_context(review.merchant.schema_name):
            reel = reel_moderate(reel_id=review.reel_id, approve=approve, reason=reason)
        approved = reel.status == ReelStatus.APPROVED
        review.status = ReelReviewStatus.APPROVED if approved else ReelReviewStatus.REJECTED
        review.reason, review.decided_by, review.decided_at = reel.rejection_reason, by, timezone.now()
        review.check_failures = reel.check_failures
        review.save()
    return review
