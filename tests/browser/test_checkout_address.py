"""A signed-in customer checks out with delivery: adds a new address at checkout by dragging the map pin to the
door, sees each option's promised time follow the pin, saves the address and lands on the order with its address
and promised time. Then the grocer is closed until tomorrow: checkout offers its next opening and the order is
scheduled for it. Screenshots on a desktop and a 375 px phone."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import listing
from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.models import Address
from shared_apps.accounts.testing import customer_make
from shared_apps.payments.testing import payments_delete_all
from tenant_apps.stores.models import Branch
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def orders_cleared():
    """Orders hold their merchants (PROTECT): clear them before the schemas and merchants go."""
    yield
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def signed_in(page, live_server, user) -> Client:
    """The browser signed in as `user` (a session made by the test client: the OTP journey has its own tests)."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": "localhost", "path": "/"}]
    )
    return client


def top(page):
    page.evaluate("window.scrollTo(0, 0)")
    return page


def drag_pin(page, map_id: str, dx: int, dy: int) -> None:
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    pin = page.locator(f"#{map_id} .leaflet-marker-icon")
    expect(pin).to_be_visible()
    page.wait_for_timeout(300)  # the map was drawn hidden: it re-measures itself once the address step shows
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def test_a_customer_adds_an_address_by_dragging_the_pin_and_a_closed_shop_offers_its_opening(
    live_server, page, screenshot, make_merchant, orders_cleared
):
    build_market(make_merchant)
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    ayesha = customer_make(name="Ayesha Khan")
    client = signed_in(page, live_server, ayesha)
    client.post("/cart/add", {"listing_id": rice.pk, "quantity": 2})

    # Delivery from the grocer to a new address, the pin dragged onto the door
    page.set_viewport_size(DESKTOP)
    page.goto(url(live_server, "localhost", "/checkout"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    grocer = page.get_by_role("group", name=re.compile("^Gulberg Grocer"))
    expect(grocer.locator('[data-eta="pickup"]')).to_contain_text(re.compile(r"Ready (today|tomorrow) at \d\d:\d\d"))
    grocer.get_by_role("radio", name=re.compile("^Delivery by the shop")).check()
    expect(page.get_by_label("House and street")).to_be_visible()
    page.get_by_label("House and street").fill("House 12, Street 4")
    page.get_by_label("Area").fill("Gulberg III")
    page.get_by_label("Notes for the rider").fill("Green gate")
    before = page.locator("#new_pin-map-lat").input_value()
    drag_pin(page, "new_pin-map", 80, 60)
    expect(page.locator("#new_pin-map-lat")).not_to_have_value(before)
    moved = float(page.locator("#new_pin-map-lat").input_value())
    eta = page.get_by_role("group", name=re.compile("^Gulberg Grocer")).locator('[data-eta="delivery"]')
    expect(eta).to_contain_text(re.compile(r"Arrives (today|tomorrow) at \d\d:\d\d"))
    expect(page.get_by_label("Save to my addresses")).to_be_checked()
    page.get_by_label("Mobile number").fill("0300 1234567")
    top(page)
    screenshot("checkout-address-pin")
    page.set_viewport_size(PHONE)
    top(page)
    screenshot("checkout-address-pin-mobile")
    page.get_by_role("button", name="Place order").click()

    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    expect(page.locator(".part-promise")).to_contain_text(re.compile(r"Arrives (today|tomorrow) at \d\d:\d\d"))
    expect(page.locator(".order-delivery")).to_contain_text("House 12, Street 4, Gulberg III")
    expect(page.locator(".order-delivery")).to_contain_text("Green gate")
    top(page)
    screenshot("checkout-address-order-mobile")
    saved = Address.objects.get(user=ayesha)
    assert saved.street == "House 12, Street 4" and abs(float(saved.latitude) - moved) < 1e-6
    order = CustomerOrder.objects.get()
    assert order.delivery_address["latitude"] == pytest.approx(moved, abs=1e-6)

    # The grocer is closed until 09:00 tomorrow: checkout offers its opening, and the order is scheduled for it
    today = timezone.localdate()
    with schema_context(rice.merchant.schema_name):
        Branch.objects.filter(pk=rice.branch_id).update(
            hours_exceptions={today.isoformat(): [], (today + timedelta(days=1)).isoformat(): [["09:00", "18:00"]]}
        )
    client.post("/cart/add", {"listing_id": rice.pk, "quantity": 1})
    page.set_viewport_size(DESKTOP)
    page.goto(url(live_server, "localhost", "/checkout"))
    grocer = page.get_by_role("group", name=re.compile("^Gulberg Grocer"))
    expect(grocer).to_contain_text("Closed now. Opens tomorrow at 09:00.")
    expect(grocer.get_by_label("Order for")).to_have_value(re.compile(r"T09:00:00"))
    expect(grocer.locator("option").first).to_have_text("As soon as it opens (tomorrow at 09:00)")
    expect(grocer.locator('[data-eta="pickup"]')).to_have_text("Ready tomorrow at 09:20")
    saved_choice = page.locator(f'input[name="address_choice"][value="{saved.pk}"]')
    expect(saved_choice).to_be_checked()  # the address saved just now, the default, for a delivery
    top(page)
    screenshot("checkout-closed-shop")
    page.set_viewport_size(PHONE)
    top(page)
    screenshot("checkout-closed-shop-mobile")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    expect(page.locator(".part-promise")).to_contain_text("Scheduled for tomorrow at 09:00")
    assert CustomerOrder.objects.count() == 2
