"""/api/v1/auth/... and /api/v1/me: OTP sign-in, token refresh and logout, guest sessions."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from shared_apps.accounts import services, tokens
from shared_apps.accounts.auth import GuestPrincipal, UserOrGuestBearer, optional_guest, user_auth
from shared_apps.accounts.devices import device_cookie_ensure, device_of
from shared_apps.accounts.models import User

router = Router(tags=["auth"])


class PhoneIn(Schema):
    phone: str


class OtpRequestedOut(Schema):
    phone: str
    expires_in: int
    resend_in: int


class VerifyIn(Schema):
    phone: str
    code: str


class UserOut(Schema):
    id: int
    phone: str
    name: str
    email: str
    is_guest: bool = False

    @staticmethod
    def of(user: User) -> UserOut:
        return UserOut(id=user.pk, phone=user.phone, name=user.name, email=user.email)


class SessionOut(Schema):
    access: str
    refresh: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    user: UserOut
    claimed_guest: bool = False


class RefreshIn(Schema):
    refresh: str


class PairOut(Schema):
    access: str
    refresh: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class GuestOut(Schema):
    access: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    guest_id: UUID
    expires_in: int


class MeOut(Schema):
    is_guest: bool
    user: UserOut | None = None
    guest_id: UUID | None = None


@router.post("/auth/otp/request", response={202: OtpRequestedOut})
def otp_request(request: HttpRequest, payload: PhoneIn, response: HttpResponse):
    """Text a 6-digit code to `phone`. 429 with Retry-After when asked too often (per phone, number block, device,
    or the platform's budget). The answer sets the device cookie the limits count per, when the client has none."""
    device_cookie_ensure(request, response)
    challenge = services.otp_request(phone=payload.phone, device=device_of(request))
    out = OtpRequestedOut(phone=challenge.phone, expires_in=challenge.expires_in, resend_in=challenge.resend_in)
    return Status(202, out)


@router.post("/auth/otp/verify", response=SessionOut)
def otp_verify(request: HttpRequest, payload: VerifyIn):
    """Exchange a code for tokens. Sent with a guest Bearer token, the guest's cart and orders move to the user, and
    that guest token stops working."""
    user = services.otp_verify(phone=payload.phone, code=payload.code, device=device_of(request))
    guest = optional_guest(request)
    claimed = services.guest_claim(guest_id=str(guest.pk), user=user) if guest else False
    pair = tokens.token_pair_issue(user=user)
    return SessionOut(
        access=pair.access,
        refresh=pair.refresh,
        expires_in=pair.access_expires_in,
        user=UserOut.of(user),
        claimed_guest=claimed,
    )


@router.post("/auth/token/refresh", response=PairOut)
def token_refresh(request: HttpRequest, payload: RefreshIn):
    pair = tokens.token_refresh(refresh=payload.refresh)
    return PairOut(access=pair.access, refresh=pair.refresh, expires_in=pair.access_expires_in)


@router.post("/auth/logout", response={204: None})
def logout(request: HttpRequest, payload: RefreshIn):
    tokens.token_logout(refresh=payload.refresh)
    return Status(204, None)


@router.post("/auth/guest", response={201: GuestOut})
def guest_start(request: HttpRequest, response: HttpResponse):
    """A guest session: browse, fill a cart and check out before signing in. 429 with Retry-After when asked too
    often (per device, or the platform's budget); the answer sets the device cookie when the client has none."""
    device_cookie_ensure(request, response)
    guest = services.guest_start(device=device_of(request))
    access = tokens.guest_token_issue(guest=guest)
    return Status(201, GuestOut(access=access, guest_id=guest.pk, expires_in=settings.JWT_GUEST_TTL_SECONDS))


@router.get("/me", response=MeOut, auth=[UserOrGuestBearer(), *user_auth[1:]])
def me(request: HttpRequest):
    principal = request.auth
    if isinstance(principal, GuestPrincipal):
        return MeOut(is_guest=True, guest_id=principal.guest.pk)
    return MeOut(is_guest=False, user=UserOut.of(request.user))
