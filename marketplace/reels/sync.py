"""Outbox → the feed index: a merchant's reel events (`OutboxEvent(entity="reel", payload=...)`, contract in
tenant_apps/reels/__init__.py) become `ReelCard` rows and their `ReelPlacement`s (one per branch the reel applies to).

Unlike listings (ADR 0002), a reel's event carries its payload, rebuilt from the reel's state when it was written:
the newest event of a reel describes it as it is, so a batch applies only each reel's newest event. `version` (the
event id) only moves forward, so an older event applied late never overwrites a newer one; applying the same event
twice gives the same rows. Called by the listings publisher inside its batch transaction (marketplace/listings/
sync.py), so the cards and the events' `published_at` commit together; a rebuild rebuilds the reels from the
merchant's schema too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from marketplace.discovery.geo import cells_of
from marketplace.reels.models import ReelCard, ReelPlacement
from marketplace.reels.scores import placements_refresh
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.reels.selectors import PUBLISHED, WITHDRAWN, reel_feed_payload, reels_for_payload
from tenants.models import Merchant


def reel_card_publish(*, merchant: Merchant, payload: dict[str, Any], version: int) -> ReelCard | None:
    """Upsert the reel's card and placements from a `reel.published` payload, unless a newer event was applied
    already (then None). Idempotent. Scores its placements at once, so the reel is in the feed after commit."""
    reel_id = int(payload["reel_id"])
    branches = [b for b in payload.get("branches") or [] if b.get("lat") is not None and b.get("lng") is not None]
    products = [{"id": int(p["id"]), "name": str(p.get("name", ""))} for p in payload.get("products") or []]
    published_at = payload.get("published_at")
    fields = {
        "merchant_slug": merchant.slug,
        "shop_name": payload.get("store_name") or payload.get("merchant_name") or merchant.name,
        "store_slug": payload.get("store_slug") or "",
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
                defaults={
                    "merchant_id": merchant.pk,
                    "latitude": lat,
                    "longitude": lng,
                    "published_at": fields["published_at"],
                    **cells_of(lat, lng),
                },
            )
        placements_refresh(card_ids=[card.pk])
    return card


def reel_card_withdraw(*, merchant: Merchant, reel_id: int, version: int) -> bool:
    """Remove the reel from the feed (withdrawn, deleted, rejected after publication) unless a newer event
    republished it. Idempotent. Likes and saves of the card go with it."""
    deleted, _ = ReelCard.objects.filter(merchant=merchant, reel_id=reel_id, version__lte=version).delete()
    return bool(deleted)


def reels_apply(*, merchant: Merchant, events: Iterable[OutboxEvent]) -> int:
    """Apply a batch's reel events: each reel's newest only (it describes the reel as it is). Returns how many."""
    newest: dict[int, OutboxEvent] = {}
    for event in sorted(events, key=lambda e: e.pk):
        if event.entity == Entity.REEL and event.payload:
            newest[event.entity_id] = event
    for event in newest.values():
        if event.payload.get("kind") == PUBLISHED:
            reel_card_publish(merchant=merchant, payload=event.payload, version=event.pk)
        elif event.payload.get("kind") == WITHDRAWN:
            reel_card_withdraw(merchant=merchant, reel_id=event.entity_id, version=event.pk)
    return len(newest)


def reels_rebuild(*, merchant: Merchant, version: int) -> int:
    """Every card of the merchant from its schema's reels as they are now (the caller is in the merchant's schema
    and transaction): public reels upserted, the others' cards deleted. Returns how many cards remain."""
    public = []
    for reel in reels_for_payload():
        payload = reel_feed_payload(reel=reel)
        if payload.get("kind") == PUBLISHED:
            reel_card_publish(merchant=merchant, payload=payload, version=version)
            public.append(reel.pk)
    ReelCard.objects.filter(merchant=merchant, version__lte=version).exclude(reel_id__in=public).delete()
    return len(public)


def merchant_reels_hide(*, merchant_id: int) -> int:
    """A merchant customers may not see (suspended) has no reels in the feed either."""
    return ReelCard.objects.filter(merchant_id=merchant_id).delete()[0]
