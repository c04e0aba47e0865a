"""Reads of reels: the payload the marketplace's feed index is built from, console lists, per-reel statistics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from shared_apps.behaviour.selectors import ReelStats
from shared_apps.behaviour.selectors import reel_stats as behaviour_reel_stats
from tenant_apps.reels.models import Reel, ReelMedia, ReelStatus
from tenants.models import Merchant

PUBLISHED, WITHDRAWN = "reel.published", "reel.withdrawn"


def current_merchant() -> Merchant:
    """The merchant whose schema the connection is in: the request's tenant, or (under `schema_context`, which sets
    a stand-in without the merchant's fields) its row, read once."""
    tenant = connection.tenant
    if isinstance(tenant, Merchant):
        return tenant
    return Merchant.objects.get(schema_name=connection.schema_name)


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
    tenant = current_merchant()
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


def reel_stats(*, merchant: Merchant, reel_ids: Iterable[int]) -> dict[int, ReelStats]:
    """{reel id: its statistics} for `merchant`'s reels (zeros for reels nobody watched yet): the behaviour totals
    the marketplace's feed records (public schema, batched). Callers pass the merchant of the console they serve, and
    reel ids from `scoped_reels`: a merchant only ever reads its own reels."""
    return behaviour_reel_stats(merchant_id=merchant.pk, reel_ids=reel_ids)
