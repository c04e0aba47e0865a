"""One delivery from placed to delivered, three people at once, as `make run` serves it (the Caddy front, pages on
WSGI, streams on ASGI — the `front` fixture): the customer's order page, the Branch Manager's board on the merchant
host, and the rider's page on a 375 px phone sharing its position. Every open screen changes without a reload: a
window flag set when it opened is still there after each change. Screenshots: artifacts/screenshots/journey-*.png
(the board, the rider's page, the customer's tracking map)."""

from __future__ import annotations

import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import LIBERTY, listing
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.tokens import guest_token_issue
from tenant_apps.fulfilment.tests.conftest import riders  # noqa: F401 (fixture)
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.orders.tests.conftest import GROCER, RICE, grocer  # noqa: F401 (fixture)
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 10_000  # an SSE update on a loaded machine
POLLED = 20_000  # the rider's list is re-fetched every 8 s; a shared position goes out every 7 s
SHOP_DOOR = {"latitude": 31.5105, "longitude": 74.3440}
ON_THE_ROAD = {"latitude": 31.5150, "longitude": 74.3420}
FLAG = "window.__notReloaded = true"
STILL = "window.__notReloaded === true"


def _staff_cookie(context, grocer, who: str) -> None:  # noqa: F811 (the fixture's value)
    client = Client(HTTP_HOST=grocer.host)
    client.force_login(grocer.users[who])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": grocer.host, "path": "/"}]
    )


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)


def _not_reloaded(*pages) -> None:
    for page in pages:
        assert page.evaluate(STILL) is True, page.url


def _place_delivery_order() -> tuple[dict, str]:
    """A guest checks out a cash delivery at the grocer's Liberty branch (the API, as the checkout page posts it);
    returns the placed order and a session key that opens its page as that guest."""
    guest = guest_create()
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {guest_token_issue(guest=guest)}")
    rice = listing(GROCER, *RICE, branch="Liberty Market")
    assert api.post("/api/v1/cart/items", {"listing_id": rice.pk, "quantity": 1}, "application/json").status_code == 201
    group = f"{GROCER}:{rice.branch_id}"
    body = {
        "payment_method": "cod",
        "contact_phone": "03001234567",
        "contact_name": "Ayesha Khan",
        "lat": LIBERTY[0] + 0.006,
        "lng": LIBERTY[1] - 0.004,
        "groups": [{"group": group, "fulfilment": "delivery", "address": "House 12, Street 4, Gulberg III"}],
    }
    response = api.post("/api/v1/checkout", body, "application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.json()
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["guest_id"] = str(guest.pk)
    session.save()
    return response.json(), session.session_key


def test_an_order_goes_from_placed_to_delivered_live_on_three_screens(browser, front, grocer, riders):  # noqa: F811
    shop = f"http://{grocer.host}:{front}"
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        geolocation=SHOP_DOOR,
        permissions=["geolocation"],
    )
    customer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        _staff_cookie(desk, grocer, "manager")
        _staff_cookie(phone, grocer, "rider")

        # the board and the rider's phone are open before the order exists
        board = desk.new_page()
        board.goto(f"{shop}/orders/")
        expect(board.locator(".queue-new")).to_contain_text("No new orders")
        expect(board.locator(".queue-live")).to_have_attribute("data-live-state", "open", timeout=LIVE)
        board.evaluate(FLAG)
        rider = phone.new_page()
        rider.goto(f"{shop}/rider/")
        expect(rider.locator(".rider-empty")).to_be_visible()
        rider.evaluate(FLAG)

        # the customer places a delivery order and opens its page
        placed, session_key = _place_delivery_order()
        part = placed["parts"][0]["number"]
        with schema_context(grocer.merchant.schema_name):
            order_id = MerchantOrder.objects.get(number=part).pk
        customer_context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": f"http://localhost:{front}"}]
        )
        customer = customer_context.new_page()
        customer.goto(f"http://localhost:{front}/orders/{placed['number']}/")
        expect(customer.locator("#order-status")).to_have_text("Placed")
        expect(customer.locator(".order-delivery")).to_contain_text("House 12, Street 4, Gulberg III")
        expect(customer.locator("[data-live-src]")).to_have_attribute("data-live-state", "open", timeout=LIVE)
        customer.evaluate(FLAG)

        # the board rings: the badge counts it, the new column shows it
        expect(board.locator("#queue-new-badge")).to_have_text("1 new", timeout=LIVE)
        expect(board.locator(".queue-new")).to_contain_text(part, timeout=LIVE)
        _not_reloaded(board)
        _shot(board, "board-new-order")

        # the manager works the order on its own page; the board stays open in the first tab
        manager = desk.new_page()
        manager.goto(f"{shop}/orders/{order_id}/")
        manager.get_by_role("button", name="Accept").click()
        expect(manager.get_by_role("heading", level=1)).to_contain_text("Accepted")
        expect(customer.locator(".track-step")).to_have_text("Accepted", timeout=LIVE)
        expect(board.locator(".queue-in_progress")).to_contain_text(part, timeout=LIVE)
        manager.get_by_role("button", name="Start preparing").click()
        expect(customer.locator(".track-step")).to_have_text("Preparing", timeout=LIVE)
        manager.get_by_role("button", name="Out for delivery").click()
        expect(board.locator(".queue-ready")).to_contain_text(part, timeout=LIVE)
        manager.locator("#rider-pick").select_option(label="Bilal Rider")
        manager.get_by_role("button", name="Assign rider").click()
        expect(manager.locator("#delivery-panel")).to_contain_text("Bilal Rider")
        expect(customer.locator(".track-step")).to_have_text("Rider assigned", timeout=LIVE)
        expect(customer.locator(".order-part")).to_contain_text("Rider: Bilal Rider")
        _not_reloaded(board, customer)
        _shot(board, "board-ready")

        # the rider's list shows the order it was given, without a reload
        card = rider.locator(".rider-card", has_text=part)
        expect(card).to_be_visible(timeout=POLLED)
        expect(card.locator(".rider-address")).to_have_text("House 12, Street 4, Gulberg III")
        expect(card.get_by_role("button", name="Picked up")).to_be_visible()
        _not_reloaded(rider)
        _shot(rider, "rider-assigned")

        # picked up: the phone shares its position, the customer's map shows the rider and follows it
        card.get_by_role("button", name="Picked up").click()
        expect(rider.locator("#sharing-state")).to_be_visible()
        marker = customer.locator("#order-live .track-map .map-marker--rider")
        expect(marker).to_have_count(1, timeout=POLLED)
        expect(customer.locator(".track-step")).to_have_text("On the way", timeout=LIVE)
        first = marker.evaluate("el => el.style.transform")
        phone.set_geolocation(ON_THE_ROAD)
        customer.wait_for_function(
            "first => document.querySelector('#order-live .track-map .map-marker--rider').style.transform !== first",
            arg=first,
            timeout=POLLED,
        )
        expect(marker).to_have_count(1)  # moved, not added
        _not_reloaded(customer)
        _shot(customer, "customer-tracking-map")
        _shot(rider, "rider-on-the-way")

        # arrived, then handed over with the code the customer reads off their page
        rider.locator(".rider-card", has_text=part).get_by_role("button", name="Arrived").click()
        expect(customer.locator(".track-step")).to_have_text("Arriving", timeout=LIVE)
        code = customer.locator(f"#handover-code-{part}").inner_text().strip()
        assert len(code) == 4 and code.isdigit()
        delivering = rider.locator(".rider-card", has_text=part)
        delivering.get_by_label("Customer's handover code").fill(code)
        delivering.get_by_role("button", name="Delivered").click()
        expect(rider.locator(".console-flashes")).to_contain_text("Delivered")
        expect(rider.locator(".rider-empty")).to_be_visible()
        expect(customer.locator("#order-status")).to_have_text("Completed", timeout=LIVE)
        expect(customer.locator(".order-part .group-head .status")).to_have_text("Delivered")
        expect(board.locator("#order-queue")).not_to_contain_text(part, timeout=LIVE)
        _not_reloaded(customer, board)
        _shot(customer, "customer-delivered")
        _shot(board, "board-done")
        assert grocer.order(order_id).status == "delivered"
    finally:
        for context in (desk, phone, customer_context):
            context.close()
