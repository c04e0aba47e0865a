"""A signed-in customer opens their account settings, turns the recording of their activity off, clears their
history, and the page says so each time; the same page on a 375 px phone. Screenshots: artifacts/screenshots/
history-settings-*.png."""

import pytest
from playwright.sync_api import expect

from kernel.cache import redis_client
from marketplace.cart.shoppers import Shopper
from shared_apps.accounts.testing import customer_make
from shared_apps.behaviour.models import BehaviourEvent
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.recorder import events_key, opted_out_key
from shared_apps.behaviour.selectors import shopper_recording
from shared_apps.behaviour.services import behaviour_drain
from tests.browser.test_checkout_address import DESKTOP, PHONE, signed_in
from tests.browser.test_shells import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_turns_recording_off_and_clears_their_history(live_server, page, screenshot):
    redis_client().delete(events_key(), opted_out_key())
    ayesha = customer_make(name="Ayesha Khan")
    key = Shopper(user_id=ayesha.pk).key
    for product_id in (1, 2, 3):
        product_view_record(shopper=key, merchant_id=1, product_id=product_id)
    behaviour_drain()
    signed_in(page, live_server, ayesha)
    page.set_viewport_size(DESKTOP)

    page.goto(url(live_server, "localhost", "/account/addresses/"))
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Ayesha Khan").click()  # one's settings
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    switch = page.get_by_role("switch", name="Record my activity")
    expect(switch).to_be_checked()
    expect(page.get_by_text("We remember 3 things you did.")).to_be_visible()
    screenshot("history-settings")

    page.get_by_text("Record my activity").click()  # the switch saves as it changes
    flash = page.locator(".flashes")
    expect(flash).to_contain_text("Recording is off: nothing you do is recorded from now on.")
    expect(page.get_by_role("switch", name="Record my activity")).not_to_be_checked()
    assert shopper_recording(shopper=key) is False
    screenshot("history-settings-recording-off")

    page.get_by_text("Clear my history…").click()
    expect(page.get_by_text("This deletes every product view")).to_be_visible()
    page.get_by_role("button", name="Clear my history").click()
    expect(flash).to_contain_text("Your history is cleared")
    expect(page.get_by_text("We remember 0 things you did.")).to_be_visible()
    expect(page.get_by_text("Recording is off: nothing you do is recorded.")).to_be_visible()
    assert not BehaviourEvent.objects.filter(shopper=key).exists()
    screenshot("history-settings-cleared")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.get_by_role("switch", name="Record my activity")).not_to_be_checked()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{overflow}px wider than a 375 px phone"
    screenshot("history-settings-mobile")
