"""The checkout page with partner delivery: choosing it asks the courier (the Uber Direct sandbox, through the
worker run here), the option polls until the price comes, the fee shown is the fee charged, and an expired price
is asked again — a changed fee said before the customer confirms again."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kernel.money import money
from marketplace.cart.tests.test_pages import text
from marketplace.checkout.tests.quoting import partner_offered, quote_age
from marketplace.checkout.tests.test_pages import form, group_field, rice
from marketplace.checkout.tests.test_pages_delivery import ayesha_at_checkout  # noqa: F401 (fixture)
from marketplace.orders.models import CustomerOrder


def hidden(response) -> dict[str, str]:
    """The quote inputs of the shops' part, as the form posts them."""
    found = re.findall(r'<input type="hidden" name="(quote(?:_was)?-[^"]+)" value="([^"]*)"', response.content.decode())
    return dict(found)


def quote_key(response) -> str:
    return next(value for name, value in hidden(response).items() if name.startswith("quote-"))


@pytest.fixture
def partner_chosen(ayesha_at_checkout):  # noqa: F811
    client, _, _ = ayesha_at_checkout
    partner_offered(rice())
    page = client.get("/checkout")
    data = form(page, contact_phone="0300 1234567")
    data[group_field("gulberg-grocer", rice().branch_id)] = "partner"
    return client, data


def test_partner_delivery_is_quoted_polled_and_charged_at_the_fee_shown(partner_chosen, uber, courier_worker):
    client, data = partner_chosen
    waiting = client.post("/checkout/options", data)
    assert "Getting the courier's price…" in text(waiting) and "data-quote-pending" in waiting.content.decode()
    key = quote_key(waiting)
    assert f"/checkout/quote/{key}?n=1" in waiting.content.decode()
    still = client.get(f"/checkout/quote/{key}?n=1")
    assert "Getting the courier's price…" in text(still) and "?n=2" in still.content.decode()
    assert client.get(f"/checkout/quote/{key}?n=15").content.decode().count("not answering") == 1
    assert courier_worker() == 1
    answered = client.get(f"/checkout/quote/{key}?n=2")
    assert answered.status_code == 200 and answered["HX-Trigger"] == "checkout:refresh"
    shown = client.post("/checkout/options", data | hidden(waiting))
    assert quote_key(shown) == key and courier_worker() == 0  # the same quote, not asked again
    fee = re.search(r"Partner courier The courier's price, held until \d\d:\d\d .*?(Rs [\d,]+)", text(shown)).group(1)
    placed = client.post("/checkout", data | hidden(shown))
    assert placed.status_code == 302, text(placed)[:2000]
    order = CustomerOrder.objects.get()
    assert money(order.delivery_total) == fee and order.parts.get().courier_quote_id.startswith("dqt_")


def test_an_expired_price_is_asked_again_and_a_changed_fee_is_shown_before_confirming(
    partner_chosen, uber, courier_worker
):
    client, data = partner_chosen
    first = client.post("/checkout/options", data)
    courier_worker()
    shown = client.post("/checkout/options", data | hidden(first))
    quote_age(quote_key(shown), fee=Decimal("999"))  # the customer saw Rs 999; it expired before they confirmed
    refused = client.post("/checkout", data | hidden(shown))
    assert refused.status_code == 409 and "The courier's price for Gulberg Grocer has expired" in text(refused)
    assert CustomerOrder.objects.count() == 0 and "Getting the courier's price…" in text(refused)
    again = hidden(refused)
    assert quote_key(refused) != quote_key(shown) and again[f"quote_was-gulberg-grocer:{rice().branch_id}"] == "999"
    assert courier_worker() == 1
    told = client.post("/checkout/options", data | again)
    new_fee = re.search(r"changed from Rs 999 to (Rs [\d,]+)\.", text(told))
    assert new_fee, text(told)[:3000]
    placed = client.post("/checkout", data | hidden(told) | {"idempotency_key": data["idempotency_key"]})
    assert placed.status_code == 302, text(placed)[:2000]
    assert money(CustomerOrder.objects.get().delivery_total) == new_fee.group(1)


def test_an_undeliverable_address_shows_partner_delivery_unavailable_with_why(partner_chosen, uber, courier_worker):
    uber.configure(max_km=0.01)
    client, data = partner_chosen
    first = client.post("/checkout/options", data)
    courier_worker()
    told = client.post("/checkout/options", data | hidden(first))
    assert "The delivery partner does not deliver to this address." in text(told)
    assert re.search(r'value="partner"[^>]*disabled', told.content.decode())
