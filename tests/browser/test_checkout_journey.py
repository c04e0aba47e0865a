"""A guest shops from two stores in one checkout: adds rice from Gulberg Grocer and a cake from Crust & Crumb, changes
a quantity in the cart, checks out (a wrong phone first, then right; delivery from one shop, pickup from the other;
cash on delivery), and lands on one order with two parts. A Branch Manager of the grocer signs in to the console and
accepts their part; the customer's open order page shows "Accepted" without a reload, and the customer gets texts."""

import re
import time

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from marketplace.discovery.tests.market import build_market
from marketplace.orders.models import CustomerOrder
from shared_apps.accounts.services import user_get_or_create_by_phone
from shared_apps.payments.testing import payments_delete_all
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.staff.models import Membership, Role
from tests.browser.test_shells import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MANAGER = "+923007770001"
CUSTOMER = "+923001234567"


@pytest.fixture
def orders_cleared():
    """Orders and their parts hold their merchants (PROTECT): clear them before the schemas and merchants go."""
    yield
    payments_delete_all()
    CustomerOrder.objects.all().delete()


def offer_row(page, branch: str, variant: str):
    """The line of one size in one branch's offer card on a product page."""
    card = page.locator(".offer-card").filter(has=page.get_by_role("heading", name=branch))
    return card.locator(".offer-items > li").filter(has_text=variant)


def top(page):
    """Back to the top before a full-page screenshot: the sticky header would be drawn where the page was scrolled."""
    page.evaluate("window.scrollTo(0, 0)")
    return page


def texts_to(sandbox, phone: str, *, containing: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bodies = [m["body"] for m in sandbox.messages(to=phone)]
        if any(containing in body for body in bodies):
            return bodies
        time.sleep(0.2)
    raise AssertionError(f"no text containing {containing!r} reached {phone}: {bodies}")


def test_guest_checks_out_two_shops_and_a_branch_manager_accepts(
    live_server,
    browser,
    page,
    screenshot,
    make_merchant,
    sms_code,
    sandbox_server,
    celery_worker_process,
    orders_cleared,
):
    market = build_market(make_merchant)
    grocer = market.shops["gulberg-grocer"]
    with schema_context(grocer.merchant.schema_name):
        Membership.objects.create(
            user=user_get_or_create_by_phone(phone=MANAGER), role=Role.BRANCH_MANAGER, branch=grocer.branches[0]
        )
    rice = market.product("gulberg-grocer", "Guard Basmati Rice")
    cake = market.product("crust-and-crumb", "Chocolate Fudge Cake")
    page.set_viewport_size(PHONE)

    # Where the customer is: next to both shops, so they can deliver
    page.goto(url(live_server, "localhost", "/location/"))
    page.get_by_label("Your area").select_option(label="Gulberg III")
    page.get_by_role("button", name="Set location").click()
    expect(page.get_by_role("link", name=re.compile(r"^Cart"))).to_contain_text("0")

    # Two sizes of rice from the grocer's Liberty Market branch, in place (htmx): the badge follows
    page.goto(url(live_server, "localhost", "/p/{}/{}/".format(*rice)))
    one_kg = offer_row(page, "Liberty Market", "1 kg")
    one_kg.get_by_label(re.compile("^Quantity of 1 kg")).fill("2")
    one_kg.get_by_role("button", name="Add to cart").click()
    expect(one_kg.get_by_role("status")).to_contain_text("Added to cart")
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^2"))
    offer_row(page, "Liberty Market", "5 kg").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^3"))
    top(page)
    screenshot("checkout-product-added-mobile")

    # A cake from the bakery
    page.goto(url(live_server, "localhost", "/p/{}/{}/".format(*cake)))
    offer_row(page, "MM Alam Road", "1 lb").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^4"))

    # The cart: one group per shop, quantities change in place
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    expect(page.locator(".cart-group")).to_have_count(2)
    expect(page.locator(".cart-group").first).to_contain_text("Gulberg Grocer")
    page.get_by_role("button", name="One more Chocolate Fudge Cake").click()
    expect(page.locator(".cart-group").nth(1)).to_contain_text("Subtotal Rs 3,600")
    page.get_by_role("button", name="One less Chocolate Fudge Cake").click()
    expect(page.locator(".cart-group").nth(1)).to_contain_text("Subtotal Rs 1,800")
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^4"))
    expect(page.locator(".cart-summary")).to_contain_text("Items total Rs 5,480")  # 2 x 590 + 2,500 + 1,800
    top(page)
    screenshot("checkout-cart-mobile")
    page.set_viewport_size(DESKTOP)
    top(page)
    screenshot("checkout-cart")

    # Checkout: delivery from the grocer, pickup at the bakery, a wrong number first
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    expect(page.get_by_label("House and street")).to_be_hidden()  # pickup everywhere, to start with
    expect(page.get_by_role("radio", name=re.compile("^Foree Pay"))).to_be_enabled()
    expect(page.get_by_role("radio", name=re.compile("^JazzCash"))).to_be_enabled()
    expect(page.get_by_role("radio", name=re.compile("^Cash on delivery"))).to_be_checked()
    page.get_by_label("Your name").fill("Sana Tariq")
    page.get_by_label("Mobile number").fill("12345")
    grocer_choice = page.get_by_role("group", name=re.compile("^Gulberg Grocer"))
    grocer_choice.get_by_role("radio", name=re.compile("^Delivery by the shop")).check()
    expect(page.get_by_label("House and street")).to_be_visible()
    expect(page.locator(".checkout-summary")).to_contain_text(re.compile(r"Total\s*Rs 5,580"))  # + Rs 100 delivery
    page.get_by_label("House and street").fill("House 12, Street 4, Gulberg III")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#contact-phone-error")).to_contain_text("Enter a mobile number")
    expect(page.get_by_label("Mobile number")).to_have_attribute("aria-invalid", "true")
    top(page)
    screenshot("checkout-form-error")
    page.get_by_label("Mobile number").fill("0300 1234567")
    page.set_viewport_size(PHONE)
    top(page)
    screenshot("checkout-form-mobile")
    page.get_by_role("button", name="Place order").click()

    # One order, two parts
    expect(page).to_have_url(re.compile(r"/orders/PK[0-9A-Z]{8}/\?placed=1$"))
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    parts = page.locator(".order-part")
    expect(parts).to_have_count(2)
    expect(parts.nth(0)).to_contain_text("Gulberg Grocer")
    expect(parts.nth(0).locator(".status")).to_have_text("Placed")
    expect(parts.nth(0)).to_contain_text("Delivery by the shop")
    expect(parts.nth(1)).to_contain_text("Crust & Crumb")
    expect(parts.nth(1)).to_contain_text("Pickup from the shop")
    expect(page.locator(".order-summary")).to_contain_text(re.compile(r"Total\s*Rs 5,580"))
    expect(page.locator("#cart-link .cart-count")).to_have_text(re.compile(r"^0"))
    top(page)
    screenshot("checkout-order-placed-mobile")
    order = CustomerOrder.objects.get()
    assert order.parts.count() == 2 and order.status == "placed" and order.contact_phone == CUSTOMER
    with schema_context(grocer.merchant.schema_name):
        assert MerchantOrder.objects.get().address == "House 12, Street 4, Gulberg III"
    grocer_part = order.parts.get(merchant_slug="gulberg-grocer")

    # The Branch Manager accepts the grocer's part in the console
    console = browser.new_context(viewport=DESKTOP)
    staff = console.new_page()
    try:
        staff.goto(url(live_server, "gulberg-grocer.localhost", "/orders/"))
        sign_in(staff, MANAGER, sms_code)
        staff.goto(url(live_server, "gulberg-grocer.localhost", "/orders/"))
        staff.get_by_role("link", name=re.compile(grocer_part.number)).click()
        staff.get_by_role("button", name="Accept").click()
        expect(staff.get_by_role("heading", level=1)).to_contain_text("Accepted")
        screenshot("checkout-console-accepted", target=top(staff))
    finally:
        console.close()

    # The customer's page, still open, follows without a reload
    page.evaluate("window.__sameDocument = true")
    expect(parts.nth(0).locator(".status")).to_have_text("Accepted", timeout=15_000)
    expect(page.locator("#order-status")).to_have_text("In progress")
    expect(parts.nth(0).locator(".timeline")).to_contain_text("Accepted")
    expect(parts.nth(1).locator(".status")).to_have_text("Placed")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)  # a shop accepted: too late
    assert page.evaluate("window.__sameDocument") is True
    top(page)
    screenshot("checkout-order-accepted-mobile")

    # My orders, and the texts the customer got
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator(".order-row")).to_have_count(1)
    expect(page.locator(".order-row")).to_contain_text("In progress")
    top(page)
    screenshot("checkout-my-orders-mobile")
    texts = texts_to(sandbox_server, CUSTOMER, containing="accepted")
    assert any("is placed" in body for body in texts)
