"""A new merchant's first products: a starter list, three items ticked and priced (one with opening stock), added
at once and shown in the products list; on a 375 px phone the page works too. Screenshots at each step."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tenant_apps.catalog.models import Product
from tenant_apps.inventory.models import StockLevel
from tests.browser.onboarding_steps_catalog import (
    csv_template_download,
    product_stock_receive,
    products_listed,
    starter_items_submit,
    starter_items_tick,
    starter_list_open,
)
from tests.browser.test_shells import sign_in, url
from tests.shop_factory import build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_375 = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def test_a_new_merchant_adds_first_products_from_a_starter_list(
    live_server, page, screenshot, make_merchant, sms_code, tmp_path
):
    shop = build_shop(make_merchant, slug="first-products", products=0, branches=("gulberg",))
    console = url(live_server, "first-products.localhost").rstrip("/")
    page.goto(console + "/")
    sign_in(page, shop.merchant.owner.phone, sms_code)
    starter_list_open(page, console)
    screenshot("onboarding-catalog-starter-desktop")
    starter_items_tick(
        page,
        {"Olper's Milk 1 L": "330", "Tapal Danedar 950 g": "abc", "Basmati rice 5 kg": "1650"},
        stock={("Olper's Milk 1 L", "Gulberg"): "24"},
    )
    page.get_by_role("button", name="Add 3 items").click()
    expect(page.get_by_role("alert")).to_contain_text("Some rows need a fix")
    expect(page.get_by_text("is not a price")).to_be_visible()
    expect(page.get_by_label("Price of Olper's Milk 1 L", exact=True)).to_have_value("330")  # nothing typed is lost
    screenshot("onboarding-catalog-starter-error")
    page.get_by_label("Price of Tapal Danedar 950 g", exact=True).fill("1450")
    starter_items_submit(page, count=3)
    products_listed(page, ["Olper's Milk", "Tapal Danedar", "Basmati rice"])
    screenshot("onboarding-catalog-products-desktop")
    with schema_context(shop.schema):
        assert Product.objects.filter(status="active").count() == 3
        assert StockLevel.objects.get(variant__sku="OLPERS-MILK-1L").on_hand == 24

    product_stock_receive(page, "Basmati rice", sku="BASMATI-RICE-5KG", branch="Gulberg", units="8")
    expect(page.locator("#stock")).to_contain_text("8")
    with schema_context(shop.schema):
        assert StockLevel.objects.get(variant__sku="BASMATI-RICE-5KG").on_hand == 8

    template = csv_template_download(page, console, tmp_path)
    assert "Gulberg" in template.read_text(encoding="utf-8-sig").splitlines()[1]

    page.set_viewport_size(PHONE_375)
    starter_list_open(page, console, kind="Pharmacy and medical store")
    starter_items_tick(page, {"Panadol 500 mg Strip of 10": "35"})
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(  # what sticks out, to name in the failure
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)
              .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert width <= 375, f"the starter list scrolls sideways on a phone ({width} px): {wide}"
    screenshot("onboarding-catalog-starter-phone")
    starter_items_submit(page, count=1)
    products_listed(page, ["Panadol 500 mg"])
    screenshot("onboarding-catalog-products-phone")
    page.set_viewport_size(DESKTOP)
