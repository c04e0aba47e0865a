"""The checkout page: the form (prefilled for a signed-in customer, a fresh Idempotency-Key per rendering), one order
for the whole cart, exactly once however often the form is sent, and errors shown next to their field."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from marketplace.cart.models import CartItem
from marketplace.cart.tests.test_pages import LIBERTY, text
from marketplace.checkout.tests.conftest import listing
from marketplace.discovery import location as loc
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.models import User
from tenant_apps.catalog.services import branch_price_set
from tenant_apps.inventory.models import StockLevel
from tenant_apps.inventory.services import stock_count
from tenant_apps.orders.models import MerchantOrder


@pytest.fixture
def shopper(market, host_client):
    """A guest at Liberty Market with rice (grocer) and a cake (bakery) in the cart."""
    client = host_client("localhost")
    client.cookies[loc.COOKIE_NAME] = LIBERTY.cookie_value()
    client.post("/cart/add", {"listing_id": rice().pk, "quantity": 2})
    client.post("/cart/add", {"listing_id": cake().pk, "quantity": 1})
    return client


def rice():
    return listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")


def cake():
    return listing("crust-and-crumb", "Chocolate Fudge Cake", "1 lb")


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def form(response, **changes) -> dict[str, str]:
    """What the rendered form would post as it stands (defaults checked), with `changes`."""
    body = response.content.decode()
    data = {"idempotency_key": key_of(response), "contact_name": "", "contact_phone": "", "address": "", "note": ""}
    for name, value in re.findall(r'<input type="radio" name="([^"]+)" value="([^"]+)"[^>]*\bchecked\b', body):
        data[name] = value
    data.update(changes)
    return data


def group_field(shop: str, branch_id: int) -> str:
    return f"fulfilment-{shop}:{branch_id}"


def test_checkout_page_shows_contact_fulfilment_per_shop_payment_and_total(shopper, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = shopper.get("/checkout")
    page = text(response)
    assert response.status_code == 200
    assert "Gulberg Grocer · Liberty Market" in page and "Crust & Crumb · MM Alam Road" in page
    assert re.search(r"Delivery by the shop Minimum order Rs 500 Arrives (today|tomorrow) at \d\d:\d\d Rs 100", page)
    assert re.search(r"Pickup from the shop \(Liberty Market\) Ready (today|tomorrow) at \d\d:\d\d Free", page)
    assert "Cash on delivery Pay each shop when you get your order." in page
    assert "Foree Pay Pay now from your bank app, card or wallet." in page and "JazzCash Pay now from" in page
    assert not re.search(r'value="foree"[^>]*disabled', response.content.decode())
    assert "Items Rs 2,980 Delivery Free Total Rs 2,980" in page  # pickup is chosen first
    assert key_of(response) != key_of(shopper.get("/checkout"))  # one key per rendering


def test_checkout_prefills_a_signed_in_customer(market, host_client):
    user = User.objects.create_user(phone="+923001112223", name="Ayesha Khan")
    client = host_client("localhost")
    client.force_login(user)
    client.post("/cart/add", {"listing_id": rice().pk, "quantity": 1})
    body = client.get("/checkout").content.decode()
    assert 'name="contact_name" value="Ayesha Khan"' in body and 'name="contact_phone" value="+923001112223"' in body


def test_place_order_with_delivery_and_pickup_lands_on_the_order(shopper):
    page = shopper.get("/checkout")
    data = form(page, contact_name="Bilal", contact_phone="0300 1234567", address="House 5, Street 2, Gulberg III")
    data[group_field("gulberg-grocer", rice().branch_id)] = "delivery"
    response = shopper.post("/checkout", data)
    order = CustomerOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.number}/?placed=1"
    assert order.total == 2980 + 100 and order.contact_phone == "+923001234567" and order.parts.count() == 2
    assert sorted(order.parts.values_list("fulfilment", flat=True)) == ["delivery", "pickup"]
    assert not CartItem.objects.exists()
    page = text(shopper.get(response["Location"]))
    assert "Thank you! Your order is placed." in page and "Gulberg Grocer · Liberty Market" in page


def test_the_same_form_sent_twice_places_one_order(shopper, market):
    data = form(shopper.get("/checkout"), contact_phone="03001234567")
    first = shopper.post("/checkout", data)
    second = shopper.post("/checkout", data)  # a double click, or the refresh of the POST
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert CustomerOrder.objects.count() == 1
    grocer = market.shops["gulberg-grocer"].merchant
    with schema_context(grocer.schema_name):
        assert MerchantOrder.objects.count() == 1
        assert StockLevel.objects.get(branch_id=rice().branch_id, variant_id=rice().variant_id).reserved == 2
    changed = shopper.post("/checkout", {**data, "note": "something else"})  # the key of a placed order, reused
    assert changed.status_code == 409 and "already used to place an order" in text(changed)
    assert CustomerOrder.objects.count() == 1


def test_a_bad_phone_comes_back_next_to_the_field_and_nothing_is_written(shopper):
    page = shopper.get("/checkout")
    response = shopper.post("/checkout", form(page, contact_phone="12345", contact_name="Bilal"))
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r'id="contact-phone"[^>]*aria-invalid="true"', body)
    assert '<p class="field-error" id="contact-phone-error">Enter a mobile number' in body
    assert 'name="contact_name" value="Bilal"' in body and key_of(response) == key_of(page)  # kept for the retry
    assert not CustomerOrder.objects.exists() and CartItem.objects.count() == 2


def test_delivery_needs_an_address_and_a_location(shopper, market, host_client):
    data = form(shopper.get("/checkout"), contact_phone="03001234567")
    data[group_field("gulberg-grocer", rice().branch_id)] = "delivery"
    response = shopper.post("/checkout", data)
    assert response.status_code == 400 and '<p class="field-error" id="address-error">Give a delivery address.' in (
        response.content.decode()
    )
    del shopper.cookies[loc.COOKIE_NAME]  # back to the default location: nobody knows where to deliver
    response = shopper.post("/checkout", {**data, "address": "House 5"})
    assert response.status_code == 400
    assert "Gulberg Grocer cannot do delivery: location_needed." in text(response)
    assert not CustomerOrder.objects.exists()


def test_out_of_stock_and_changed_prices_send_the_customer_back_to_review(shopper, market):
    data = form(shopper.get("/checkout"), contact_phone="03001234567")
    grocer = market.shops["gulberg-grocer"].merchant
    with schema_context(grocer.schema_name):
        stock_count(branch_id=rice().branch_id, variant_id=rice().variant_id, counted=1, actor_id=None)
    response = shopper.post("/checkout", data)
    assert response.status_code == 409
    page = text(response)
    assert "Some items are no longer available" in page and "Guard Basmati Rice 1 kg Rs 1,180 Only 1 left." in page
    with schema_context(grocer.schema_name):
        stock_count(branch_id=rice().branch_id, variant_id=rice().variant_id, counted=10, actor_id=None)
        branch_price_set(branch_id=rice().branch_id, variant_id=rice().variant_id, price="600")
    response = shopper.post("/checkout", data)
    assert response.status_code == 409 and "Price changed from Rs 590 to Rs 600" in text(response)
    assert shopper.post("/checkout", data).status_code == 302  # the new price was shown: the same form goes through
    assert CustomerOrder.objects.get().subtotal == 2 * 600 + 1800


def test_an_unknown_payment_method_is_refused(shopper):
    response = shopper.post(
        "/checkout", form(shopper.get("/checkout"), contact_phone="03001234567", payment_method="bitcoin")
    )
    assert response.status_code == 400 and "Choose how to pay." in text(response)
    assert not CustomerOrder.objects.exists()


def test_an_empty_cart_has_nothing_to_check_out(market, host_client):
    client = host_client("localhost")
    assert client.get("/checkout")["Location"] == "/cart"
    client.post("/cart/add", {"listing_id": rice().pk, "quantity": 1})
    CartItem.objects.all().delete()
    assert client.get("/checkout")["Location"] == "/cart"
