"""End to end with the merchant side: a trusted merchant's reel, uploaded to the Cloudinary sandbox and made ready
there, reaches the feed through the outbox with its playable stream; deleting it in the console takes it out."""

from __future__ import annotations

import httpx
from django_tenants.utils import schema_context

from marketplace.listings.sync import listings_publish
from marketplace.reels.models import ReelCard
from tenant_apps.reels import services
from tenant_apps.reels.models import Reel
from tenant_apps.reels.tests.conftest import uploaded_reel_video
from tenant_apps.reels.tests.test_reels import _create, _wait_ready
from tenants.models import Merchant


def test_a_console_reel_reaches_the_feed_and_leaves_it_when_deleted(cloudinary_sandbox, reel_shop, host_client):
    shop = reel_shop.shop
    Merchant.objects.filter(pk=shop.merchant.pk).update(reels_trusted=True)
    reel = _create(reel_shop, uploaded_reel_video(reel_shop), branch_ids=[b.pk for b in shop.branches])
    ready = _wait_ready(reel_shop, reel.pk)
    listings_publish(schema=shop.schema)

    branch = shop.branches[0]
    client = host_client("localhost")
    body = client.get("/api/v1/reels", {"lat": float(branch.latitude), "lng": float(branch.longitude)}).json()
    [found] = [r for r in body["reels"] if r["caption"] == ready.caption]
    assert found["hls_url"] == ready.hls_url and found["mp4_url"] == ready.mp4_url
    assert [p["id"] for p in found["products"]] == [shop.products[0].pk, shop.products[1].pk]
    assert found["distance_km"] == 0
    assert httpx.get(found["hls_url"]).status_code == 200  # the sandbox serves the stream the feed points at
    assert ReelCard.objects.get(pk=found["id"]).placements.count() == len(shop.branches)

    with schema_context(shop.schema):
        services.reel_delete(actor=reel_shop.owner, reel=Reel.objects.get(pk=reel.pk))
    listings_publish(schema=shop.schema)
    assert not ReelCard.objects.filter(merchant=shop.merchant, reel_id=reel.pk).exists()
