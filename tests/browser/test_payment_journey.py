"""Paying online in the browser against the provider sandboxes: one customer pays with Foree Pay; another fails with
JazzCash and then succeeds on retry with Foree Pay; a third pays with JazzCash and a platform admin refunds part of it
from the admin panel, through JazzCash's refund API. The sandboxes also notify our webhooks (duplicated), which the
real Celery worker confirms with the provider; whichever comes first, the money is taken once."""

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.payments.ledger import ledger_problems
from shared_apps.payments.models import LedgerEntry, PaymentIntent, WebhookEvent
from shared_apps.payments.testing import payments_delete_all
from tests.browser.test_checkout_journey import offer_row, top
from tests.browser.test_console_payments import _admin
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def paying(live_server, payment_settings, sandbox_server, celery_worker_process, settings):
    """Providers send the customer back to the live server and notify its webhooks (each notification twice).
    Yields the sandboxes' base URL."""
    settings.PAYMENTS_PUBLIC_BASE_URL = live_server.url
    for provider, key in (("foree", "notification_url"), ("jazzcash", "ipn_url")):
        config = {key: f"{live_server.url}/api/v1/payments/webhooks/{provider}", "enabled": True, "duplicates": 1}
        httpx.post(f"{sandbox_server.base_url}/{provider}/sandbox/config", json=config, timeout=5).raise_for_status()
    yield sandbox_server.base_url
    for provider in ("foree", "jazzcash"):
        httpx.delete(f"{sandbox_server.base_url}/{provider}/sandbox/config", timeout=5)
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def shop_and_check_out(page, live_server, market, method: str) -> None:
    rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    page.goto(url(live_server, "localhost", "/location/"))
    page.get_by_label("Your area").select_option(label="Gulberg III")
    page.get_by_role("button", name="Set location").click()
    page.goto(url(live_server, "localhost", "/p/{}/{}/".format(*rice)))
    offer_row(page, "Liberty Market", "1 kg").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^1"))
    page.goto(url(live_server, "localhost", "/checkout"))
    page.get_by_label("Mobile number").fill("0300 1234567")
    page.get_by_role("radio", name=re.compile(f"^{method}")).check()
    page.get_by_role("button", name="Place order").click()


def settled(order: CustomerOrder, *, deliveries: int, timeout: float = 20.0) -> None:
    """The webhooks arrive after the customer is back: wait until the worker confirmed them, then check the books."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = list(WebhookEvent.objects.filter(attempt__intent__customer_order=order))
        if sum(e.deliveries for e in events) >= deliveries and all(e.status == "applied" for e in events):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"notifications not applied: {[(e.status, e.deliveries, e.detail) for e in events]}")
    intent = PaymentIntent.objects.get(customer_order=order)
    assert LedgerEntry.objects.filter(intent=intent, kind="capture").count() == 1
    assert ledger_problems(intent) == []


def test_a_customer_pays_with_foree_pay(live_server, page, screenshot, make_merchant, paying):
    market = build_market(make_merchant)
    page.set_viewport_size(PHONE)
    shop_and_check_out(page, live_server, market, "Foree Pay")

    expect(page).to_have_title(re.compile("Foree Pay"))  # the provider's page
    expect(page.get_by_text(re.compile(r"590\.00")).first).to_be_visible()
    screenshot("payment-foree-hosted-page-mobile")
    page.get_by_role("button", name="Pay", exact=True).click()

    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/payment$"))
    expect(page.locator("#payment-result")).to_contain_text("Payment received.")
    top(page)
    screenshot("payment-success-mobile")
    page.get_by_role("link", name="See your order").click()
    expect(page.locator("#order-status")).to_have_text("Placed")
    expect(page.locator(".order-summary")).to_contain_text("Succeeded")
    page.go_back()  # back to the result: read again, never paid again
    expect(page.locator("#payment-result")).to_contain_text("Payment received.")
    settled(CustomerOrder.objects.get(), deliveries=2)


def test_jazzcash_fails_then_foree_pay_succeeds_on_retry(live_server, page, screenshot, make_merchant, paying):
    market = build_market(make_merchant)
    page.set_viewport_size(PHONE)
    shop_and_check_out(page, live_server, market, "JazzCash")

    expect(page.get_by_role("heading", level=1)).to_contain_text("JazzCash checkout")  # the form submitted itself
    screenshot("payment-jazzcash-hosted-page-mobile")
    page.get_by_role("button", name="Fail", exact=True).click()

    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/payment$"))
    expect(page.locator("#payment-result")).to_contain_text("Your payment did not go through.")
    expect(page.get_by_role("button", name=re.compile(r"^Pay Rs 590"))).to_be_visible()
    top(page)
    screenshot("payment-failed-retry-mobile")
    page.get_by_role("radio", name=re.compile("^Foree Pay")).check()
    page.get_by_role("button", name=re.compile(r"^Pay Rs 590")).click()

    expect(page).to_have_title(re.compile("Foree Pay"))
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("#payment-result")).to_contain_text("Payment received.")
    expect(page.locator("#payment-result")).to_contain_text("paid with Foree Pay")
    top(page)
    screenshot("payment-retry-success-mobile")
    order = CustomerOrder.objects.get()
    assert [a.status for a in order.payment.attempts.order_by("id")] == ["failed", "succeeded"]
    assert order.status == "placed"
    settled(order, deliveries=4)


def test_a_jazzcash_payment_refunded_by_an_admin(live_server, page, screenshot, make_merchant, paying, platform_admin):
    market = build_market(make_merchant)
    page.set_viewport_size(PHONE)
    shop_and_check_out(page, live_server, market, "JazzCash")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator("#payment-result")).to_contain_text("paid with JazzCash")
    order = CustomerOrder.objects.get()
    customer = page.context.cookies()

    page.set_viewport_size({"width": 1280, "height": 900})
    _admin(page, platform_admin)
    page.goto(url(live_server, "localhost", "/admin/payments/paymentintent/"))
    page.get_by_role("textbox").first.fill(order.contact_phone[-7:])  # found by the customer's phone
    page.keyboard.press("Enter")
    page.get_by_role("link", name=order.number).first.click()
    page.locator('a[href$="/refund/"]').click()
    page.get_by_label("Amount").fill("90.00")
    page.get_by_label("Reason").fill("One bag was torn")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("Refunded Rs 90").first).to_be_visible()
    screenshot("payment-admin-refund-jazzcash")
    transactions = httpx.get(f"{paying}/jazzcash/sandbox/transactions", timeout=5).json()
    assert transactions["transactions"][0]["refunded"] == 9000  # paisa, at the provider

    page.context.clear_cookies()
    page.context.add_cookies(customer)
    page.set_viewport_size(PHONE)
    page.goto(url(live_server, "localhost", f"/orders/{order.number}/payment"))
    expect(page.locator("#payment-result")).to_contain_text("Rs 90 has been refunded.")
    top(page)
    screenshot("payment-partly-refunded-mobile")
    settled(order, deliveries=2)
