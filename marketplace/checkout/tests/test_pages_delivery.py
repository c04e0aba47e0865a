"""The checkout page with addresses and opening hours: a saved address or a new one placed with the pin, the shops'
part re-rendered for the address (delivery area, promised times), and a closed shop's next opening offered."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from marketplace.cart.tests.test_pages import LIBERTY, text
from marketplace.checkout.tests.test_checkout_delivery import (
    branch_exceptions,
    closed_until_tomorrow_nine,
    days_from_today,
    merchant_order,
)
from marketplace.checkout.tests.test_pages import form, group_field, rice
from marketplace.discovery import location as loc
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.models import Address
from shared_apps.accounts.testing import address_make, customer_make


@pytest.fixture
def ayesha_at_checkout(market, host_client):
    """A signed-in customer with a saved home address and rice (grocer, Liberty Market) in her cart."""
    user = customer_make(name="Ayesha")
    home = address_make(user, notes="Green gate")
    client = host_client("localhost")
    client.force_login(user)
    client.cookies[loc.COOKIE_NAME] = LIBERTY.cookie_value()
    client.post("/cart/add", {"listing_id": rice().pk, "quantity": 2})
    return client, user, home


def selects(response) -> dict[str, str]:
    """The selected option of every <select> in the page, as the form would post it."""
    body = response.content.decode()
    found = {}
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', options) or re.search(
            r'<option value="([^"]+)"', options
        )
        found[name] = chosen.group(1)
    return found


def test_a_signed_in_customer_picks_a_saved_address_and_it_goes_on_the_order(ayesha_at_checkout):
    client, _, home = ayesha_at_checkout
    page = client.get("/checkout")
    body = page.content.decode()
    assert re.search(rf'name="address_choice" value="{home.pk}"[^>]*checked', body)  # the default, chosen
    assert "House 12, Street 4, Gulberg III, Lahore · Green gate" in text(page)
    data = form(page, contact_phone="0300 1234567")
    data[group_field("gulberg-grocer", rice().branch_id)] = "delivery"
    response = client.post("/checkout", data)
    assert response.status_code == 302, text(response)[:2000]
    order = CustomerOrder.objects.get()
    assert order.delivery_address["address_id"] == home.pk and order.parts.get().promised_at is not None
    assert merchant_order(rice(), order.pk).address_notes == "Green gate"
    shown = text(client.get(response["Location"]))
    assert "House 12, Street 4, Gulberg III, Lahore" in shown and "Green gate" in shown


def test_a_new_address_placed_with_the_pin_is_used_and_saved(ayesha_at_checkout):
    client, user, _ = ayesha_at_checkout
    data = form(client.get("/checkout"), contact_phone="0300 1234567", address_choice="new", save_address="1")
    data |= {"new_label": "Work", "new_street": "Arfa Tower, 9th floor", "new_area": "Ferozepur Road"}
    data |= {"new_latitude": "31.512000", "new_longitude": "74.345500", "new_notes": "Ask at reception"}
    data[group_field("gulberg-grocer", rice().branch_id)] = "delivery"
    response = client.post("/checkout", data)
    assert response.status_code == 302, text(response)[:2000]
    order = CustomerOrder.objects.get()
    assert order.delivery_address["text"] == "Arfa Tower, 9th floor, Ferozepur Road"
    assert order.delivery_address["latitude"] == 31.512
    assert Address.objects.filter(user=user, label="Work", notes="Ask at reception").exists()


def test_the_shops_part_follows_the_pin_delivery_area_and_promised_time(ayesha_at_checkout):
    client, _, _ = ayesha_at_checkout
    data = form(client.get("/checkout"), address_choice="new", new_latitude="33.684400", new_longitude="73.047900")
    far = client.post("/checkout/options", data)
    assert far.status_code == 200 and 'id="shop-groups"' in far.content.decode()
    assert "You are outside their delivery area" in text(far)
    near = client.post("/checkout/options", {**data, "new_latitude": "31.511", "new_longitude": "74.345"})
    assert "You are outside their delivery area" not in text(near)
    assert re.search(r"Arrives (today|tomorrow) at \d\d:\d\d", text(near))
    assert not CustomerOrder.objects.exists()


def test_a_closed_shop_offers_its_next_opening_and_takes_a_scheduled_order(ayesha_at_checkout, market, host_client):
    client, _, _ = ayesha_at_checkout
    closed_until_tomorrow_nine(rice())
    page = client.get("/checkout")
    shown = text(page)
    assert "Closed now. Opens tomorrow at 09:00." in shown
    assert "As soon as it opens (tomorrow at 09:00)" in shown and "tomorrow at 09:30" in shown
    assert re.search(r"Ready tomorrow at 09:20", shown)  # preparation from the opening
    data = form(page, contact_phone="0300 1234567") | selects(page)
    refused = client.post("/checkout", {k: v for k, v in data.items() if not k.startswith("schedule-")})
    assert refused.status_code == 409 and "Gulberg Grocer is closed now. It opens tomorrow at 09:00" in text(refused)
    response = client.post("/checkout", data)
    assert response.status_code == 302, text(response)[:2000]
    part = CustomerOrder.objects.get().parts.get()
    assert timezone.localtime(part.scheduled_for).strftime("%H:%M") == "09:00"  # as soon as it opens
    assert merchant_order(rice(), part.order_id).scheduled_for == part.scheduled_for
    shown = text(client.get(response["Location"]))
    assert "Ready tomorrow at 09:20 · Scheduled for tomorrow at 09:00" in shown
    console = host_client("gulberg-grocer.localhost")
    console.force_login(market.shops["gulberg-grocer"].merchant.owner)
    assert "Scheduled tomorrow at 09:00" in text(console.get("/orders/queue/"))
    detail = text(console.get(f"/orders/{merchant_order(rice(), part.order_id).pk}/"))
    assert "Scheduled for tomorrow at 09:00" in detail and "Promised Ready tomorrow at 09:20" in detail


def test_a_shop_closed_beyond_the_horizon_says_so_and_cannot_be_ordered(ayesha_at_checkout):
    client, _, _ = ayesha_at_checkout
    branch_exceptions(rice(), {day: [] for day in days_from_today(0, 1, 2)})
    page = client.get("/checkout")
    assert "Closed, and not open in the next few days" in text(page)
    assert re.search(r'<button class="button block" type="submit" disabled>', page.content.decode())
