"""The shopkeeper's board in a browser: a Branch Manager finds yesterday's order in the history by the customer's
phone (typed the way people say it) and prints its slip for the packing table; the owner reads the dashboard on a
375 px phone without anything spilling sideways. Screenshots: artifacts/screenshots/console-board-*.png."""

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import new_buyer  # noqa: F401 (fixture)
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.orders.tests.conftest import BUTTER, RICE, grocer, place  # noqa: F401 (fixtures)
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The elements that reach past the viewport's right edge (the innermost first), to name the culprit in a failure.
SPILLING = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().right)}`)
  .slice(0, 8)"""


def _signed_in(page, grocer, who: str) -> None:  # noqa: F811 (the fixture's value)
    client = Client(HTTP_HOST=grocer.host)
    client.force_login(grocer.users[who])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": grocer.host, "path": "/"}]
    )


def test_find_an_order_by_phone_in_the_history_and_print_its_slip(live_server, page, screenshot, grocer, place):  # noqa: F811
    wanted = place(items=[(RICE, 2), (BUTTER, 1)], fulfilment="delivery")
    other = place(items=[(BUTTER, 3)])
    with schema_context(grocer.merchant.schema_name):
        MerchantOrder.objects.filter(pk=wanted.pk).update(
            customer_phone="+923217654321", note="Ring the bell twice, please"
        )

    _signed_in(page, grocer, "manager")
    page.goto(url(live_server, grocer.host, "/orders/"))
    page.get_by_role("link", name="Order history and search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order history")
    expect(page.locator(".history-row")).to_have_count(2)

    page.get_by_label("Order number or customer phone").fill("0321 7654321")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".history-row")).to_have_count(1)
    expect(page.locator(".history-table")).to_contain_text(wanted.number)
    expect(page.locator(".history-table")).not_to_contain_text(other.number)
    screenshot("console-board-history-search")

    page.get_by_role("link", name=wanted.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(wanted.number)
    page.get_by_role("link", name="Print slip").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Order {wanted.number}")
    slip = page.locator(".slip")
    for text in ("DELIVERY", "Ayesha Khan", "Ring the bell twice, please", "Guard Basmati Rice", "Nurpur Butter"):
        expect(slip).to_contain_text(text)

    page.evaluate("window.__printed = 0; window.print = () => { window.__printed += 1; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") >= 1  # the browser's print dialog would open
    screenshot("console-board-slip")
    page.emulate_media(media="print")  # what the printer gets: the slip alone, no buttons
    expect(page.locator(".slip-tools")).to_be_hidden()
    expect(slip).to_be_visible()
    screenshot("console-board-slip-print")


def test_the_dashboard_reads_on_a_375px_phone(live_server, page, screenshot, grocer, place):  # noqa: F811
    for items in ([(RICE, 2)], [(BUTTER, 1), (RICE, 2)]):
        order = place(items=items)
        for action in ("accept", "prepare", "ready"):
            grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}")

    _signed_in(page, grocer, "shop_owner")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(url(live_server, grocer.host, "/"))
    page.get_by_role("link", name="Last 30 days").click()
    expect(page.get_by_role("link", name="Last 30 days")).to_have_attribute("aria-current", "page")
    expect(page.locator("#board-orders")).to_have_text("2")
    expect(page.locator(".top-product").first).to_contain_text("Guard Basmati Rice")
    expect(page.locator(".branch-figure")).to_contain_text("Liberty Market")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the dashboard is {overflow}px wider than the phone: {page.evaluate(SPILLING)}"
    screenshot("console-board-dashboard-375")
