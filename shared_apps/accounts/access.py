"""Who may operate the platform: an active staff user (platform Admin) who passed TOTP two-factor this session."""

from typing import Any

from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernel.errors import CommonErrorCode, DomainError


def is_platform_admin(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def is_two_factor_verified(request: HttpRequest) -> bool:
    """True when this session was verified with the user's TOTP device (not merely an SMS code)."""
    device = getattr(request.user, "otp_device", None)
    return isinstance(device, TOTPDevice) and bool(request.user.is_verified())


def access_platform_admin(*, request: HttpRequest) -> Any:
    """Return the user if it may operate the whole platform, else raise: 401 anonymous, 403 not an admin or no
    TOTP verification in this session (the admin panel's two-factor step)."""
    user = request.user
    if user is None or not user.is_authenticated:
        raise DomainError(CommonErrorCode.UNAUTHENTICATED)
    if not is_platform_admin(user):
        raise DomainError(CommonErrorCode.FORBIDDEN, "Only platform admins may do this.")
    if not is_two_factor_verified(request):
        raise DomainError(CommonErrorCode.FORBIDDEN, "Confirm your authenticator code at /admin/ first.")
    return user
