from kernel.errors import DomainError, ErrorCode


class StaffErrorCode(ErrorCode):
    ROLE_ABOVE_YOURS = ("role_above_yours", 403, "You can only give roles at or below your own.")
    OUTSIDE_SCOPE = ("outside_scope", 403, "That store or branch is outside what you manage.")
    SCOPE_INVALID = ("scope_invalid", 400, "This role needs a store (shop owner) or a branch (manager, employee).")
    DUTY_INVALID = ("duty_invalid", 400, "Unknown duty.")
    ALREADY_MEMBER = ("already_member", 409, "This person already works here.")
    INVITATION_PENDING = ("invitation_pending", 409, "This phone already has a pending invitation.")
    INVITATION_CLOSED = ("invitation_closed", 409, "This invitation was already accepted, revoked or has expired.")
    NOT_YOUR_INVITATION = ("not_found", 404, "Not found.")
    LAST_MERCHANT = ("last_merchant", 409, "A merchant needs at least one active Merchant member.")
    REMOVE_YOURSELF = ("remove_yourself", 409, "You cannot remove yourself: ask someone above you.")
    ALREADY_REMOVED = ("already_removed", 409, "This person was already removed.")
    RESEND_TOO_SOON = (
        "resend_too_soon",
        429,
        "The invitation was just sent: wait two minutes before sending it again.",
    )
    # 409, not 429: no wait helps (a 429 always says when to try again, with Retry-After).
    RESEND_LIMIT = ("resend_limit", 409, "This invitation was sent five times: revoke it and invite again.")


class StaffError(DomainError):
    pass


class AccessErrorCode(ErrorCode):
    """What the access layer (access.py) answers. The codes and statuses are the common ones, so a client cannot
    tell an object outside its scope from one that does not exist."""

    UNAUTHENTICATED = ("unauthenticated", 401, "Sign in to continue.")
    NOT_FOUND = ("not_found", 404, "Not found.")  # missing, or outside the scope: never 403
    FORBIDDEN = ("forbidden", 403, "Your role does not allow this.")  # in scope, but not in the role's permissions


class AccessError(DomainError):
    pass
