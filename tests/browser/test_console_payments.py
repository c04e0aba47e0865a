"""Money in the browser: a Branch Manager refunds part of a paid cash order from the order page, the Merchant reads
the payments page (totals, settlements by day, paid orders), and a platform admin opens the transaction in the admin
panel and refunds from it. Screenshots: artifacts/screenshots/console-payments*.png, admin-transaction*.png.
(Signed in by session cookie: the SMS sign-in has its own journey.)"""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from playwright.sync_api import expect

from marketplace.checkout.tests.conftest import new_buyer  # noqa: F401 (fixture)
from shared_apps.payments.models import PaymentIntent
from tenant_apps.orders.tests.conftest import BUTTER, RICE, grocer, place  # noqa: F401 (fixtures)
from tests.access_world import paid_cash_order_add
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cookie(page, client: Client, host: str) -> None:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": host, "path": "/"}]
    )


def _console(page, grocer, who: str) -> None:  # noqa: F811
    client = Client(HTTP_HOST=grocer.host)
    client.force_login(grocer.users[who])
    _cookie(page, client, grocer.host)


def _admin(page, admin) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = admin.totpdevice_set.get().persistent_id
    session.save()
    _cookie(page, client, "localhost")


def test_refund_from_the_console_and_the_admin(live_server, page, screenshot, grocer, place, platform_admin):  # noqa: F811
    order = place(items=[(RICE, 2), (BUTTER, 1)])  # Rs 1,820, cash at pickup
    for action in ("accept", "prepare", "ready"):
        assert grocer.api("manager", "post", f"/api/v1/console/orders/{order.pk}/{action}").status_code == 200
    assert grocer.hand_over(order.pk).status_code == 200  # a pickup: with the customer's code
    earlier = place(items=[(BUTTER, 2)])
    for action in ("accept", "prepare", "ready"):
        grocer.api("manager", "post", f"/api/v1/console/orders/{earlier.pk}/{action}")
    grocer.hand_over(earlier.pk)
    paid_cash_order_add(grocer.merchant, {"DHA": grocer.dha.pk}, "DHA", "G", Decimal("450.00"))

    _console(page, grocer, "manager")
    page.goto(url(live_server, grocer.host, f"/orders/{order.pk}/"))
    refund = page.get_by_role("region", name="Refund")
    expect(refund).to_contain_text("Up to Rs 1,820")
    refund.get_by_label("Amount (PKR)").fill("5000")
    refund.get_by_label("Reason").fill("Customer asked")
    refund.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status")).to_contain_text("At most Rs 1,820 can be refunded.")
    refund = page.get_by_role("region", name="Refund")
    refund.get_by_label("Amount (PKR)").fill("640.00")
    refund.get_by_label("Reason").fill("Butter was past its date")
    refund.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status")).to_contain_text("Refunded Rs 640")
    expect(page.get_by_role("region", name="Refund")).to_contain_text("Up to Rs 1,180")
    screenshot("console-order-refund")

    _console(page, grocer, "merchant")
    page.goto(url(live_server, grocer.host, "/"))
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")
    totals = page.get_by_role("list", name="Totals")
    expect(totals).to_contain_text("Rs 3,550")  # 1,820 + 1,280 + 450 paid
    expect(totals).to_contain_text("Rs 640")  # refunded
    expect(page.get_by_role("region", name="Paid orders")).to_contain_text(order.number)
    screenshot("console-payments")

    _admin(page, platform_admin)
    page.goto(url(live_server, "localhost", "/admin/payments/paymentintent/"))
    page.get_by_role("textbox").first.fill(order.customer_order_number)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=order.customer_order_number).first.click()
    expect(page.get_by_text("capture:cod:P").first).to_be_visible()
    screenshot("admin-transaction")
    page.locator('a[href$="/refund/"]').click()  # the Refund button ("undo" icon + text)
    page.get_by_label("Amount").fill("180.00")
    page.get_by_label("Reason").fill("Goodwill")
    screenshot("admin-transaction-refund")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("Refunded Rs 180").first).to_be_visible()
    intent = PaymentIntent.objects.get(customer_order__number=order.customer_order_number)
    assert intent.refunded_amount == Decimal("820.00")
