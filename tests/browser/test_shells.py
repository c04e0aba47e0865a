"""A person opens the marketplace, an unknown host, and a merchant's console (sign-in by SMS code, dashboard)."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url(live_server, host: str, path: str = "/") -> str:
    port = urlsplit(live_server.url).port
    return f"http://{host}:{port}{path}"


def sign_in(page, phone: str, sms_code, screenshot=None, name: str = "") -> None:
    """The whole OTP journey a person takes: phone, read the SMS, code."""
    page.get_by_label("Phone number").fill(phone)
    sms_code.mark(phone)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_text("We sent a code to")).to_be_visible()
    if screenshot:
        screenshot(f"{name}-code-step")
    page.get_by_label("6-digit code").fill(sms_code(phone))
    page.get_by_role("button", name="Sign in").click()


def test_marketplace_home(live_server, page, screenshot, make_merchant):
    make_merchant(slug="gulberg-greens", name="Gulberg Greens", area="Gulberg")
    page.goto(url(live_server, "localhost"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shops around you")
    expect(page.get_by_text("Gulberg Greens")).to_be_visible()
    screenshot("marketplace-home")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("marketplace-home-mobile")


def test_unknown_host_is_friendly(live_server, page, screenshot):
    response = page.goto(url(live_server, "no-such-shop.localhost"))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("There is no shop at this address")
    screenshot("unknown-host")


def test_merchant_console_sign_in_and_dashboard(live_server, page, screenshot, make_merchant, sms_code):
    make_merchant(slug="dha-bakers", name="DHA Bakers", owner_phone="+923004445556")
    page.goto(url(live_server, "dha-bakers.localhost"))
    expect(page).to_have_url(re.compile(r"/signin/"))
    expect(page.get_by_text("Staff of DHA Bakers sign in here")).to_be_visible()
    screenshot("console-signin")
    sign_in(page, "0300 4445556", sms_code)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_contain_text("Merchant")
    screenshot("console-dashboard")
