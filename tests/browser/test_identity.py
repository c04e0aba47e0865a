"""Identity journeys: a customer signs in with a code read from the SMS sandbox; a Branch Manager sees only its
branch and cannot open another branch's URL."""

import re

import pytest
from playwright.sync_api import expect

from tests.access_world import build_world
from tests.browser.test_shells import sign_in, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_signs_in_with_the_code_from_the_sms_sandbox(
    live_server, page, screenshot, sms_code, sandbox_server, db
):
    phone = "+923214440001"
    page.goto(url(live_server, "localhost", "/signin/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot("customer-signin-phone")
    page.get_by_label("Phone number").fill("0321 4440001")
    sms_code.mark(phone)
    page.get_by_role("button", name="Text me a code").click()
    code = sms_code(phone)
    inbox = page.context.new_page()
    inbox.goto(f"{sandbox_server.base_url}/sms")
    expect(inbox.get_by_text(code).first).to_be_visible()
    screenshot("sms-sandbox-inbox", inbox)
    inbox.close()
    page.get_by_label("6-digit code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    screenshot("customer-signin-wrong-code")
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(phone)
    screenshot("customer-signed-in")


def test_branch_manager_sees_only_its_branch(live_server, page, screenshot, make_merchant, sms_code):
    world = build_world(make_merchant)
    page.goto(url(live_server, "matrix-t.localhost"))
    sign_in(page, "+923009000012", sms_code, screenshot, "branch-manager")
    expect(page.get_by_role("heading", level=1)).to_have_text("B1a")
    expect(page.get_by_role("navigation", name="Console")).to_contain_text("Branch manager")
    expect(page.get_by_role("link", name="Audit log")).to_have_count(1)  # its own branch's entries
    screenshot("branch-manager-dashboard")

    own = page.goto(url(live_server, "matrix-t.localhost", f"/branches/{world.ids['B1a']}/"))
    assert own.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("B1a")
    screenshot("branch-manager-own-branch")

    other = page.goto(url(live_server, "matrix-t.localhost", f"/branches/{world.ids['B1b']}/"))
    assert other.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that")
    screenshot("branch-manager-other-branch-404")

    other_tenant = page.goto(url(live_server, "matrix-u.localhost", "/"))
    expect(page).to_have_url(re.compile(r"matrix-u\.localhost.*/signin/"))
    assert other_tenant.status == 200


def test_merchant_invites_and_staff_page(live_server, page, screenshot, make_merchant, sms_code):
    build_world(make_merchant)
    page.goto(url(live_server, "matrix-t.localhost"))
    sign_in(page, "+923009000001", sms_code)
    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Phone", exact=True).fill("0300 7001234")
    page.get_by_label("Role", exact=True).select_option("employee")
    page.get_by_label("Branch", exact=True).select_option(label="T Store 1 — B1b")
    page.get_by_label("Update stock").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("+923007001234")).to_be_visible()
    screenshot("merchant-staff-page")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_text("invited +923007001234").first).to_be_visible()  # the log reads as a sentence
    screenshot("merchant-audit-log")
