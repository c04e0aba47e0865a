"""The customer's order page is live, as `make run` serves it: Caddy in front (config/Caddyfile), the pages on the
test's live server (WSGI), the stream on granian's ASGI interface. A shop accepts the order and a rider moves: the
open page shows "Accepted" and the rider's marker on the map, without a reload and without its slow poll."""

from __future__ import annotations

import json
import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import listing
from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from marketplace.orders.tests.conftest import staff_move
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.tokens import guest_token_issue
from shared_apps.live.services import channel_order, live_publish
from shared_apps.payments.testing import payments_delete_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def orders_cleared():
    yield
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def test_the_order_page_follows_a_status_change_and_the_rider_without_reload(
    front, page, screenshot, make_merchant, orders_cleared
):
    build_market(make_merchant)
    guest = guest_create()
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {guest_token_issue(guest=guest)}")
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    assert api.post("/api/v1/cart/items", {"listing_id": rice.pk, "quantity": 1}, "application/json").status_code == 201
    body = {"payment_method": "cod", "contact_phone": "03001234567"}
    placed = api.post("/api/v1/checkout", body, "application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex).json()
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["guest_id"] = str(guest.pk)
    session.save()
    page.context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": f"http://localhost:{front}"}])

    page.goto(f"http://localhost:{front}/orders/{placed['number']}/")
    expect(page.locator("#order-status")).to_have_text("Placed")
    expect(page.locator("[data-live-src]")).to_have_attribute("data-live-state", "open")
    expect(page.locator("#order-live .track-map .map-marker--shop")).to_have_count(1)
    page.evaluate("window.__notReloaded = true")

    staff_move(placed["parts"][0]["number"], "accepted")
    expect(page.locator("#order-live .order-part .status")).to_have_text("Accepted", timeout=5000)
    page.wait_for_timeout(1500)  # the move's two events (the order's, its delivery's) each re-fetch the part

    with transaction.atomic():
        live_publish(channels=[channel_order(placed["id"])], kind="position", data={"lat": 31.512, "lng": 74.345})
    rider = page.locator("#order-live .track-map .map-marker--rider")
    expect(rider).to_have_count(1, timeout=5000)
    first = rider.evaluate("el => el.style.transform")
    with transaction.atomic():  # as the fulfilment side tells a rider's position
        live_publish(
            channels=[channel_order(placed["id"])],
            kind="delivery.position",
            data={"step": "on_the_way", "position": {"lat": 31.515, "lng": 74.349}},
        )
    page.wait_for_function(
        "first => document.querySelector('#order-live .track-map .map-marker--rider').style.transform !== first",
        arg=first,
    )
    expect(rider).to_have_count(1)  # moved, not added
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator("[data-live-src]").get_attribute("data-live-state") == "open"  # never fell back to polling
    screenshot("live-order-page-rider")
    assert json.loads(page.locator("#order-live .track-map").get_attribute("data-map-markers"))[0]["kind"] == "shop"
