from kernel.errors import DomainError, ErrorCode


class OrderErrorCode(ErrorCode):
    TRANSITION_INVALID = ("order_transition_invalid", 409, "The order cannot move to that status from where it is.")
    STATUS_CHANGED = ("order_status_changed", 409, "Someone else changed this order just now. Reload and try again.")
    REASON_REQUIRED = ("reason_required", 400, "Say why the order is rejected; the customer sees it.")
    NOT_ALLOWED = ("order_action_not_allowed", 403, "You may not do this to the order.")


class OrderError(DomainError):
    pass
