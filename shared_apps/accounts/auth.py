"""How API requests prove who they are: a Bearer JWT (apps) or the session cookie with CSRF (pages' HTMX)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from shared_apps.accounts.errors import AccountsError, AccountsErrorCode
from shared_apps.accounts.models import Guest, User
from shared_apps.accounts.tokens import ACCESS, GUEST, token_decode


class UserBearer(HttpBearer):
    """`Authorization: Bearer <access token>` → the user; also sets request.user for access functions."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        return _user_of(request, token_decode(token, expected_type=ACCESS))


def _user_of(request: HttpRequest, claims: dict[str, Any]) -> User:
    user = next(iter(User.objects.filter(pk=claims["sub"], is_active=True)[:1]), None)  # [:1]: no ORDER BY to build
    if user is None:
        raise AccountsError(AccountsErrorCode.TOKEN_INVALID)
    request.user = user
    return user


@dataclass(frozen=True)
class GuestPrincipal:
    guest: Guest

    is_authenticated = False


class UserOrGuestBearer(HttpBearer):
    """A user's access token or a guest token (browsing, cart, checkout before signing in)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | GuestPrincipal:
        claims = token_decode(token, expected_type=(ACCESS, GUEST))  # one signature check for either kind
        if claims["typ"] == ACCESS:
            return _user_of(request, claims)
        guest = _guest(str(claims["sub"]).removeprefix("guest:"))
        if guest is None:
            raise AccountsError(AccountsErrorCode.TOKEN_INVALID)
        if guest.claimed_by_id is not None:  # signed in since: what it had is the account's now, behind its sign-in
            raise AccountsError(AccountsErrorCode.TOKEN_REVOKED)
        return GuestPrincipal(guest)


_GUEST_FIELDS = ("id", "created_at", "claimed_by_id", "claimed_at")
_GUEST = f"SELECT {', '.join(_GUEST_FIELDS)} FROM {Guest._meta.db_table} WHERE id = %s"


def _guest(guest_id: str) -> Guest | None:
    """The guest row, hand-read: every guest API request (a flash sale's every checkout) starts here, and building
    the ORM query cost ~3x the statement's own CPU."""
    try:
        pk = UUID(guest_id)
    except ValueError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_GUEST, [pk])
        row = cursor.fetchone()
    return Guest.from_db(connection.alias, _GUEST_FIELDS, row) if row else None


def optional_guest(request: HttpRequest) -> Guest | None:
    """The guest of a request that carries a guest Bearer token (e.g. while verifying an OTP), else None."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        claims = token_decode(header[7:].strip(), expected_type=GUEST)
    except AccountsError:
        return None
    return Guest.objects.filter(pk=str(claims["sub"]).removeprefix("guest:")).first()


class SessionUser(SessionAuth):
    """ninja's django_auth, but CSRF is checked only for a session that authenticates someone: a request with no
    session (or an anonymous one) is a 401 like any unauthenticated call, not a CSRF 403 — there is nobody for a
    forged request to act as. A signed-in session without a valid CSRF token is still refused (403)."""

    def __call__(self, request: HttpRequest) -> Any:
        principal = self.authenticate(request, request.COOKIES.get(self.param_name))
        if principal is None:
            return None
        self._get_key(request)  # ninja's CSRF check: raises HttpError(403) on a forged or stale token
        return principal


session_auth = SessionUser()
user_auth: list[Any] = [UserBearer(), session_auth]  # Bearer first: API clients need no CSRF token


class SessionShopper(SessionUser):
    """The session cookie (pages' HTMX, with CSRF): the signed-in user, else the session's guest."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | GuestPrincipal | None:
        if request.user.is_authenticated:
            return request.user
        guest_id = request.session.get("guest_id")
        guest = Guest.objects.filter(pk=guest_id, claimed_by__isnull=True).first() if guest_id else None
        return GuestPrincipal(guest) if guest else None


shopper_auth: list[Any] = [UserOrGuestBearer(), SessionShopper()]
