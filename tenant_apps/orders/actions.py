"""The console's named moves on a merchant order (accept, reject, prepare, ready, handover): what the API's action
routes and the order page's buttons call. Each is one `merchant_order_transition` as a staff member, so the state
machine (orders.states) stays the only writer of the status; scope and the role table are checked by the caller
through `access_order_by_id(perm=Perm.ORDERS_PROCESS)`.

A pickup order has no plain "handover": the customer proves it is theirs with the 4-digit pickup code, typed at the
counter (the fulfilment app's handover form and `POST /api/v1/console/deliveries/{delivery_id}/handover`, which count
wrong codes and lock after too many). A button that handed it over without the code would let anyone who knows an
order number walk off with it."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from kernel.errors import CommonErrorCode, DomainError
from tenant_apps.orders.errors import OrderError, OrderErrorCode
from tenant_apps.orders.models import Fulfilment, MerchantOrder, OrderStatus
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
    if not action_applies(order, action):
        raise OrderError(
            OrderErrorCode.TRANSITION_INVALID,
            _("A pickup is handed over only with the customer's pickup code: type it in the Delivery panel."),
            field="code",
            extra={"status": order.status, "allowed": allowed_next(order, STAFF)},
        )
    return merchant_order_transition(order=order, to=target(order), actor=staff_actor(membership), reason=reason)


def action_applies(order: MerchantOrder, action: str) -> bool:
    """Whether the named action exists for this kind of order at all (a pickup's handover needs its code)."""
    return not (action == "handover" and order.fulfilment == Fulfilment.PICKUP)


def staff_actions(order: MerchantOrder) -> list[str]:
    """The action names a staff member may take on `order` now, in the order the console shows the buttons."""
    allowed = set(allowed_next(order, STAFF))
    return [name for name, target in ACTIONS.items() if target(order) in allowed and action_applies(order, name)]
