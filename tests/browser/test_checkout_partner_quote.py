"""A signed-in customer picks partner delivery for the grocer: the page says it is getting the courier's price,
the quote comes from the Uber Direct sandbox (the quote worker run by the test), the fee and until when it holds
are shown and counted in the total, and the order is placed at exactly that fee. Screenshots on a desktop and a
375 px phone."""

import re

import pytest
from playwright.sync_api import expect

from kernel.money import money
from marketplace.checkout.tests.conftest import listing
from marketplace.checkout.tests.quoting import courier_worker, partner_offered, uber  # noqa: F401 (fixtures)
from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.testing import address_make, customer_make
from tests.browser.test_checkout_address import DESKTOP, PHONE, orders_cleared, signed_in, top  # noqa: F401
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_delivery_shows_the_couriers_price_and_charges_it(
    live_server,
    page,
    screenshot,
    make_merchant,
    orders_cleared,  # noqa: F811
    uber,  # noqa: F811
    courier_worker,  # noqa: F811
):
    build_market(make_merchant)
    rice = listing("gulberg-grocer", "Guard Basmati Rice", "1 kg", branch="Liberty Market")
    partner_offered(rice)
    ayesha = customer_make(name="Ayesha Khan")
    address_make(ayesha, notes="Green gate", make_default=True)
    client = signed_in(page, live_server, ayesha)
    client.post("/cart/add", {"listing_id": rice.pk, "quantity": 2})

    page.set_viewport_size(DESKTOP)
    page.goto(url(live_server, "localhost", "/checkout"))
    grocer = page.get_by_role("group", name=re.compile("^Gulberg Grocer"))
    with page.expect_response(lambda r: r.url.endswith("/checkout/options")) as refreshed:  # the choice re-asks
        grocer.get_by_role("radio", name=re.compile("^Partner courier")).check()
    assert refreshed.value.ok, refreshed.value.status
    expect(grocer.locator(".quote-wait")).to_contain_text("Getting the courier's price…")
    expect(page.get_by_role("button", name="Place order")).to_be_disabled()
    assert courier_worker() == 1  # the worker asks the courier sandbox
    note = grocer.locator(".quote-note")
    expect(note).to_contain_text(re.compile(r"The courier's price, held until \d\d:\d\d"), timeout=10_000)
    fee_label = grocer.locator("label.choice", has_text="Partner courier").locator(".choice-fee").inner_text()
    assert re.fullmatch(r"Rs [\d,]+", fee_label)
    expect(page.locator(".totals")).to_contain_text(fee_label)
    expect(page.get_by_role("button", name="Place order")).to_be_enabled()
    page.get_by_label("Mobile number").fill("0300 1234567")
    grocer.scroll_into_view_if_needed()
    screenshot("checkout-partner-quote")
    page.set_viewport_size(PHONE)
    grocer.scroll_into_view_if_needed()
    screenshot("checkout-partner-quote-mobile")
    page.get_by_role("button", name="Place order").click()

    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    top(page)
    screenshot("checkout-partner-order-mobile")
    order = CustomerOrder.objects.get()
    part = order.parts.get()
    assert money(order.delivery_total) == fee_label and money(part.courier_fee) == fee_label
    assert part.fulfilment == "partner" and part.courier_quote_id.startswith("dqt_")
