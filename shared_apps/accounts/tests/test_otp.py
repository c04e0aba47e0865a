"""One-time codes: hashed, 5 minutes, single use, 5 wrong tries, resend cool-down, rate limits per phone (the other
limits, and why none is per IP: test_sign_in_limits.py)."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import PhoneOTPDevice, User
from shared_apps.accounts.services import otp_request, otp_verify

PHONE = "+923001112233"


def _request(phone: str = PHONE, device: str = "device-1"):
    return otp_request(phone=phone, device=device)


def _rewind_cooldown(phone: str = PHONE) -> None:
    PhoneOTPDevice.objects.filter(user__phone=phone).update(last_generated_timestamp=None)


def test_code_is_stored_hashed_and_signs_in_once(db):
    challenge = _request(phone="0300 1112233")
    assert challenge.phone == PHONE and len(challenge.code) == 6 and challenge.code.isdigit()
    device = PhoneOTPDevice.objects.get(user__phone=PHONE)
    assert challenge.code not in device.token_hash
    user = otp_verify(phone=PHONE, code=challenge.code, device="device-1")
    assert user.phone == PHONE and user.phone_verified_at is not None
    with pytest.raises(AccountsError) as again:
        otp_verify(phone=PHONE, code=challenge.code, device="device-1")
    assert again.value.code == AccountsErrorCode.CODE_MISSING  # single use


def test_same_phone_same_user_and_unknown_phones_become_customers(db):
    assert not User.objects.filter(phone=PHONE).exists()
    first = otp_verify(phone=PHONE, code=_request().code, device="device-1")
    _rewind_cooldown()
    second = otp_verify(phone="+92 300 111 2233", code=_request().code, device="device-1")
    assert first.pk == second.pk
    assert User.objects.filter(phone=PHONE).count() == 1


def test_code_expires_after_five_minutes(db):
    challenge = _request()
    PhoneOTPDevice.objects.filter(user__phone=PHONE).update(valid_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AccountsError) as caught:
        otp_verify(phone=PHONE, code=challenge.code, device="device-1")
    assert caught.value.code == AccountsErrorCode.CODE_EXPIRED


def test_five_wrong_tries_lock_the_code_even_the_right_one(db):
    challenge = _request()
    wrong = f"{(int(challenge.code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(AccountsError) as caught:
            otp_verify(phone=PHONE, code=wrong, device="device-1")
        assert caught.value.code == AccountsErrorCode.CODE_INVALID
    with pytest.raises(AccountsError) as locked:
        otp_verify(phone=PHONE, code=challenge.code, device="device-1")
    assert locked.value.code == AccountsErrorCode.CODE_LOCKED
    _rewind_cooldown()
    fresh = _request()  # a new code starts a new count
    assert otp_verify(phone=PHONE, code=fresh.code, device="device-1").phone == PHONE


def test_resend_cool_down(db):
    _request()
    with pytest.raises(AccountsError) as caught:
        _request()
    assert caught.value.code == AccountsErrorCode.RESEND_COOLDOWN
    assert caught.value.status == 429 and 0 < caught.value.retry_after <= 61


def test_per_phone_limit_against_sms_pumping(db):
    for _ in range(5):
        _request()
        _rewind_cooldown()
    with pytest.raises(AccountsError) as caught:
        _request()
    assert caught.value.code == AccountsErrorCode.RATE_LIMITED and caught.value.retry_after > 0


def test_verify_brute_force_is_rate_limited_per_phone(db):
    _request()
    outcomes = []
    for i in range(12):
        try:
            otp_verify(phone=PHONE, code=f"{i:06d}", device=f"device-{i}")  # rotating devices do not help
        except AccountsError as exc:
            outcomes.append(exc.code)
    assert outcomes[-1] == AccountsErrorCode.RATE_LIMITED


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_of_one_code_signs_in_once():
    challenge = _request()
    results: list[str] = []
    barrier = threading.Barrier(4)

    def verify() -> None:
        barrier.wait()
        try:
            otp_verify(phone=PHONE, code=challenge.code, device="device-1")
            results.append("ok")
        except AccountsError as exc:
            results.append(str(exc.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=verify) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "otp_not_requested", "otp_not_requested", "otp_not_requested"]
