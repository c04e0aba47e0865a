"""Reads of behaviour: the merchant console's per-reel statistics (tenant_apps/reels reads them from here, a floor
below it, scoped to its own merchant id), and one shopper's own history and wishes (the caller passes the shopper it
authenticated: nobody reads another's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from shared_apps.behaviour.models import BehaviourEvent, BehaviourShopper, BehaviourTotal, Subject


@dataclass(frozen=True)
class ReelStats:
    views: int = 0
    average_watch_percent: float = 0.0  # mean over watches of min(watched / duration, 1), as a percentage
    completions: int = 0
    product_taps: int = 0
    add_to_carts: int = 0
    orders: int = 0
    shares: int = 0


def reel_stats(*, merchant_id: int, reel_ids: Iterable[int]) -> dict[int, ReelStats]:
    """{reel id: its statistics} for the given reels of one merchant (reels without events get zeros). One query.
    The caller passes its own merchant's id: a merchant can only ever read its own reels' statistics."""
    ids = list(reel_ids)
    found = {
        total.subject_id: ReelStats(
            views=total.views,
            average_watch_percent=round(100 * total.watch_fraction / total.watches, 1) if total.watches else 0.0,
            completions=total.completions,
            product_taps=total.product_taps,
            add_to_carts=total.add_to_carts,
            orders=total.orders,
            shares=total.shares,
        )
        for total in BehaviourTotal.objects.filter(subject=Subject.REEL, merchant_id=merchant_id, subject_id__in=ids)
    }
    return {reel_id: found.get(reel_id, ReelStats()) for reel_id in ids}


def shopper_recording(*, shopper: str) -> bool:
    """Whether the shopper's behaviour is recorded (True unless they opted out). One query."""
    recording = BehaviourShopper.objects.filter(shopper=shopper).values_list("recording", flat=True).first()
    return recording is not False


def shopper_history(*, shopper: str) -> QuerySet[BehaviourEvent]:
    """The shopper's stored events, newest first (those still queued in Redis join within seconds)."""
    if not shopper:
        return BehaviourEvent.objects.none()
    return BehaviourEvent.objects.filter(shopper=shopper).order_by("-at", "-id")
