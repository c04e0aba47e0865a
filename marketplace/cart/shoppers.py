"""Who is shopping: a signed-in user or a guest. The API gets one from its bearer token (user or guest), pages from
the session (a guest is created on the first add to cart and kept in the session until sign-in claims it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

from shared_apps.accounts.errors import AccountsError
from shared_apps.accounts.services import guest_create
from shared_apps.accounts.tokens import ACCESS, GUEST, token_decode
from shared_apps.accounts.views import SESSION_GUEST_KEY


@dataclass(frozen=True)
class Shopper:
    user_id: int | None = None
    guest_id: UUID | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.guest_id is None):
            raise ValueError("a shopper is exactly one of a user or a guest")

    @property
    def key(self) -> str:
        """Stable per shopper: scopes idempotency keys, so two shoppers can never collide on one key."""
        return f"u:{self.user_id}" if self.user_id is not None else f"g:{self.guest_id}"

    def owns(self) -> Q:
        """Filter for rows (carts, orders) that belong to this shopper. A guest's rows that were claimed into an
        account (user set, guest kept for the record) are the account's only."""
        if self.user_id is not None:
            return Q(user_id=self.user_id)
        return Q(guest_id=self.guest_id, user_id__isnull=True)

    def owner_fields(self) -> dict[str, Any]:
        return {"user_id": self.user_id} if self.user_id is not None else {"guest_id": self.guest_id}


def shopper_of(principal: Any) -> Shopper:
    """From what UserOrGuestBearer / django_auth authenticated: a User or a GuestPrincipal."""
    guest = getattr(principal, "guest", None)
    if guest is not None:
        return Shopper(guest_id=guest.pk)
    return Shopper(user_id=principal.pk)


def shopper_of_page(request: HttpRequest, *, create: bool = False) -> Shopper | None:
    """The page visitor as a shopper: the signed-in user, else the session's guest (created when `create`)."""
    if request.user.is_authenticated:
        return Shopper(user_id=request.user.pk)
    guest_id = request.session.get(SESSION_GUEST_KEY)
    if guest_id:
        return Shopper(guest_id=UUID(guest_id))
    if not create:
        return None
    guest = guest_create()
    request.session[SESSION_GUEST_KEY] = str(guest.pk)
    return Shopper(guest_id=guest.pk)


def shopper_key_of_request(request: HttpRequest) -> str:
    """Whom a request that needs no sign-in is from, for its behaviour events only: the user or guest of a valid
    Bearer token (its signature read, no query: naming the shopper is all an event needs), else the session's user
    or guest, else '' (anonymous). A token that is not valid makes the request anonymous, never refused."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        try:
            claims = token_decode(header[7:].strip(), expected_type=(ACCESS, GUEST))
        except AccountsError:
            return ""
        subject = str(claims["sub"])
        try:
            if claims["typ"] == ACCESS:
                return Shopper(user_id=int(subject)).key
            return Shopper(guest_id=UUID(subject.removeprefix("guest:"))).key
        except ValueError:
            return ""
    shopper = shopper_of_session(request)
    return shopper.key if shopper else ""


def shopper_of_session(request: HttpRequest) -> Shopper | None:
    """The session's user or guest, for an API route that needs no sign-in (CSRF-exempt, as every API route): on a
    write only with the session's CSRF token, else any site could write in a visitor's name (a view, a like)."""
    if request.method not in _SAFE_METHODS and not _csrf_passes(request):
        return None
    return shopper_of_page(request)


_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def _csrf_passes(request: HttpRequest) -> bool:
    def checked_view() -> None: ...  # a view that is not exempt: the middleware's own check, origin and token

    return CsrfViewMiddleware(lambda r: None).process_view(request, checked_view, (), {}) is None  # type: ignore[arg-type]
