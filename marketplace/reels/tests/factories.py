"""Reels in the feed index, made the way the publisher makes them: a `reel.published` payload (the contract in
tenant_apps/reels/__init__.py) applied by marketplace.reels.sync."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from marketplace.discovery.tests.market import Market
from marketplace.reels.models import ReelCard
from marketplace.reels.sync import reel_card_publish

_ids = itertools.count(1000)


def reel_payload(
    shop,
    *,
    products: list,
    reel_id: int | None = None,
    branches: list | None = None,
    published_at: datetime | None = None,
    duration_s: float = 10.0,
    caption: str = "",
    base_url: str = "https://res.cloudinary.test/demo/video/upload",
    urls: dict | None = None,
) -> dict:
    """A `reel.published` payload; `urls` replaces the made-up hls/mp4/webm/poster URLs (a test serving videos)."""
    reel_id = reel_id or next(_ids)
    chosen = branches if branches is not None else shop.branches
    return {
        "kind": "reel.published",
        "reel_id": reel_id,
        "merchant_id": shop.merchant.pk,
        "schema": shop.merchant.schema_name,
        "merchant_name": shop.merchant.name,
        "store_name": shop.merchant.name,
        "store_slug": shop.store_slug,
        "branches": [{"id": b.pk, "name": b.name, "lat": str(b.latitude), "lng": str(b.longitude)} for b in chosen],
        "hls_url": f"{base_url}/sp_auto/reel{reel_id}.m3u8",
        "mp4_url": f"{base_url}/f_auto,q_auto/reel{reel_id}.mp4",
        "webm_url": f"{base_url}/reel{reel_id}.webm",
        "poster_url": f"{base_url}/so_0/reel{reel_id}.jpg",
        "duration_s": duration_s,
        "width": 720,
        "height": 1280,
        "caption": caption or f"Reel {reel_id}",
        "products": [{"id": p.pk, "name": p.name, "slug": "", "position": i + 1} for i, p in enumerate(products)],
        "published_at": (published_at or timezone.now() - timedelta(minutes=5)).isoformat(),
        **(urls or {}),
    }


def reel_make(market: Market, shop: str, *products: str, version: int = 1, **kw) -> ReelCard:
    made = market.shops[shop]
    payload = reel_payload(made, products=[made.products[name] for name in products], **kw)
    return reel_card_publish(merchant=made.merchant, payload=payload, version=version)
