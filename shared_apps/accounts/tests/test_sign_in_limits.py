"""Sign-in limits that survive carrier-grade NAT: per phone, per number block, per device, a global budget — and no
per-IP ceiling, because thousands of honest customers reach us from one carrier address. Guest tokens are limited
the same way. With Redis down the limits fail safe (503), never open."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from kernel.outages import OUTAGE_RETRY_AFTER_S
from shared_apps.accounts.devices import DEVICE_COOKIE, device_of
from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import Guest
from shared_apps.accounts.services import guest_start, otp_request, otp_verify

CARRIER_NAT = "203.0.113.7"  # one address for a whole mobile network


def _refused(call, **kwargs) -> AccountsError:
    with pytest.raises(AccountsError) as caught:
        call(**kwargs)
    return caught.value


def _api(client: Client, path: str, body: dict | None = None):
    return client.post(path, body or {}, content_type="application/json", REMOTE_ADDR=CARRIER_NAT)


def test_one_carrier_address_serves_hundreds_of_honest_customers(db):
    for i in range(120):  # each on their own phone (own number block) and own browser, all behind one address
        client = Client(HTTP_HOST="localhost")
        response = _api(client, "/api/v1/auth/otp/request", {"phone": f"+92300{i:03d}1234"})
        assert response.status_code == 202, (i, response.content)


def test_per_number_block_limit_stops_sms_pumping_of_a_range(db, settings):
    settings.OTP_REQUEST_LIMIT_PER_PREFIX = (3, 3600)
    for i in range(3):
        otp_request(phone=f"+92300111{i:04d}", device=f"pump-{i}")
    refused = _refused(otp_request, phone="+923001119999", device="pump-9")  # a fresh device does not help
    assert refused.code == AccountsErrorCode.RATE_LIMITED and refused.retry_after > 0
    otp_request(phone="+923001120000", device="pump-9")  # the next block of 10,000 is another budget


def test_per_device_limit_across_phones(db, settings):
    settings.OTP_REQUEST_LIMIT_PER_DEVICE = (3, 3600)
    for i in range(3):
        otp_request(phone=f"+9230{i}1110000", device="one-browser")
    assert _refused(otp_request, phone="+923091110000", device="one-browser").code == AccountsErrorCode.RATE_LIMITED
    otp_request(phone="+923091110000", device="another-browser")


def test_clients_without_a_device_share_one_bucket(db, settings):
    settings.OTP_REQUEST_LIMIT_DEVICELESS = (2, 3600)
    otp_request(phone="+923011110000")
    otp_request(phone="+923021110000")
    assert _refused(otp_request, phone="+923031110000").code == AccountsErrorCode.RATE_LIMITED
    otp_request(phone="+923031110000", device="has-a-cookie")  # a browser that kept its cookie is not punished


def test_global_budget_caps_every_code_sent(db, settings):
    settings.OTP_REQUEST_GLOBAL_BUDGET = (3, 3600)
    for i in range(3):
        otp_request(phone=f"+9230{i}2220000", device=f"d{i}")
    assert _refused(otp_request, phone="+923092220000", device="d9").code == AccountsErrorCode.RATE_LIMITED


def test_a_request_refused_per_phone_does_not_spend_the_global_budget(db, settings):
    settings.OTP_REQUEST_GLOBAL_BUDGET = (2, 3600)
    settings.OTP_REQUEST_LIMIT_PER_PHONE = (1, 3600)
    otp_request(phone="+923003330000", device="a")
    for _ in range(5):  # a pumped phone keeps being refused at its own limit
        assert _refused(otp_request, phone="+923003330000", device="a").code == AccountsErrorCode.RATE_LIMITED
    otp_request(phone="+923013330000", device="b")  # the budget still has room for someone else


def test_verify_is_limited_per_device_across_phones(db, settings):
    settings.OTP_VERIFY_LIMIT_PER_DEVICE = (3, 3600)
    for i in range(3):
        phone = f"+9230{i}4440000"
        otp_request(phone=phone, device="guesser")
        assert _refused(otp_verify, phone=phone, code="000000", device="guesser").code in (
            AccountsErrorCode.CODE_INVALID,
        )
    otp_request(phone="+923094440000", device="guesser-2")
    refused = _refused(otp_verify, phone="+923094440000", code="000000", device="guesser")
    assert refused.code == AccountsErrorCode.RATE_LIMITED


def test_limits_fail_safe_when_redis_is_down(db, monkeypatch):
    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "add", unreachable)
    refused = _refused(otp_request, phone="+923005550000", device="d")
    assert (refused.code, refused.status) == (AccountsErrorCode.RATE_LIMIT_UNAVAILABLE, 503)
    response = _api(Client(HTTP_HOST="localhost"), "/api/v1/auth/otp/request", {"phone": "+923005550000"})
    assert response.status_code == 503 and response.json()["code"] == "rate_limit_unavailable"
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_S)


def test_the_api_hands_out_a_signed_device_cookie_and_counts_per_it(db, settings):
    settings.OTP_REQUEST_LIMIT_PER_DEVICE = (2, 3600)
    client = Client(HTTP_HOST="localhost")
    first = _api(client, "/api/v1/auth/otp/request", {"phone": "+923006660000"})  # counted without a device
    assert first.status_code == 202
    cookie = first.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    for phone in ("+923016660000", "+923026660000"):  # the client keeps the cookie: counted per device
        assert _api(client, "/api/v1/auth/otp/request", {"phone": phone}).status_code == 202
    fourth = _api(client, "/api/v1/auth/otp/request", {"phone": "+923036660000"})
    assert fourth.status_code == 429 and fourth.json()["code"] == "rate_limited"
    other = Client(HTTP_HOST="localhost")  # another phone behind the same carrier address
    assert _api(other, "/api/v1/auth/otp/request", {"phone": "+923036660000"}).status_code == 202


def test_a_forged_device_cookie_counts_as_none(rf):
    request = rf.get("/")
    request.COOKIES[DEVICE_COOKIE] = "chosen-by-me:not-our-signature"
    assert device_of(request) is None


def test_the_sign_in_page_hands_out_the_device_cookie(db):
    response = Client(HTTP_HOST="localhost").get("/signin/")
    assert response.status_code == 200 and DEVICE_COOKIE in response.cookies


# ---- guest tokens ------------------------------------------------------------------------------------------------


def test_guest_tokens_are_limited_per_device(db, settings):
    settings.GUEST_CREATE_LIMIT_PER_DEVICE = (2, 3600)
    client = Client(HTTP_HOST="localhost")  # its first call has no cookie yet; the next two count per device
    assert [_api(client, "/api/v1/auth/guest").status_code for _ in range(3)] == [201, 201, 201]
    refused = _api(client, "/api/v1/auth/guest")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "rate_limited"
    assert _api(Client(HTTP_HOST="localhost"), "/api/v1/auth/guest").status_code == 201  # same address, other phone
    assert Guest.objects.count() == 4


def test_guest_tokens_without_a_device_and_in_all_share_budgets(db, settings):
    settings.GUEST_CREATE_LIMIT_DEVICELESS = (1, 3600)
    settings.GUEST_CREATE_GLOBAL_BUDGET = (3, 3600)
    guest_start(device=None)
    assert _refused(guest_start, device=None).code == AccountsErrorCode.RATE_LIMITED
    guest_start(device="a")
    guest_start(device="b")
    assert _refused(guest_start, device="c").code == AccountsErrorCode.RATE_LIMITED
    assert Guest.objects.count() == 3
