"""A Merchant films a reel on the phone and uploads it from the console: the browser signs on our server, uploads
the file straight to Cloudinary (the sandbox), tags a product, and the reel waits for the operators' review."""

import shutil

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.reel_review.models import ReelReview
from sandboxes.tests.media_samples import vertical_video_bytes
from tenant_apps.reels.models import Reel, ReelStatus
from tests.access_world import build_world
from tests.browser.test_shells import sign_in, url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed"),
]


def test_merchant_uploads_a_reel_and_tags_a_product(
    live_server, browser, screenshot, make_merchant, sms_code, settings, tmp_path
):
    settings.CLOUDINARY_NOTIFICATION_URL = ""
    world = build_world(make_merchant)
    video = tmp_path / "naan.mp4"
    video.write_bytes(vertical_video_bytes(seconds=3, width=180, height=320))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(url(live_server, "matrix-t.localhost", "/reels/"))
        sign_in(page, "+923009000001", sms_code)
        expect(page.get_by_role("heading", name="Reels", level=1)).to_be_visible()

        form = page.get_by_role("region", name="New reel")
        form.get_by_label("Video").set_input_files(str(video))
        expect(page.locator("#reel-file-info")).to_contain_text("180\u00d7320")
        form.get_by_label("T Store 1 · B1a").check()
        form.get_by_label("P1", exact=True).check()
        form.get_by_label("Caption").fill("Hot naan out of the tandoor")
        screenshot("reels-upload-form", page)
        form.get_by_role("button", name="Upload and submit").click()

        row = page.locator(".reel-row", has_text="Hot naan out of the tandoor")
        expect(row).to_be_visible(timeout=30_000)
        expect(row).to_contain_text("Waiting for review")
        expect(row).to_contain_text("P1")
        screenshot("reels-uploaded", page)
    finally:
        context.close()

    with schema_context(world.t.schema_name):
        reel = Reel.objects.get(caption="Hot naan out of the tandoor")
        assert reel.status == ReelStatus.PENDING_REVIEW
        assert list(reel.tags.values_list("product_id", flat=True)) == [world.ids["P1"]]
        assert list(reel.branches.values_list("pk", flat=True)) == [world.ids["B1a"]]
        assert (reel.width, reel.height) == (180, 320)
    assert ReelReview.objects.filter(merchant=world.t, reel_id=reel.pk).exists()
