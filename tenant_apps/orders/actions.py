"""The console's named moves on a merchant order (accept, reject, prepare, ready, handover): what the API's action
routes and the order page's buttons call. Each is one `merchant_order_transition` as a staff member, so the state
machine (orders.states) stays the only writer of the status; scope and the role table are checked by the caller
through `access_order_by_id(perm=Perm.ORDERS_PROCESS)`."""

from __future__ import annotations

from collections.abc import Callable

from kernel.errors import CommonErrorCode, DomainError
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.states import (
    STAFF,
    Actor,
    allowed_next,
    handed_over_status,
    merchant_order_transition,
    ready_status,
)
from tenant_apps.staff.models import Membership

S = OrderStatus

# action name -> the status it moves the order to (ready and handover depend on how the order leaves the branch)
# (forward moves first, reject last: the order the console shows them in)
ACTIONS: dict[str, Callable[[MerchantOrder], str]] = {
    "accept": lambda order: S.ACCEPTED,
    "prepare": lambda order: S.PREPARING,
    "ready": ready_status,
    "handover": handed_over_status,
    "reject": lambda order: S.REJECTED,
}


def staff_actor(membership: Membership) -> Actor:
    """The state machine's view of a console user: staff, with the role shown in the order's history."""
    return Actor(STAFF, user_id=membership.user_id, role=membership.role)


def merchant_order_act(*, order: MerchantOrder, action: str, membership: Membership, reason: str = "") -> MerchantOrder:
    """Apply a named console action to `order` as `membership`. Raises DomainError INVALID (400) for an unknown
    action, and whatever the state machine raises: order_transition_invalid / order_status_changed (409),
    reason_required (400). One transaction; the history row records the member and its role."""
    target = ACTIONS.get(action)
    if target is None:
        raise DomainError(CommonErrorCode.INVALID, f"Unknown action {action[:40]!r}.", field="action")
    return merchant_order_transition(order=order, to=target(order), actor=staff_actor(membership), reason=reason)


def staff_actions(order: MerchantOrder) -> list[str]:
    """The action names a staff member may take on `order` now, in the order the console shows the buttons."""
    allowed = set(allowed_next(order, STAFF))
    return [name for name, target in ACTIONS.items() if target(order) in allowed]
