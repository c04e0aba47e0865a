"""The MerchantOrder state machine, in one place: which status may follow which, who may move it there, what
happens to stock on the way, and the history row every move leaves. Nothing else writes `MerchantOrder.status`.

    pending_payment → placed → accepted → preparing → ready_for_pickup → picked_up
                                                    → out_for_delivery → delivered
    placed/accepted/preparing → rejected (merchant, with a reason) — never once the order has left the kitchen
    (ready for pickup, out for delivery): goods on the road or on the counter are not turned away (REJECTABLE)
    pending_payment/placed → cancelled (customer before acceptance; system when payment times out)
    rejected/cancelled/picked_up/delivered → refunded (when money was taken)

Stock follows the status: a reservation becomes a sale when the order is paid (online payment success, or cash
handed over), goes back to the shelf when the order is rejected or cancelled before that, and a sold order that
is rejected or refunded is returned to the branch's stock.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.inventory.models import MovementReason
from tenant_apps.inventory.services import stock_adjust, stock_release, stock_sell
from tenant_apps.orders.errors import OrderError, OrderErrorCode
from tenant_apps.orders.models import Fulfilment, MerchantOrder, OrderStatus, OrderTransition, StockState
from tenant_apps.staff.audit import Actions, audit_record, branch_names

S = OrderStatus

# Who may make each move: "staff" (console, subject to the role table and scope), "customer", "system" (payments,
# timeouts, couriers, platform admins).
STAFF, CUSTOMER, SYSTEM = "staff", "customer", "system"
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    S.PENDING_PAYMENT: {S.PLACED: frozenset({SYSTEM}), S.CANCELLED: frozenset({CUSTOMER, SYSTEM})},
    S.PLACED: {
        S.ACCEPTED: frozenset({STAFF}),
        S.REJECTED: frozenset({STAFF, SYSTEM}),
        S.CANCELLED: frozenset({CUSTOMER, SYSTEM}),
    },
    S.ACCEPTED: {S.PREPARING: frozenset({STAFF}), S.REJECTED: frozenset({STAFF, SYSTEM})},
    S.PREPARING: {
        S.READY_FOR_PICKUP: frozenset({STAFF}),
        S.OUT_FOR_DELIVERY: frozenset({STAFF, SYSTEM}),
        S.REJECTED: frozenset({STAFF, SYSTEM}),
    },
    S.READY_FOR_PICKUP: {S.PICKED_UP: frozenset({STAFF})},
    # the system cancels an order whose courier brought the parcel back to the shop (fulfilment.courier_status_apply)
    S.OUT_FOR_DELIVERY: {S.DELIVERED: frozenset({STAFF, SYSTEM}), S.CANCELLED: frozenset({SYSTEM})},
    S.REJECTED: {S.REFUNDED: frozenset({SYSTEM})},
    S.CANCELLED: {S.REFUNDED: frozenset({SYSTEM})},
    S.PICKED_UP: {S.REFUNDED: frozenset({SYSTEM})},
    S.DELIVERED: {S.REFUNDED: frozenset({SYSTEM})},
}
# Only an order still in the branch's hands may be rejected; once it is out for delivery (or waiting at the counter)
# the rider or the customer holds it, and turning it away would strand the goods. TRANSITIONS agrees (a test holds it).
REJECTABLE = frozenset({S.PLACED, S.ACCEPTED, S.PREPARING})
# The next step a staff member takes from each status ("ready" depends on how the order leaves the branch).
TERMINAL = frozenset({S.PICKED_UP, S.DELIVERED, S.REJECTED, S.CANCELLED, S.REFUNDED})
OPEN_FOR_STAFF = (S.PLACED, S.ACCEPTED, S.PREPARING, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY)

# Sent inside the transaction after every move (and at creation, from_status ""): the marketplace mirrors the
# status for the customer (marketplace/orders/receivers.py); receivers must not fail for reasons of their own.
merchant_order_changed = Signal()  # order=MerchantOrder, from_status=str, to_status=str, reason=str


@dataclass(frozen=True)
class Actor:
    kind: str  # STAFF, CUSTOMER or SYSTEM
    user_id: int | None = None
    role: str = ""  # the staff member's role, shown in the history

    @property
    def label(self) -> str:
        return self.role or self.kind


def _label(status: str) -> str:
    return S(status).label.lower() if status in S.values else repr(status)


def ready_status(order: MerchantOrder) -> str:
    return S.READY_FOR_PICKUP if order.fulfilment == Fulfilment.PICKUP else S.OUT_FOR_DELIVERY


def handed_over_status(order: MerchantOrder) -> str:
    return S.PICKED_UP if order.fulfilment == Fulfilment.PICKUP else S.DELIVERED


def allowed_next(order: MerchantOrder, actor_kind: str) -> list[str]:
    """Statuses `actor_kind` may move this order to now (what buttons the console shows)."""
    moves = TRANSITIONS.get(order.status, {})
    allowed = [to for to, who in moves.items() if actor_kind in who]
    if order.status == S.PREPARING:
        allowed = [to for to in allowed if to in (ready_status(order), S.REJECTED)]
    return allowed


def _each_line(order: MerchantOrder, write, **extra) -> None:
    for line in order.lines.order_by("variant_id"):  # variant order, like checkout's reservations
        write(
            branch_id=order.branch_id,
            variant_id=line.variant_id,
            quantity=line.quantity,
            reference=order.number,
            **extra,
        )


def _stock_follows(order: MerchantOrder, to: str, actor: Actor) -> str:
    """Move the order's units in the ledger for the new status; returns the new stock state."""
    state = order.stock_state
    paid = (to == S.PLACED and order.status == S.PENDING_PAYMENT) or to in (S.PICKED_UP, S.DELIVERED)
    if paid and state == StockState.RESERVED:
        _each_line(order, stock_sell, actor_id=actor.user_id)
        return StockState.SOLD
    if to in (S.REJECTED, S.CANCELLED) and state == StockState.RESERVED:
        _each_line(order, stock_release, actor_id=actor.user_id)
        return StockState.RELEASED
    if to in (S.REJECTED, S.REFUNDED) and state == StockState.SOLD and order.status not in (S.PICKED_UP, S.DELIVERED):
        for line in order.lines.order_by("variant_id"):
            stock_adjust(
                branch_id=order.branch_id,
                variant_id=line.variant_id,
                delta=line.quantity,
                reason=MovementReason.RETURN,
                actor_id=actor.user_id,
                note=f"order {order.number}",
            )
        return StockState.RETURNED
    return state


def merchant_order_transition(*, order: MerchantOrder, to: str, actor: Actor, reason: str = "") -> MerchantOrder:
    """Move `order` to `to` as `actor`, with its stock effects and a history row, in one transaction.

    Raises TRANSITION_INVALID (409) when `to` does not follow the current status, NOT_ALLOWED (403) when the
    actor kind may not make that move, REASON_REQUIRED (400) for a rejection without a reason, and STATUS_CHANGED
    (409) when a concurrent move got there first (the status is compared and set in one UPDATE). Delivered goods
    that are refunded stay with the customer: their stock is not returned.
    """
    reason = (reason or "").strip()[:255]
    with transaction.atomic():
        current = MerchantOrder.objects.select_for_update().get(pk=order.pk)
        moves = TRANSITIONS.get(current.status, {})
        if to == S.REJECTED and current.status not in REJECTABLE and current.status not in TERMINAL:
            raise OrderError(
                OrderErrorCode.TRANSITION_INVALID,
                _("This order has left the branch (%(status)s): it can no longer be rejected.")
                % {"status": current.get_status_display().lower()},
                extra={"status": current.status, "allowed": allowed_next(current, actor.kind)},
            )
        if to not in moves or (current.status == S.PREPARING and to not in (ready_status(current), S.REJECTED)):
            raise OrderError(
                OrderErrorCode.TRANSITION_INVALID,
                f"A {current.get_status_display().lower()} order cannot become {_label(to)}.",
                extra={"status": current.status, "allowed": allowed_next(current, actor.kind)},
            )
        if actor.kind not in moves[to]:
            raise OrderError(OrderErrorCode.NOT_ALLOWED)
        if to == S.REJECTED and not reason:
            raise OrderError(OrderErrorCode.REASON_REQUIRED, field="reason")
        if order.status != current.status:
            raise OrderError(OrderErrorCode.STATUS_CHANGED, extra={"status": current.status})
        from_status = current.status
        current.stock_state = _stock_follows(current, to, actor)
        now = timezone.now()
        current.status = to
        fields = ["status", "stock_state", "updated_at"]
        if to in (S.REJECTED, S.CANCELLED):
            current.reason = reason
            fields.append("reason")
        if to == S.PLACED:
            current.placed_at = now
            fields.append("placed_at")
        if current.paid_at is None and current.stock_state == StockState.SOLD:
            current.paid_at = now
            fields.append("paid_at")
        current.save(update_fields=fields)
        OrderTransition.objects.create(
            order=current,
            from_status=from_status,
            to_status=to,
            actor_id=actor.user_id,
            actor_role=actor.label,
            reason=reason,
        )
        branch = branch_names(current.branch_id)
        audit_record(
            action=Actions.ORDER_MOVED,
            target_type="order",
            target_id=current.pk,
            actor_user_id=actor.user_id,
            store_id=branch["store_id"],
            branch_id=current.branch_id,
            branch=branch["branch"],
            number=current.number,
            by=actor.kind,
            role=actor.role,
            to=to,
            reason=reason,
            **{"from": from_status},
        )
        merchant_order_changed.send(
            sender=MerchantOrder, order=current, from_status=from_status, to_status=to, reason=reason
        )
    return current
