"""/account/settings/: the customer turns recording off and on and clears the history, and the page says so; a
visitor without an account gets the same switch for their session's guest."""

from __future__ import annotations

import pytest
from django.test import Client

from marketplace.cart.shoppers import Shopper
from shared_apps.accounts.testing import customer_make
from shared_apps.accounts.views import SESSION_GUEST_KEY
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.selectors import shopper_history, shopper_recording
from shared_apps.behaviour.services import behaviour_drain

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_the_settings_page_shows_the_switch_on_and_what_is_remembered(market):
    ayesha = customer_make()
    product_view_record(shopper=Shopper(user_id=ayesha.pk).key, merchant_id=1, product_id=2)
    behaviour_drain()
    page = _signed_in(ayesha).get("/account/settings/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'role="switch" name="recording" value="on" checked' in body
    assert "We remember 1 thing you did." in body and "Clear my history" in body


def test_turning_recording_off_and_clearing_say_so_and_act_on_the_account(market):
    ayesha = customer_make()
    key = Shopper(user_id=ayesha.pk).key
    product_view_record(shopper=key, merchant_id=1, product_id=2)
    behaviour_drain()
    client = _signed_in(ayesha)
    off = client.post("/account/settings/recording/", {}, follow=True)
    assert "Recording is off: nothing you do is recorded from now on." in off.content.decode()
    assert shopper_recording(shopper=key) is False
    assert 'value="on" checked' not in off.content.decode()
    cleared = client.post("/account/settings/history/clear/", follow=True)
    assert "Your history is cleared" in cleared.content.decode() and "We remember 0 things" in cleared.content.decode()
    assert not shopper_history(shopper=key).exists()
    on = client.post("/account/settings/recording/", {"recording": "on"}, follow=True)
    assert "Recording is on" in on.content.decode() and shopper_recording(shopper=key) is True


def test_a_visitor_opts_out_as_the_sessions_guest(market):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/account/settings/").status_code == 200
    client.post("/account/settings/recording/", {})
    guest_key = Shopper(guest_id=client.session[SESSION_GUEST_KEY]).key
    assert shopper_recording(shopper=guest_key) is False
    assert "You are not signed in" in client.get("/account/settings/").content.decode()


def test_the_settings_forms_refuse_a_get(market):
    client = _signed_in(customer_make())
    assert client.get("/account/settings/recording/").status_code == 405
    assert client.get("/account/settings/history/clear/").status_code == 405
