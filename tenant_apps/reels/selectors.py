"""Reads of reels: the payload the marketplace's feed index is built from, console lists, per-reel statistics."""

from __future__ import annotations

from typing import Any

from django.db import connection

from tenant_apps.reels.models import Reel, ReelMedia, ReelStatus

PUBLISHED, WITHDRAWN = "reel.published", "reel.withdrawn"


def reel_is_public(reel: Reel) -> bool:
    """Approved, its derived streams ready and at least one active branch of an active store."""
    return (
        reel.status == ReelStatus.APPROVED
        and reel.media_state == ReelMedia.READY
        and reel.published_at is not None
        and reel.store.is_active
        and any(branch.is_active for branch in reel.branches.all())
    )


def reel_feed_payload(*, reel: Reel) -> dict[str, Any]:
    """What the outbox carries to the marketplace for `reel` as it is now (contract: tenant_apps/reels/__init__.py).
    Expects `reel` with store, branches and tags__product loaded (`reels_for_payload`) for a constant query count."""
    tenant = connection.tenant
    head = {"reel_id": reel.pk, "merchant_id": tenant.pk, "schema": tenant.schema_name}
    if not reel_is_public(reel):
        return {"kind": WITHDRAWN, **head}
    return {
        "kind": PUBLISHED,
        **head,
        "merchant_name": tenant.name,
        "store_id": reel.store_id,
        "store_name": reel.store.name,
        "store_slug": reel.store.slug,
        "branches": [
            {"id": b.pk, "name": b.name, "lat": str(b.latitude), "lng": str(b.longitude)}
            for b in sorted(reel.branches.all(), key=lambda b: b.pk)
            if b.is_active
        ],
        "hls_url": reel.hls_url,
        "mp4_url": reel.mp4_url,
        "webm_url": reel.webm_url,
        "poster_url": reel.poster_url,
        "duration_s": round(reel.duration_s, 2),
        "width": reel.width,
        "height": reel.height,
        "caption": reel.caption,
        "products": [
            {"id": t.product_id, "name": t.product.name, "slug": t.product.slug, "position": t.position}
            for t in sorted(reel.tags.all(), key=lambda t: t.position)
        ],
        "published_at": reel.published_at.isoformat(),
    }


def reels_for_payload():
    return Reel.objects.select_related("store").prefetch_related("branches", "tags__product")
