"""Demo reels: made by ffmpeg on this machine, uploaded through the Cloudinary sandbox, ready to play, and not made
twice."""

from __future__ import annotations

import shutil

import httpx
import pytest
from django_tenants.utils import schema_context

from demo.reels import merchant_reels_seed, video_make
from tenant_apps.reels.models import Reel, ReelMedia, ReelStatus
from tests.shop_factory import build_shop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed"),
]


def test_a_demo_video_is_a_small_vertical_mp4():
    video = video_make(seconds=5, colour="0x1e3a8a", text="Garlic naan")
    assert video[4:8] == b"ftyp" and len(video) < 400_000


def test_demo_reels_go_through_the_sandbox_and_are_not_made_twice(sandbox_server, settings, make_merchant):
    settings.CLOUDINARY_NOTIFICATION_URL = ""
    shop = build_shop(make_merchant, slug="demo-reels", products=4)

    made = merchant_reels_seed(shop.merchant, count=2, index=0)

    assert len(made) == 2
    assert merchant_reels_seed(shop.merchant, count=2, index=0) == []
    with schema_context(shop.schema):
        reels = list(Reel.objects.order_by("pk"))
    assert {r.status for r in reels} == {ReelStatus.APPROVED}  # index 0: a trusted demo merchant
    assert all(5 <= r.duration_s <= 15.5 and r.height > r.width for r in reels)
    assert {r.media_state for r in reels} <= {ReelMedia.PROCESSING, ReelMedia.READY}
    assert httpx.get(reels[0].mp4_url, timeout=60).content[4:8] == b"ftyp"
