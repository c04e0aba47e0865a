"""Outbox → the feed index: a merchant's `reel.published` / `reel.withdrawn` events become `ReelCard` rows and their
`ReelPlacement`s (one per branch the reel applies to).

Unlike listings (ADR 0002), a reel's event carries its payload (tenant_apps/reels documents the fields): a reel is
published once, as a whole, and the event says everything the feed shows. `version` (the event id) only moves
forward, so an older event applied late never overwrites a newer one; applying the same event twice gives the same
rows. Called by the listings publisher inside its batch transaction, so the card and the events' `published_at`
commit together.

Payload (reel.published): reel_id, merchant_id, merchant_schema, branches [{id, lat, lng}], hls_url, mp4_url,
webm_url, poster_url, duration_s, caption, products [{id, name}], published_at (ISO 8601). reel.withdrawn: reel_id.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from marketplace.discovery.geo import cells_of
from marketplace.listings.models import BranchListing
from marketplace.reels.models import ReelCard, ReelPlacement
from marketplace.reels.scores import placements_refresh
from tenants.models import Merchant

PUBLISHED = "reel.published"
WITHDRAWN = "reel.withdrawn"


def _shop_name(merchant: Merchant, branch_ids: list[int]) -> tuple[str, str]:
    branch = (
        BranchListing.objects.filter(merchant_id=merchant.pk, branch_id__in=branch_ids)
        .order_by("branch_id")
        .values_list("store_name", "store_slug")
        .first()
    )
    return branch if branch else (merchant.name, "")


def reel_card_publish(*, merchant: Merchant, payload: dict[str, Any], version: int) -> ReelCard | None:
    """Upsert the reel's card and placements from a `reel.published` payload, unless a newer event was applied
    already (then None). Idempotent. Scores its placements at once, so the reel is in the feed after commit."""
    reel_id = int(payload["reel_id"])
    branches = [b for b in payload.get("branches") or [] if b.get("lat") is not None and b.get("lng") is not None]
    products = [{"id": int(p["id"]), "name": str(p.get("name", ""))} for p in payload.get("products") or []]
    shop_name, store_slug = _shop_name(merchant, [int(b["id"]) for b in branches])
    published_at = payload.get("published_at")
    fields = {
        "merchant_slug": merchant.slug,
        "shop_name": payload.get("shop_name") or shop_name,
        "store_slug": payload.get("store_slug") or store_slug,
        "caption": payload.get("caption") or "",
        "hls_url": payload.get("hls_url") or "",
        "mp4_url": payload.get("mp4_url") or "",
        "webm_url": payload.get("webm_url") or "",
        "poster_url": payload.get("poster_url") or "",
        "duration_s": float(payload.get("duration_s") or 0),
        "products": products,
        "product_ids": [p["id"] for p in products],
        "published_at": parse_datetime(published_at) if isinstance(published_at, str) else published_at,
        "version": version,
    }
    with transaction.atomic():
        card = ReelCard.objects.select_for_update().filter(merchant=merchant, reel_id=reel_id).first()
        if card is not None and card.version > version:
            return None
        if card is None:
            card = ReelCard.objects.create(merchant=merchant, reel_id=reel_id, **fields)
        else:
            for name, value in fields.items():
                setattr(card, name, value)
            card.save()
        card.placements.exclude(branch_id__in=[int(b["id"]) for b in branches]).delete()
        for branch in branches:
            lat, lng = float(branch["lat"]), float(branch["lng"])
            ReelPlacement.objects.update_or_create(
                card=card,
                branch_id=int(branch["id"]),
                defaults={"merchant_id": merchant.pk, "latitude": lat, "longitude": lng, **cells_of(lat, lng)},
            )
        placements_refresh(card_ids=[card.pk])
    return card


def reel_card_withdraw(*, merchant: Merchant, reel_id: int, version: int) -> bool:
    """Remove the reel from the feed (withdrawn, deleted, rejected after publication) unless a newer event
    republished it. Idempotent. Likes and saves of the card go with it."""
    deleted, _ = ReelCard.objects.filter(merchant=merchant, reel_id=reel_id, version__lte=version).delete()
    return bool(deleted)


def reel_event_apply(*, merchant: Merchant, kind: str, payload: dict[str, Any], version: int) -> None:
    """One outbox event of a reel, as the listings publisher hands it over."""
    if kind == PUBLISHED:
        reel_card_publish(merchant=merchant, payload=payload, version=version)
    elif kind == WITHDRAWN:
        reel_card_withdraw(merchant=merchant, reel_id=int(payload["reel_id"]), version=version)


def merchant_reels_hide(*, merchant_id: int) -> int:
    """A merchant customers may not see (suspended) has no reels in the feed either."""
    return ReelCard.objects.filter(merchant_id=merchant_id).delete()[0]
