"""Page sessions (OWASP ASVS V3): a new session id at sign-in, ended on the server at sign-out, cookies that scripts
cannot read and other sites do not send with their forms."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.test import Client

from shared_apps.accounts.models import PhoneOTPDevice
from shared_apps.accounts.services import otp_request

PHONE = "+923007778899"


def _signed_in() -> tuple[Client, str]:
    client = Client(HTTP_HOST="localhost")
    client.get("/signin/")
    session = client.session
    session["seen"] = True  # an anonymous session exists before signing in
    session.save()
    before = session.session_key
    code = otp_request(phone=PHONE).code
    PhoneOTPDevice.objects.filter(user__phone=PHONE).update(last_generated_timestamp=None)
    response = client.post("/signin/verify/", {"phone": PHONE, "code": code})
    assert response.status_code == 302
    return client, before


def test_signing_in_gives_a_new_session_id(db):
    client, before = _signed_in()
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before  # a session id planted before sign-in is worth nothing after it
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert not store().exists(before)


def test_signing_out_ends_the_session_on_the_server(db):
    client, _ = _signed_in()
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/account/addresses/").status_code == 200
    assert client.post("/signout/").status_code == 302
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert not store().exists(key)
    replayed = Client(HTTP_HOST="localhost")
    replayed.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, kept by a thief
    assert replayed.get("/account/addresses/").status_code == 302  # sent to sign in


def test_session_cookie_is_http_only_and_same_site_lax(db):
    client, _ = _signed_in()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_AGE <= 14 * 24 * 3600


def test_sign_out_is_a_post_only(db):
    client, _ = _signed_in()
    assert client.get("/signout/").status_code == 405  # a link or an <img> on another page cannot sign anyone out
