"""The customer's order pages: my orders, one order with a section per shop, its live fragment, cancel — and nobody
but the owner (the session's user or guest) ever sees one."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from marketplace.cart.tests.test_pages import LIBERTY, text
from marketplace.checkout.tests.conftest import listing
from marketplace.discovery import location as loc
from marketplace.orders.models import CustomerOrder
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.states import STAFF, Actor, merchant_order_transition


@pytest.fixture
def customer(market, host_client):
    client = host_client("localhost")
    client.cookies[loc.COOKIE_NAME] = LIBERTY.cookie_value()
    return client


def place(client) -> CustomerOrder:
    """Rice from the grocer and a cake from the bakery, cash on delivery, through the pages."""
    client.post("/cart/add", {"listing_id": listing("gulberg-grocer", "Guard Basmati Rice", "1 kg").pk, "quantity": 2})
    client.post("/cart/add", {"listing_id": listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb").pk})
    page = client.get("/checkout").content.decode()
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    response = client.post(
        "/checkout", {"idempotency_key": key, "contact_phone": "03001234567", "payment_method": "cod"}
    )
    assert response.status_code == 302, text(response)
    return CustomerOrder.objects.get(number=response["Location"].split("/")[2])


def accept(market, shop: str, order: CustomerOrder) -> None:
    part = order.parts.get(merchant_slug=shop)
    with schema_context(market.shops[shop].merchant.schema_name):
        merchant_order = MerchantOrder.objects.get(pk=part.merchant_order_id)
        merchant_order_transition(order=merchant_order, to=OrderStatus.ACCEPTED, actor=Actor(STAFF, role="Manager"))


def test_my_orders_lists_mine_newest_first(customer, host_client, django_assert_max_num_queries):
    first, second = place(customer), place(customer)
    with django_assert_max_num_queries(5):  # session, orders with payments, their parts; the badge
        response = customer.get("/orders/")
    page = text(response)
    assert page.index(f"Order {second.number}") < page.index(f"Order {first.number}")
    assert "Gulberg Grocer, Crust & Crumb" in page and "3 items" in page and "Placed Rs 2,980" in page
    assert "No orders yet." in text(host_client("localhost").get("/orders/"))


def test_order_page_has_a_section_per_shop_with_lines_totals_and_timeline(customer, django_assert_max_num_queries):
    order = place(customer)
    with django_assert_max_num_queries(7):  # + the map's shops and the live stream's last event id
        response = customer.get(f"/orders/{order.number}/")
    page = text(response)
    body = response.content.decode()
    assert f"Order {order.number}" in page and "Cash on delivery" in page
    assert "Gulberg Grocer · Liberty Market Placed" in page and "Crust & Crumb · MM Alam Road Placed" in page
    assert "2 \u00d7 Guard Basmati Rice 1 kg Rs 1,180" in page and "Total Rs 2,980" in page
    assert "Timeline Placed" in page and "Pickup from the shop" in page
    assert f'hx-get="/orders/{order.number}/live" hx-trigger="live"' in body  # re-fetched on each live event
    assert f'data-live-src="/api/v1/orders/{order.pk}/events"' in body and "data-map-markers=" in body
    assert "Cancel order" in page


def test_the_live_fragment_follows_the_shops_and_stops_when_settled(customer, market):
    order = place(customer)
    accept(market, "gulberg-grocer", order)
    response = customer.get(f"/orders/{order.number}/live", HTTP_HX_REQUEST="true")
    page = text(response)
    assert response.content.decode().startswith('<div id="order-live"')
    assert "Status In progress" in page and "Gulberg Grocer · Liberty Market Accepted" in page
    assert "Timeline Placed" in page and "Accepted" in page
    assert "Cancel order" not in page  # a shop accepted: too late
    refused = customer.post(f"/orders/{order.number}/cancel")
    assert refused.status_code == 409 and "can no longer be cancelled" in text(refused)


def test_cancel_before_any_shop_accepts(customer):
    order = place(customer)
    response = customer.post(f"/orders/{order.number}/cancel", HTTP_HX_REQUEST="true")
    page = text(response)
    assert response.status_code == 200 and "Status Cancelled" in page and "Cancelled by you" in page
    assert "hx-trigger" not in response.content.decode()  # settled: the page stops polling
    assert CustomerOrder.objects.get().status == "cancelled"


def test_only_the_owner_sees_an_order(customer, host_client):
    order = place(customer)
    stranger = host_client("localhost")
    stranger.post("/cart/add", {"listing_id": listing("crust-and-crumb", "Cake Rusk", "Box").pk})  # a guest too
    for client in (stranger, host_client("localhost")):
        assert client.get(f"/orders/{order.number}/").status_code == 404
        assert client.get(f"/orders/{order.number}/live").status_code == 404
        assert client.post(f"/orders/{order.number}/cancel").status_code == 404
        assert order.number not in client.get("/orders/").content.decode()
    assert customer.get("/orders/NOSUCHORDER/").status_code == 404
    assert CustomerOrder.objects.get().status == "placed"
