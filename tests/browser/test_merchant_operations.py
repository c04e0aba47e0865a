"""A Shop Owner creates a product with two variants, uploads an image, sets stock in a branch, and the product
appears in the marketplace listing index (through the outbox and a real Celery worker)."""

import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from marketplace.listings.models import Listing
from tests.access_world import build_world
from tests.browser.test_shells import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shop_owner_runs_a_product_end_to_end(
    live_server, page, screenshot, make_merchant, sms_code, sandbox_server, celery_worker_process, tmp_path
):
    world = build_world(make_merchant)
    photo = tmp_path / "dates.png"
    Image.new("RGB", (640, 480), (150, 90, 40)).save(photo)

    page.goto(url(live_server, "matrix-t.localhost"))
    sign_in(page, "+923009000011", sms_code)  # the Shop Owner of "T Store 1"
    page.get_by_role("link", name="Products").click()
    page.get_by_text("New product").click()
    page.get_by_label("Name", exact=True).fill("Ajwa Dates")
    page.get_by_label("Category").select_option(index=0)
    page.get_by_label("Status").select_option("active")
    page.get_by_label("SKU 1").fill("AJWA-500")
    page.get_by_label("Variant 1").fill("500 g")
    page.get_by_label("Price 1").fill("1850")
    page.get_by_label("SKU 2").fill("AJWA-1000")
    page.get_by_label("Variant 2").fill("1 kg")
    page.get_by_label("Price 2").fill("3500.50")
    screenshot("shop-owner-new-product")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajwa Dates")
    expect(page.get_by_text("AJWA-1000")).to_be_visible()

    page.get_by_label("Add an image or video").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".gallery img")).to_have_count(1)
    screenshot("shop-owner-product-with-image")

    page.goto(url(live_server, "matrix-t.localhost", f"/branches/{world.ids['B1a']}/stock/"))
    row = page.get_by_role("row", name="AJWA-500")
    row.get_by_label("Units for AJWA-500").fill("12")
    row.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("row", name="AJWA-500")).to_contain_text("12")
    screenshot("shop-owner-branch-stock")

    deadline = time.monotonic() + 15
    listed = Listing.objects.none()
    while time.monotonic() < deadline:
        listed = Listing.objects.filter(merchant=world.t, title="Ajwa Dates", branch_id=world.ids["B1a"])
        if listed.filter(sku="AJWA-500", in_stock=True).exists() and listed.exclude(image_public_id="").exists():
            break
        time.sleep(0.1)
    assert listed.filter(sku="AJWA-500", in_stock=True, available=12).exists()
    assert listed.get(sku="AJWA-1000").price == 3500.50 and not listed.get(sku="AJWA-1000").in_stock
    assert listed.filter(image_public_id__startswith=f"merchants/{world.t.schema_name}/products/").count() == 2
