"""A platform admin signs in by SMS code, passes the TOTP step, lands on the admin dashboard, and reads the
recommendation shelves' click-through."""

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from shared_apps.behaviour.models import ShelfDaily
from tests.browser.test_shells import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_needs_sms_code_then_authenticator(
    live_server, page, screenshot, platform_admin, make_merchant, sms_code
):
    make_merchant(slug="admin-view-shop", name="Admin View Shop", area="Model Town")
    page.goto(url(live_server, "localhost", "/admin/"))
    sign_in(page, platform_admin.phone, sms_code)
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    screenshot("admin-two-factor")
    device = TOTPDevice.objects.get(user=platform_admin)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Authenticator code").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Active merchants")).to_be_visible()
    expect(page.get_by_role("link", name="Admin View Shop")).to_be_visible()
    screenshot("admin-dashboard")
    page.get_by_role("link", name="Merchants").first.click()
    expect(page.get_by_text("admin-view-shop")).to_be_visible()
    screenshot("admin-merchants")
    # the recommendations' click-through per shelf and model (the drain's daily counts)
    ShelfDaily.objects.create(day=timezone.localdate(), surface="home", model="rp3beta#7", impressions=400, clicks=12)
    page.get_by_role("link", name="Recommendations").first.click()
    table = page.get_by_role("table", name="Last 7 days")
    expect(table).to_contain_text("Home: for you near you")
    expect(table).to_contain_text("rp3beta#7")
    expect(table).to_contain_text("3.00%")
    screenshot("admin-recommendations")
