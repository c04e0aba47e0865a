"""The device cookie: a random id the server signs and the browser (or app) keeps, which sign-in limits count per.

Thousands of honest customers share one address behind a mobile carrier's NAT, so a per-IP ceiling would lock a whole
carrier out; a device id separates them. It is signed (django.core.signing) so nobody can choose another's id or
spread one device's attempts over made-up ids; a client can always drop it and get a new one, which is why the
requests without one share a platform-wide bucket (OTP_REQUEST_LIMIT_DEVICELESS) and why the per-phone, per-prefix
and global limits stay the real brakes (docs/security.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

DEVICE_COOKIE = "planckly_device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
_SALT = "planckly.accounts.device"


def device_of(request: HttpRequest) -> str | None:
    """The id in the request's device cookie when our signature holds, else None."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        return signing.Signer(salt=_SALT).unsign(value)
    except signing.BadSignature:
        return None


def device_cookie_ensure(request: HttpRequest, response: HttpResponse) -> None:
    """Give the client a device id when it has none (or a forged one). Idempotent within a request."""
    if device_of(request) is not None or DEVICE_COOKIE in response.cookies:
        return
    response.set_cookie(
        DEVICE_COOKIE,
        signing.Signer(salt=_SALT).sign(secrets.token_urlsafe(16)),
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def with_device_cookie(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page that leads to a sign-in code hands out the device cookie, so its form posts arrive with one."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        device_cookie_ensure(request, response)
        return response

    return wrapped
