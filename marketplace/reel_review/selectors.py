"""Reads of the review queue."""

from django.db.models import QuerySet

from marketplace.reel_review.models import ReelReview, ReelReviewStatus


def reels_awaiting_review() -> QuerySet[ReelReview]:
    """Oldest first: the order operators work through."""
    return (
        ReelReview.objects.filter(status=ReelReviewStatus.PENDING)
        .select_related("merchant")
        .order_by("submitted_at", "pk")
    )
