"""A Branch Manager keeps the order queue open: a new order appears without a reload, they accept it, prepare it,
mark it ready and hand it over; the Merchant's dashboard shows the day's figures. Screenshots:
artifacts/screenshots/console-orders-*.png. (Signed in by session cookie: the SMS sign-in has its own journey.)"""

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import new_buyer  # noqa: F401 (fixture)
from tenant_apps.fulfilment.models import Delivery
from tenant_apps.orders.tests.conftest import BUTTER, RICE, grocer, place  # noqa: F401 (fixtures)
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, grocer, who: str) -> None:  # noqa: F811 (the fixture's value)
    client = Client(HTTP_HOST=grocer.host)
    client.force_login(grocer.users[who])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": grocer.host, "path": "/"}]
    )


def test_branch_manager_works_the_queue(live_server, page, screenshot, grocer, place):  # noqa: F811
    cooking = place(items=[(RICE, 1), (BUTTER, 2)], fulfilment="delivery")
    ready = place(items=[(BUTTER, 1)])
    for action in ("accept", "prepare"):
        grocer.api("manager", "post", f"/api/v1/console/orders/{cooking.pk}/{action}")
    for action in ("accept", "prepare", "ready"):
        grocer.api("manager", "post", f"/api/v1/console/orders/{ready.pk}/{action}")

    _signed_in(page, grocer, "manager")
    page.goto(url(live_server, grocer.host, "/"))
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    new_column = page.locator(".queue-new")
    expect(new_column).to_contain_text("No new orders")

    fresh = place(items=[(RICE, 2)])  # a customer checks out while the page is open
    expect(new_column.get_by_text(fresh.number)).to_be_visible(timeout=10_000)  # no reload: the queue polls
    screenshot("console-orders-queue")

    new_column.get_by_text(fresh.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(fresh.number)
    screenshot("console-orders-detail")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("console-orders-detail-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accepted")
    page.get_by_role("button", name="Start preparing").click()
    page.get_by_role("button", name="Ready for pickup").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ready for pickup")
    with schema_context(grocer.merchant.schema_name):  # the code the customer reads out at the counter
        code = Delivery.objects.get(order_id=fresh.pk).pickup_code
    page.get_by_label("Customer's pickup code").fill(code)
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Picked up")
    expect(page.locator(".timeline li")).to_have_count(5)
    screenshot("console-orders-detail-done")

    page.goto(url(live_server, grocer.host, f"/orders/{cooking.pk}/"))
    page.get_by_label("Reason").fill("Our rider is off sick today")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rejected")
    expect(page.locator(".timeline")).to_contain_text("Our rider is off sick today")

    _signed_in(page, grocer, "merchant")
    page.goto(url(live_server, grocer.host, "/"))
    expect(page.get_by_text("Orders today")).to_be_visible()
    screenshot("console-orders-dashboard")
    _signed_in(page, grocer, "employee")
    page.goto(url(live_server, grocer.host, "/"))
    expect(page.locator("#order-queue")).to_contain_text(ready.number)
    screenshot("console-orders-employee-dashboard")
