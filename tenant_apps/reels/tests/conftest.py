"""Reels against the real Cloudinary sandbox process: a shop, its owner, and the browser's side of an upload."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import cloudinary
import httpx
import pytest
from django_tenants.utils import schema_context

from sandboxes.tests.media_samples import vertical_video_bytes
from tenant_apps.reels.services import reel_upload_signature
from tenant_apps.staff.models import Membership
from tests.shop_factory import Shop, build_shop

UPLOAD_FIELDS = ("api_key", "timestamp", "signature", "folder", "allowed_formats", "eager", "eager_async")


@pytest.fixture
def cloudinary_sandbox(sandbox_server, settings):
    assert cloudinary.config().upload_prefix == sandbox_server.base_url
    settings.CLOUDINARY_NOTIFICATION_URL = ""
    return sandbox_server


@dataclass
class ReelShop:
    shop: Shop
    owner: Membership

    @property
    def schema(self) -> str:
        return self.shop.schema


@pytest.fixture
def reel_shop(make_merchant) -> ReelShop:
    shop = build_shop(make_merchant, slug=f"reels-{time.monotonic_ns() % 10**6}", products=6)
    with schema_context(shop.schema):
        owner = Membership.objects.select_related("store", "branch").get(user=shop.merchant.owner)
    return ReelShop(shop=shop, owner=owner)


def browser_upload(signed: dict[str, Any], video: bytes, *, chunk: int | None = None) -> dict[str, Any]:
    """What the console's script does with the signed fields: one POST, or chunks with Content-Range."""
    fields = {k: signed[k] for k in UPLOAD_FIELDS if signed.get(k) not in (None, "")}
    if chunk is None:
        answer = httpx.post(signed["upload_url"], data=fields, files={"file": ("reel.mp4", video)}, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()
    upload_id = f"t{time.monotonic_ns()}"
    for first in range(0, len(video), chunk):
        part = video[first : first + chunk]
        headers = {
            "X-Unique-Upload-Id": upload_id,
            "Content-Range": f"bytes {first}-{first + len(part) - 1}/{len(video)}",
        }
        answer = httpx.post(
            signed["upload_url"], data=fields, files={"file": ("reel.mp4", part)}, headers=headers, timeout=60
        )
        assert answer.status_code == 200, answer.text
    return answer.json()


def uploaded_reel_video(reel_shop: ReelShop, **video) -> dict[str, Any]:
    with schema_context(reel_shop.schema):
        signed = reel_upload_signature(actor=reel_shop.owner)
    return browser_upload(signed, vertical_video_bytes(**video))
