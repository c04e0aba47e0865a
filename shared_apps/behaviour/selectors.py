"""Reads of behaviour: the merchant console's per-reel statistics (tenant_apps/reels reads them from here, a floor
below it, scoped to its own merchant id), and one shopper's own history and wishes (the caller passes the shopper it
authenticated: nobody reads another's), and the recommendation shelves' click-through for the platform admin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from shared_apps.behaviour.models import BehaviourEvent, BehaviourShopper, BehaviourTotal, ShelfDaily, Subject


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


@dataclass(frozen=True)
class ShelfClickThrough:
    surface: str
    model: str
    impressions: int
    clicks: int

    @property
    def rate(self) -> float:
        """Clicks per impression, 0..1 (0 without impressions)."""
        return self.clicks / self.impressions if self.impressions else 0.0


def shelf_click_through(*, days: int, today: date | None = None) -> list[ShelfClickThrough]:
    """Impressions, clicks and click-through per shelf and model label over the last `days` days (today included,
    the platform's time zone), most shown first. One query over the daily counts (`ShelfDaily`), never the events."""
    last = today or timezone.localdate()
    rows = (
        ShelfDaily.objects.filter(day__gt=last - timedelta(days=days), day__lte=last)
        .values("surface", "model")
        .annotate(impressions=Sum("impressions"), clicks=Sum("clicks"))
        .order_by("-impressions", "surface", "model")
    )
    return [ShelfClickThrough(r["surface"], r["model"], r["impressions"], r["clicks"]) for r in rows]
