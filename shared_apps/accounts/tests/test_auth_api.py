"""The auth API: OTP over HTTP, JWT issuing/rotation/revocation, guests, and token tampering."""

import time

import jwt
import pytest
from django.conf import settings

from shared_apps.accounts.models import Guest, RefreshToken
from shared_apps.accounts.services import otp_request
from shared_apps.accounts.tokens import AUDIENCE

PHONE = "+923004445566"


@pytest.fixture
def api(host_client):
    return host_client("localhost")


def _post(api, path, body=None, **headers):
    return api.post(path, body or {}, content_type="application/json", **headers)


def _sign_in(api, phone=PHONE, **headers):
    code = otp_request(phone=phone).code
    from shared_apps.accounts.models import PhoneOTPDevice

    PhoneOTPDevice.objects.filter(user__phone=phone).update(last_generated_timestamp=None)
    response = _post(api, "/api/v1/auth/otp/verify", {"phone": phone, "code": code}, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def _bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_otp_request_is_202_and_never_returns_the_code(api, db):
    response = _post(api, "/api/v1/auth/otp/request", {"phone": "0300 4445566"})
    assert response.status_code == 202
    body = response.json()
    assert body == {"phone": PHONE, "expires_in": 300, "resend_in": settings.OTP_RESEND_COOLDOWN_SECONDS}


def test_second_request_is_429_with_retry_after(api, db):
    _post(api, "/api/v1/auth/otp/request", {"phone": PHONE})
    response = _post(api, "/api/v1/auth/otp/request", {"phone": PHONE})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "otp_resend_cooldown" and response.json()["details"]["retry_after"] > 0


def test_bad_phone_and_wrong_code_are_clear_400s(api, db):
    bad = _post(api, "/api/v1/auth/otp/request", {"phone": "12345"})
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (400, "phone_invalid", "phone")
    otp_request(phone=PHONE)
    wrong = _post(api, "/api/v1/auth/otp/verify", {"phone": PHONE, "code": "000000"})
    assert wrong.status_code == 400 and wrong.json()["code"] in ("otp_invalid",)


def test_verify_returns_tokens_and_me_works(api, db):
    session = _sign_in(api)
    assert session["user"]["phone"] == PHONE and session["token_type"] == "Bearer"
    me = api.get("/api/v1/me", **_bearer(session["access"]))
    assert me.status_code == 200 and me.json()["user"]["phone"] == PHONE


def test_refresh_rotates_and_reuse_revokes_the_family(api, db):
    session = _sign_in(api)
    rotated = _post(api, "/api/v1/auth/token/refresh", {"refresh": session["refresh"]})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh"] != session["refresh"]
    reuse = _post(api, "/api/v1/auth/token/refresh", {"refresh": session["refresh"]})  # a stolen copy
    assert reuse.status_code == 401 and reuse.json()["code"] == "token_revoked"
    # the thief's reuse killed the whole family: the legitimate new tokens stop working too
    assert _post(api, "/api/v1/auth/token/refresh", {"refresh": new["refresh"]}).status_code == 401
    assert api.get("/api/v1/me", **_bearer(new["access"])).status_code == 401
    assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_logout_revokes_refresh_and_access(api, db):
    session = _sign_in(api)
    assert _post(api, "/api/v1/auth/logout", {"refresh": session["refresh"]}).status_code == 204
    assert _post(api, "/api/v1/auth/token/refresh", {"refresh": session["refresh"]}).status_code == 401
    assert api.get("/api/v1/me", **_bearer(session["access"])).status_code == 401


def _forge(claims, key=None, algorithm="HS256"):
    base = {
        "iss": settings.JWT_ISSUER,
        "aud": AUDIENCE,
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "jti": "x",
        "typ": "access",
        "fam": "f",
    }
    return jwt.encode({**base, **claims}, key or settings.JWT_SIGNING_KEY, algorithm=algorithm)


@pytest.mark.parametrize(
    "token_kind", ["alg_none", "wrong_key", "expired", "refresh_as_access", "guest_as_user", "garbage", "no_typ"]
)
def test_tampered_tokens_are_rejected(api, host_client, make_merchant, django_user_model, token_kind):
    user = django_user_model.objects.create_user(phone="+923007778899")
    sub = {"sub": str(user.pk)}
    tokens = {
        "alg_none": jwt.encode(
            {**jwt.decode(_forge(sub), options={"verify_signature": False})}, None, algorithm="none"
        ),
        "wrong_key": _forge(sub, key="not-our-key-but-long-enough-to-be-a-key"),
        "expired": _forge({**sub, "exp": int(time.time()) - 10, "iat": int(time.time()) - 100}),
        "refresh_as_access": _forge({**sub, "typ": "refresh"}),
        "guest_as_user": _forge({"sub": "guest:123", "typ": "guest"}),
        "garbage": "abc.def.ghi",
        "no_typ": jwt.encode({"sub": str(user.pk), "exp": int(time.time()) + 60}, settings.JWT_SIGNING_KEY),
    }
    response = api.get("/api/v1/me", **_bearer(tokens[token_kind]))
    if token_kind == "guest_as_user":  # a guest token where a user is required (console API)
        merchant = make_merchant(slug="tamper-shop")
        response = host_client(f"{merchant.slug}.localhost").get(
            "/api/v1/console/summary", **_bearer(tokens[token_kind])
        )
    assert response.status_code == 401, (token_kind, response.content)
    assert response.json()["code"] in ("token_invalid", "token_expired", "unauthenticated")


def test_guest_token_then_sign_in_claims_the_guest(api, db):
    started = _post(api, "/api/v1/auth/guest")
    assert started.status_code == 201
    guest = started.json()
    me = api.get("/api/v1/me", **_bearer(guest["access"]))
    assert me.json() == {"is_guest": True, "user": None, "guest_id": guest["guest_id"]}
    session = _sign_in(api, **_bearer(guest["access"]))
    assert session["claimed_guest"] is True
    assert str(Guest.objects.get(pk=guest["guest_id"]).claimed_by.phone) == PHONE


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/auth/otp/request", "/api/v1/auth/otp/verify"])
def test_a_redis_that_cannot_count_closes_sign_in_with_a_clear_503(api, monkeypatch, path):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    from shared_apps.accounts.models import PhoneOTPDevice

    def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(cache, "add", down)
    response = _post(api, path, {"phone": PHONE, "code": "123456"})

    assert response.status_code == 503
    assert response.json()["code"] == "rate_limit_unavailable" and int(response["Retry-After"]) > 0
    assert not PhoneOTPDevice.objects.filter(user__phone=PHONE).exists()  # no code made, none sent


@pytest.mark.django_db
def test_a_database_or_redis_outage_anywhere_on_the_api_is_the_503_envelope(api, monkeypatch):
    from django.db import OperationalError

    from marketplace.discovery import api as discovery_api

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(discovery_api, "search_listings", down)
    response = api.get("/api/v1/search", {"lat": "31.5", "lng": "74.3"})

    assert response.status_code == 503, response.content
    assert response.json() == {
        "code": "unavailable",
        "message": response.json()["message"],
        "field": None,
        "details": {},
    }
