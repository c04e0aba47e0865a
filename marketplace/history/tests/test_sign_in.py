"""Signing in brings the guest's history into the account, as it brings the cart: through the API (OTP verify with
the guest's token) and through the sign-in page (the guest kept in the session) — what was stored, and what was
still queued."""

from __future__ import annotations

import pytest
from django.test import Client

from marketplace.cart.shoppers import Shopper
from marketplace.history.tests.conftest import drained
from shared_apps.accounts.models import Guest, PhoneOTPDevice, User
from shared_apps.accounts.services import guest_create, otp_request
from shared_apps.accounts.views import SESSION_GUEST_KEY
from shared_apps.behaviour.models import EventKind
from shared_apps.behaviour.products import product_view_record
from shared_apps.behaviour.selectors import shopper_history

pytestmark = pytest.mark.django_db

PHONE = "+923004445577"


def _code() -> str:
    code = otp_request(phone=PHONE).code
    PhoneOTPDevice.objects.filter(user__phone=PHONE).update(last_generated_timestamp=None)
    return code


def test_api_sign_in_with_the_guest_token_brings_its_history_stored_and_queued(market, new_buyer, rice, cake):
    buyer = new_buyer()
    guest = Guest.objects.get()
    guest_key = Shopper(guest_id=guest.pk).key
    product_view_record(shopper=guest_key, merchant_id=rice.merchant_id, product_id=rice.product_id)
    assert len(drained()) == 1
    buyer.call("get", "/api/v1/search?lat=31.51&lng=74.344&q=cake")  # still queued when the guest signs in
    session = buyer.client.post(
        "/api/v1/auth/otp/verify",
        {"phone": PHONE, "code": _code()},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {buyer.token}",
    ).json()
    assert session["claimed_guest"] is True
    drained()
    user_key = Shopper(user_id=session["user"]["id"]).key
    mine = list(shopper_history(shopper=user_key))
    assert {e.kind for e in mine} == {EventKind.VIEW, EventKind.IMPRESSION} and len(mine) >= 2
    assert not shopper_history(shopper=guest_key).exists()
    history = buyer.client.get("/api/v1/me/history", HTTP_AUTHORIZATION=f"Bearer {session['access']}").json()
    assert history["count"] == len(mine)


def test_page_sign_in_brings_the_sessions_guest_history(market, rice):
    guest = guest_create()
    client = Client(HTTP_HOST="localhost")
    session = client.session
    session[SESSION_GUEST_KEY] = str(guest.pk)
    session.save()
    client.get(f"/p/gulberg-grocer/{rice.product_id}/")  # the session's guest views the rice
    assert [e.shopper for e in drained()] == [Shopper(guest_id=guest.pk).key]
    assert client.post("/signin/verify/", {"phone": PHONE, "code": _code()}).status_code == 302
    user = User.objects.get(phone=PHONE)
    assert [e.product_id for e in shopper_history(shopper=Shopper(user_id=user.pk).key)] == [rice.product_id]
