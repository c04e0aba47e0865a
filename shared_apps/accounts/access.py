"""Who may operate the platform. The identity issue extends this check (Admin role + two-factor); callers keep it."""

from typing import Any

from config.errors import CommonErrorCode, DomainError


def access_platform_admin(*, user: Any) -> Any:
    """Return `user` if it may operate the whole platform, else raise (401 anonymous, 403 signed in)."""
    if user is None or not user.is_authenticated:
        raise DomainError(CommonErrorCode.UNAUTHENTICATED)
    if not (user.is_active and user.is_superuser):
        raise DomainError(CommonErrorCode.FORBIDDEN, "Only platform admins may do this.")
    return user
