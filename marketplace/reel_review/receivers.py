"""The queue follows the merchants' reels: a submission (re)opens the reel's row, a withdrawal closes it. Both are
sent inside the merchant's transaction, so the row and the reel commit together."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from marketplace.reel_review.models import ReelReview, ReelReviewStatus
from tenant_apps.reels.selectors import current_merchant
from tenant_apps.reels.signals import reel_review_closed, reel_review_requested


@receiver(reel_review_requested, dispatch_uid="reel-review-opens")
def _requested(
    sender,
    *,
    schema: str,
    reel_id: int,
    caption: str,
    poster_url: str,
    duration_s: float,
    check_failures: list[str],
    **kwargs,
) -> None:
    ReelReview.objects.update_or_create(
        merchant_id=current_merchant().pk,
        reel_id=reel_id,
        defaults={
            "status": ReelReviewStatus.PENDING,
            "caption": caption[:500],
            "poster_url": poster_url,
            "duration_s": duration_s,
            "check_failures": check_failures,
            "submitted_at": timezone.now(),
            "decided_at": None,
            "decided_by": None,
            "reason": "",
        },
    )


@receiver(reel_review_closed, dispatch_uid="reel-review-closes")
def _closed(sender, *, schema: str, reel_id: int, **kwargs) -> None:
    ReelReview.objects.filter(
        merchant_id=current_merchant().pk, reel_id=reel_id, status=ReelReviewStatus.PENDING
    ).update(status=ReelReviewStatus.WITHDRAWN, decided_at=timezone.now())
