"""Writes of the feed: what a shopper keeps (likes, saves, shops followed) and the behaviour events a page sends.

Likes and saves keep a counter on the card (ranking reads it) in the same transaction as the row; each write is
idempotent: liking twice leaves one like and the counter moved once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from marketplace.cart.shoppers import Shopper
from marketplace.reels.errors import ReelsError, ReelsErrorCode
from marketplace.reels.models import ReelCard, ReelLike, ReelSave, ShopFollow
from shared_apps.behaviour.models import EventKind, Subject
from shared_apps.behaviour.recorder import Event, behaviour_record_many
from tenants.models import Merchant, MerchantStatus

MAX_EVENTS = 50  # per beacon: a page sends what it saw since the last one


def _card(card_id: int) -> ReelCard:
    card = ReelCard.objects.filter(pk=card_id).first()
    if card is None:
        raise ReelsError(ReelsErrorCode.REEL_NOT_FOUND)
    return card


def _kept(model: type, counter: str | None, *, shopper: Shopper, on: bool, target: dict) -> bool:
    """Set (on) or clear one shopper's row; move the card's counter only when the row changed. Returns `on`."""
    with transaction.atomic():
        owner = shopper.owner_fields()
        if on:
            try:
                with transaction.atomic():
                    model.objects.create(**owner, **target)
                changed = True
            except IntegrityError:  # kept already
                changed = False
            delta = 1
        else:
            changed = model.objects.filter(**owner, **target).delete()[0] > 0
            delta = -1
        if changed and counter:
            ReelCard.objects.filter(pk=target["card_id"]).update(**{counter: F(counter) + delta})
    return on


def reel_like_set(*, shopper: Shopper, card_id: int, liked: bool) -> bool:
    """Like or unlike a reel of the feed (ReelsError REEL_NOT_FOUND). Idempotent."""
    card = _card(card_id)
    return _kept(ReelLike, "likes", shopper=shopper, on=liked, target={"card_id": card.pk})


def reel_save_set(*, shopper: Shopper, card_id: int, saved: bool) -> bool:
    """Save or unsave a reel (ReelsError REEL_NOT_FOUND). Idempotent."""
    card = _card(card_id)
    return _kept(ReelSave, "saves", shopper=shopper, on=saved, target={"card_id": card.pk})


def shop_follow_set(*, shopper: Shopper, merchant_slug: str, following: bool) -> bool:
    """Follow or unfollow a shop on the marketplace (ReelsError SHOP_NOT_FOUND). Idempotent."""
    merchant = Merchant.objects.filter(slug=merchant_slug, status=MerchantStatus.ACTIVE).first()
    if merchant is None:
        raise ReelsError(ReelsErrorCode.SHOP_NOT_FOUND, field="merchant")
    return _kept(ShopFollow, None, shopper=shopper, on=following, target={"merchant_id": merchant.pk})


@dataclass(frozen=True)
class ReelEventIn:
    reel: int  # the card's id, as the feed gives it
    kind: str
    watch_ms: int | None = None
    product_id: int | None = None


_KINDS = {EventKind.VIEW, EventKind.WATCH, EventKind.PRODUCT_TAP, EventKind.ADD_TO_CART, EventKind.SHARE}


def reel_events_record(*, shopper: Shopper | None, events: list[ReelEventIn]) -> int:
    """Queue a page's reel events (behaviour recorder: batched into the database by beat). One query to name the
    reels' merchants; events of reels no longer in the feed are dropped. ReelsError EVENT_INVALID for an unknown
    kind or too many events. Returns how many were queued."""
    if len(events) > MAX_EVENTS or any(e.kind not in _KINDS for e in events):
        raise ReelsError(ReelsErrorCode.EVENT_INVALID, field="events")
    cards = {
        pk: (merchant_id, reel_id, duration)
        for pk, merchant_id, reel_id, duration in ReelCard.objects.filter(pk__in={e.reel for e in events}).values_list(
            "pk", "merchant_id", "reel_id", "duration_s"
        )
    }
    key = shopper.key if shopper else ""
    queued = [
        Event(
            kind=e.kind,
            subject=Subject.REEL,
            merchant_id=cards[e.reel][0],
            subject_id=cards[e.reel][1],
            shopper=key,
            product_id=e.product_id,
            watch_ms=None if e.watch_ms is None else max(0, int(e.watch_ms)),
            duration_ms=int(cards[e.reel][2] * 1000) if e.kind == EventKind.WATCH else None,
        )
        for e in events
        if e.reel in cards
    ]
    behaviour_record_many(queued)
    return len(queued)
