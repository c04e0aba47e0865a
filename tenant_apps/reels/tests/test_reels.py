"""Reels end to end against the Cloudinary sandbox: the signed upload with its eager renditions, the checks and the
review, the outbox payload the feed builds on, the status check, deletion at Cloudinary after the commit, and who
sees which reel's statistics."""

from __future__ import annotations

import time

import httpx
import pytest
from django_tenants.utils import schema_context

from marketplace.reel_review.models import ReelReview, ReelReviewStatus
from marketplace.reel_review.services import reel_review_decide
from shared_apps.media.models import MediaAsset, MediaAssetStatus
from shared_apps.media.services import stream_eager
from shared_apps.media.tasks import asset_destroy_at_provider
from tenant_apps.catalog.models import Product, ProductStatus
from tenant_apps.outbox.models import Entity, OutboxEvent
from tenant_apps.reels import services
from tenant_apps.reels.checks import ReelFacts, reel_check_failures
from tenant_apps.reels.errors import ReelError
from tenant_apps.reels.models import Reel, ReelMedia, ReelStatus
from tenant_apps.reels.selectors import ReelStats, reel_stats
from tenant_apps.reels.tests.conftest import browser_upload, uploaded_reel_video
from tenants.models import Merchant

pytestmark = pytest.mark.django_db(transaction=True)


def _create(reel_shop, upload, **kw):
    shop = reel_shop.shop
    with schema_context(reel_shop.schema):
        return services.reel_create(
            actor=reel_shop.owner,
            upload=upload,
            branch_ids=kw.pop("branch_ids", [shop.branches[0].pk]),
            product_ids=kw.pop("product_ids", [shop.products[0].pk, shop.products[1].pk]),
            caption=kw.pop("caption", "Fresh basmati, straight from the sack"),
            **kw,
        )


def _last_payload(reel_shop, reel_id: int) -> dict:
    with schema_context(reel_shop.schema):
        event = OutboxEvent.objects.filter(entity=Entity.REEL, entity_id=reel_id).order_by("-id").first()
        return event.payload


def _wait_ready(reel_shop, reel_id: int, timeout: float = 60) -> Reel:
    deadline = time.monotonic() + timeout
    with schema_context(reel_shop.schema):
        while time.monotonic() < deadline:
            if services.reel_media_check(reel_id=reel_id) in (True, None):
                return Reel.objects.get(pk=reel_id)
            time.sleep(0.5)
    raise AssertionError("the renditions never became ready")


def test_the_upload_signature_asks_for_the_streamed_renditions_eagerly_and_the_sandbox_accepts_it(
    cloudinary_sandbox, reel_shop
):
    with schema_context(reel_shop.schema):
        signed = services.reel_upload_signature(actor=reel_shop.owner)
    assert signed["eager"] == stream_eager() == "sp_auto/m3u8|f_auto,q_auto/mp4|f_auto,q_auto/webm|so_1/jpg"
    assert signed["eager_async"] == "true" and signed["folder"] == f"merchants/{reel_shop.schema}/reels"
    assert signed["resource_type"] == "video" and signed["chunk_size"] >= 5 * 1024 * 1024

    answer = browser_upload(
        signed, __import__("sandboxes.tests.media_samples").tests.media_samples.vertical_video_bytes(), chunk=4096
    )
    assert {e["status"] for e in answer["eager"]} == {"processing"}
    tampered = dict(signed, eager="sp_auto/m3u8")
    refused = httpx.post(
        signed["upload_url"],
        data={k: tampered[k] for k in ("api_key", "timestamp", "signature", "folder", "eager", "eager_async")},
        files={"file": ("r.mp4", b"\x00" * 64)},
    )
    assert refused.status_code == 401  # the eager parameter is signed: a browser cannot change it


def test_a_new_reel_waits_for_review_then_its_renditions_are_found_ready_by_the_status_check(
    cloudinary_sandbox, reel_shop
):
    reel = _create(reel_shop, uploaded_reel_video(reel_shop))

    assert (reel.status, reel.media_state, reel.check_failures) == (ReelStatus.PENDING_REVIEW, ReelMedia.PROCESSING, [])
    assert reel.hls_url.endswith(".m3u8") and "sp_auto" in reel.hls_url and reel.poster_url.endswith(".jpg")
    assert (reel.width, reel.height) == (90, 160) and 1.5 < reel.duration_s < 2.5
    review = ReelReview.objects.get(merchant=reel_shop.shop.merchant, reel_id=reel.pk)
    assert review.status == ReelReviewStatus.PENDING and review.caption == reel.caption
    assert _last_payload(reel_shop, reel.pk)["kind"] == "reel.withdrawn"  # not public yet

    ready = _wait_ready(reel_shop, reel.pk)
    assert ready.media_state == ReelMedia.READY
    master = httpx.get(ready.hls_url)
    assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.text


def test_an_approved_reel_goes_to_the_feed_with_everything_the_feed_needs(
    cloudinary_sandbox, reel_shop, platform_admin
):
    reel = _create(reel_shop, uploaded_reel_video(reel_shop), branch_ids=[b.pk for b in reel_shop.shop.branches])
    _wait_ready(reel_shop, reel.pk)
    review = ReelReview.objects.get(reel_id=reel.pk, merchant=reel_shop.shop.merchant)

    decided = reel_review_decide(review=review, approve=True, by=platform_admin)

    assert decided.status == ReelReviewStatus.APPROVED
    payload = _last_payload(reel_shop, reel.pk)
    shop = reel_shop.shop
    assert payload["kind"] == "reel.published"
    assert (payload["reel_id"], payload["schema"], payload["merchant_id"]) == (reel.pk, shop.schema, shop.merchant.pk)
    assert [b["id"] for b in payload["branches"]] == sorted(b.pk for b in shop.branches)
    assert payload["branches"][0]["lat"] and payload["branches"][0]["lng"]
    assert [p["id"] for p in payload["products"]] == [shop.products[0].pk, shop.products[1].pk]
    assert [p["position"] for p in payload["products"]] == [1, 2]
    assert payload["hls_url"] == reel.hls_url and payload["mp4_url"].endswith(".mp4")
    assert payload["webm_url"].endswith(".webm") and payload["poster_url"].endswith(".jpg")
    assert payload["published_at"] and payload["duration_s"] == pytest.approx(reel.duration_s, abs=0.01)
    with pytest.raises(ReelError):  # decided once
        reel_review_decide(review=review, approve=False, by=platform_admin, reason="again")


def test_a_rejection_needs_a_reason_and_the_merchant_reads_it(cloudinary_sandbox, reel_shop, platform_admin):
    reel = _create(reel_shop, uploaded_reel_video(reel_shop))
    review = ReelReview.objects.get(reel_id=reel.pk, merchant=reel_shop.shop.merchant)
    with pytest.raises(ReelError) as caught:
        reel_review_decide(review=review, approve=False, by=platform_admin, reason="  ")
    assert caught.value.code.value == "reel_reason_required"

    reel_review_decide(review=review, approve=False, by=platform_admin, reason="Show the rice in the video.")

    with schema_context(reel_shop.schema):
        reel = Reel.objects.get(pk=reel.pk)
    assert (reel.status, reel.rejection_reason) == (ReelStatus.REJECTED, "Show the rice in the video.")
    assert _last_payload(reel_shop, reel.pk)["kind"] == "reel.withdrawn"


def test_a_trusted_merchant_skips_the_review_but_not_the_checks(cloudinary_sandbox, reel_shop):
    Merchant.objects.filter(pk=reel_shop.shop.merchant.pk).update(reels_trusted=True)
    trusted = _create(reel_shop, uploaded_reel_video(reel_shop))
    landscape = _create(reel_shop, uploaded_reel_video(reel_shop, width=160, height=90))

    assert trusted.status == ReelStatus.APPROVED and trusted.published_at is not None
    assert landscape.status == ReelStatus.REJECTED and landscape.check_failures == ["aspect"]
    assert "landscape" in landscape.rejection_reason
    assert not ReelReview.objects.filter(merchant=reel_shop.shop.merchant).exists()


def test_the_automatic_checks():
    ok = ReelFacts(duration_s=12, width=720, height=1280, bytes=5_000_000, products_active=True)
    assert reel_check_failures(ok) == []
    assert reel_check_failures(ReelFacts(61, 720, 1280, 1, True)) == ["duration"]
    assert reel_check_failures(ReelFacts(60.3, 720, 1280, 1, True)) == []  # containers round up
    assert reel_check_failures(ReelFacts(10, 720, 720, 1, True)) == []  # square is fine
    assert reel_check_failures(ReelFacts(10, 1280, 720, 200 * 2**20, False)) == ["size", "aspect", "products"]
    assert reel_check_failures(ReelFacts(10, 0, 0, 1, True)) == ["dimensions"]


def test_approval_checks_the_tags_again_and_refuses_an_archived_product(cloudinary_sandbox, reel_shop, platform_admin):
    reel = _create(reel_shop, uploaded_reel_video(reel_shop))
    with schema_context(reel_shop.schema):
        Product.objects.filter(pk=reel_shop.shop.products[1].pk).update(status=ProductStatus.ARCHIVED)
    review = ReelReview.objects.get(reel_id=reel.pk, merchant=reel_shop.shop.merchant)

    decided = reel_review_decide(review=review, approve=True, by=platform_admin)

    assert decided.status == ReelReviewStatus.REJECTED and decided.check_failures == ["products"]


def test_tags_are_one_to_five_active_products_of_the_reels_store(cloudinary_sandbox, reel_shop):
    upload = uploaded_reel_video(reel_shop)
    products = [p.pk for p in reel_shop.shop.products]
    for product_ids in ([], products[:6]):
        with pytest.raises(ReelError) as caught:
            _create(reel_shop, upload, product_ids=product_ids)
        assert caught.value.code.value == "reel_products_invalid"
    with schema_context(reel_shop.schema):
        assert not Reel.objects.exists()


def test_a_forged_upload_answer_is_refused(cloudinary_sandbox, reel_shop):
    upload = uploaded_reel_video(reel_shop)
    with pytest.raises(Exception) as caught:
        _create(reel_shop, {**upload, "version": upload["version"] + 1})
    assert getattr(caught.value, "code", None).value == "signature_invalid"


def test_delete_withdraws_the_reel_and_destroys_the_video_at_cloudinary_after_the_commit(
    cloudinary_sandbox, reel_shop, django_capture_on_commit_callbacks, monkeypatch
):
    reel = _create(reel_shop, uploaded_reel_video(reel_shop))
    sent = []
    monkeypatch.setattr("shared_apps.media.services.task_send", lambda name, **kw: sent.append(kw["public_id"]))
    with schema_context(reel_shop.schema), django_capture_on_commit_callbacks(execute=True):
        services.reel_delete(actor=reel_shop.owner, reel=reel)
    assert sent == [reel.public_id]
    assert asset_destroy_at_provider.run(public_id=reel.public_id) is True  # what the worker then does
    assert MediaAsset.objects.get(public_id=reel.public_id).status == MediaAssetStatus.DELETED
    assert httpx.get(reel.mp4_url).status_code == 404
    assert _last_payload(reel_shop, reel.pk)["kind"] == "reel.withdrawn"
    review = ReelReview.objects.get(reel_id=reel.pk, merchant=reel_shop.shop.merchant)
    assert review.status == ReelReviewStatus.WITHDRAWN


def test_statistics_read_only_the_merchants_own_reels(reel_shop, make_merchant):
    other = make_merchant()
    assert reel_stats(merchant=other, reel_ids=[]) == {}
    assert reel_stats(merchant=reel_shop.shop.merchant, reel_ids=[1, 2]) == {1: ReelStats(), 2: ReelStats()}


def test_operators_reject_from_the_admin_queue_with_the_reason_the_merchant_reads(
    cloudinary_sandbox, reel_shop, admin_client
):
    reel = _create(reel_shop, uploaded_reel_video(reel_shop))
    review = ReelReview.objects.get(reel_id=reel.pk, merchant=reel_shop.shop.merchant)
    queue = "/admin/reel_review/reelreview/"
    assert reel.caption in admin_client.get(queue).content.decode()
    asked = admin_client.post(queue, {"action": "reject", "_selected_action": [review.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    blank = admin_client.post(queue, {"action": "reject", "_selected_action": [review.pk], "apply": "1"})
    assert blank.status_code == 200 and ReelReview.objects.get(pk=review.pk).status == ReelReviewStatus.PENDING

    done = admin_client.post(
        queue, {"action": "reject", "_selected_action": [review.pk], "apply": "1", "reason": "Show the rice."}
    )

    assert done.status_code == 302
    assert ReelReview.objects.get(pk=review.pk).status == ReelReviewStatus.REJECTED
    with schema_context(reel_shop.schema):
        assert Reel.objects.get(pk=reel.pk).rejection_reason == "Show the rice."
    assert reel.caption not in admin_client.get(queue).content.decode()  # the queue lists only reels waiting
