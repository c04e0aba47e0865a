"""A rider on a 375 px phone: takes the next ready order, marks it picked up (the page then shares the phone's
position), arrived, and delivered with the customer's handover code; the cash it collected shows on the Branch
Manager's dashboard. Screenshots: artifacts/screenshots/rider-*.png."""

import time

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import new_buyer  # noqa: F401 (fixture)
from tenant_apps.fulfilment.models import CashCollection, Delivery
from tenant_apps.fulfilment.tests.conftest import ready_delivery, riders  # noqa: F401 (fixtures)
from tenant_apps.orders.tests.conftest import grocer, place  # noqa: F401 (fixtures)
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 31.5155, "longitude": 74.3421},
        permissions=["geolocation"],
    )
    yield context.new_page()
    context.close()


def _signed_in(page, grocer, who: str) -> None:  # noqa: F811
    client = Client(HTTP_HOST=grocer.host)
    client.force_login(grocer.users[who])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": grocer.host, "path": "/"}]
    )


def _delivery(grocer, order_id: int) -> Delivery:  # noqa: F811
    with schema_context(grocer.merchant.schema_name):
        return Delivery.objects.get(order_id=order_id)


def test_a_rider_takes_carries_and_delivers_an_order_on_a_phone(live_server, phone, grocer, ready_delivery, riders):  # noqa: F811
    order = ready_delivery()
    page = phone
    shots = []

    def shot(name: str) -> None:
        from tests.browser.conftest import SCREENSHOTS

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"rider-{name}.png"), full_page=True)
        shots.append(name)

    _signed_in(page, grocer, "rider")
    page.goto(url(live_server, grocer.host, "/rider/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My deliveries")
    shot("empty")
    page.get_by_role("button", name="Take the next order").click()
    card = page.locator(f"#delivery-{_delivery(grocer, order.pk).pk}")
    expect(card).to_contain_text(order.number)
    expect(card).to_contain_text("House 12, Street 4, Gulberg III")
    expect(card.get_by_role("link", name="Call customer")).to_have_attribute("href", "tel:+923001234567")
    directions = f"https://www.google.com/maps/dir/?api=1&destination={order.latitude},{order.longitude}"
    expect(card.get_by_role("link", name="Navigate")).to_have_attribute("href", f"{directions}&travelmode=driving")
    expect(card.locator(".rider-cod")).to_contain_text("Collect")
    shot("taken")

    card.get_by_role("button", name="Picked up").click()
    expect(page.locator("#sharing-state")).to_be_visible()
    deadline = time.monotonic() + 20  # the page shares the phone's position every few seconds
    while _delivery(grocer, order.pk).last_latitude is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _delivery(grocer, order.pk).status == "on_the_way"
    shot("on-the-way")

    page.get_by_role("button", name="Arrived").click()
    expect(card.locator(".rider-status")).to_have_text("Arrived")
    wrong = "1000" if _delivery(grocer, order.pk).handover_code != "1000" else "1001"
    card.get_by_label("Customer's handover code").fill(wrong)
    card.get_by_role("button", name="Delivered").click()
    expect(page.locator(".console-flashes")).to_contain_text("does not match")
    shot("wrong-code")
    page.locator(f"#delivery-{_delivery(grocer, order.pk).pk}").get_by_label("Customer's handover code").fill(
        _delivery(grocer, order.pk).handover_code
    )
    page.get_by_role("button", name="Delivered").click()
    expect(page.locator(".console-flashes")).to_contain_text("Delivered")
    expect(page.locator(".rider-empty")).to_be_visible()
    shot("delivered")
    assert grocer.order(order.pk).status == "delivered"
    with schema_context(grocer.merchant.schema_name):
        assert CashCollection.objects.get(delivery__order_id=order.pk).amount == order.total

    _signed_in(page, grocer, "manager")
    page.goto(url(live_server, grocer.host, "/"))
    expect(page.locator(".cash-in-hand")).to_contain_text("Bilal Rider")
    shot("cash-in-hand")
    assert len(shots) == 6
