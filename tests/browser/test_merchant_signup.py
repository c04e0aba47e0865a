"""A shopkeeper signs up from the marketplace's "Sell on Planckly" to its console's checklist, with the code read
from the SMS sandbox; screenshots of every step at desktop and 375 px phone width in the test's tmp dir."""

import time

import pytest
from playwright.sync_api import expect

from shared_apps.categories.models import Category
from tenants.models import Merchant, MerchantStatus
from tests.browser.onboarding_steps import Shots, sell_code, sell_open_from_home, sell_phone, sign_up_to_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def root_categories(db):
    Category.objects.create(slug="grocery", name="Grocery", position=1)
    Category.objects.create(slug="pharmacy", name="Pharmacy", position=2)


def test_a_shopkeeper_signs_up_to_the_console_checklist(
    live_server, page, sms_code, sandbox_server, root_categories, tmp_path
):
    shots = Shots(tmp_path / "signup")
    started = time.monotonic()
    sign_up_to_console(
        page,
        live_server,
        sms_code,
        phone="0345 7001122",
        name="Model Town Kiryana",
        category="Grocery",
        area="Model Town",
        owner="Bilal Khan",
        shots=shots,
    )
    elapsed = time.monotonic() - started
    merchant = Merchant.objects.get(slug="model-town-kiryana")
    assert merchant.status == MerchantStatus.PENDING and merchant.owner.name == "Bilal Khan"
    expect(page.get_by_role("navigation", name="Console")).to_contain_text("Merchant")
    assert _welcome_reached("+923457001122", sandbox_server), "no welcome SMS with the console's address"
    assert len(shots.taken) == 10 and all(path.stat().st_size > 0 for path in shots.taken)
    assert elapsed < 120, f"sign-up took {elapsed:.0f} s of scripted steps"


def test_a_wrong_code_and_bad_shop_details_lose_nothing_typed(live_server, page, sms_code, root_categories, tmp_path):
    shots = Shots(tmp_path / "errors")
    sell_open_from_home(page, live_server)
    sell_phone(page, "0345 7003344", sms_code)
    page.get_by_label("6-digit code").fill("12")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("6 digits")
    shots(page, "code-error")
    sell_code(page, "0345 7003344", sms_code)
    page.get_by_label("Shop name").fill("X")
    page.get_by_label("Area").fill("Near the canal bridge")
    page.get_by_role("button", name="Create my shop").click()
    expect(page.get_by_text("Give your shop a name of 2-120 characters.")).to_be_visible()
    expect(page.get_by_text("Choose what your shop sells.")).to_be_visible()
    expect(page.get_by_label("Area")).to_have_value("Near the canal bridge")
    shots(page, "shop-errors")


def _welcome_reached(phone: str, sandbox_server, timeout: float = 20.0) -> bool:
    """The worker delivers the welcome SMS after the sign-up's commit: wait for it as a person would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bodies = [m["body"] for m in sandbox_server.messages(to=phone)]
        if any("Welcome to Planckly, Bilal Khan" in b and "model-town-kiryana.localhost" in b for b in bodies):
            return True
        time.sleep(0.2)
    return False
