"""The console's first wall: a request on <slug>.<domain> acts only through the user's Membership in that schema.

The identity issue adds roles' scopes (scoped selectors, access_<entity>_by_id) on top of this one entry point.
"""

from typing import Any

from config.errors import CommonErrorCode, DomainError
from tenant_apps.staff.models import Membership


def access_console_membership(*, user: Any) -> Membership:
    """The caller's active membership in the current tenant, or raise: 401 anonymous, 404 without a membership
    (never 403: a stranger learns nothing about this merchant). Platform admins get no implicit membership."""
    if user is None or not user.is_authenticated:
        raise DomainError(CommonErrorCode.UNAUTHENTICATED)
    membership = Membership.objects.filter(user_id=user.pk, is_active=True).first()
    if membership is None:
        raise DomainError(CommonErrorCode.NOT_FOUND)
    return membership
