"""A merchant gives money back out of its own share of an order, from the console (API and order page). The order
comes from the access layer (scope and the PAYMENTS_REFUND permission are the caller's check); the money moves
only through the payments service, so the gateway and the ledger see every console refund."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared_apps.payments.errors import PaymentError, PaymentErrorCode
from shared_apps.payments.models import PaymentIntent, PaymentPart, Refund
from shared_apps.payments.services import refund_request, refundable
from tenant_apps.orders.errors import OrderError, OrderErrorCode
from tenant_apps.orders.models import MerchantOrder
from tenant_apps.staff.audit import Actions, audit_record, branch_names
from tenant_apps.staff.models import Membership


@dataclass(frozen=True)
class OrderMoney:
    """The payment behind one merchant order, as the console sees it."""

    part: PaymentPart
    intent: PaymentIntent

    @property
    def refundable(self) -> Decimal:
        return refundable(self.intent, self.part)


def merchant_order_money(*, merchant_id: int, order: MerchantOrder) -> OrderMoney | None:
    """The payment's part for `order` (same number, this merchant) and the payment it belongs to, or None when the
    order has none (e.g. made outside checkout). One query."""
    part = PaymentPart.objects.select_related("intent").filter(merchant_id=merchant_id, number=order.number).first()
    return OrderMoney(part=part, intent=part.intent) if part is not None else None


def merchant_order_refund(
    *, merchant_id: int, order: MerchantOrder, actor: Membership, amount: Decimal, reason: str
) -> Refund:
    """Refund `amount` of `order` out of this merchant's part, through the gateway that took it (cash: recorded as
    handed back) and the ledger. Never more than what is left of the part, also when two refund at once (the service
    locks the intent). Raises OrderError REASON_REQUIRED (400), PaymentError NOTHING_TO_REFUND (409) for an order
    with nothing paid, and whatever refund_request raises (REFUND_AMOUNT_INVALID 400, REFUND_TOO_LARGE 409,
    REFUND_REJECTED 502, REFUND_PENDING 503 — the refund then stays pending for an operator: not to be redone)."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(OrderErrorCode.REASON_REQUIRED, "Say why the money goes back.", field="reason")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise PaymentError(PaymentErrorCode.REFUND_AMOUNT_INVALID, field="amount")
    money = merchant_order_money(merchant_id=merchant_id, order=order)
    if money is None:
        raise PaymentError(PaymentErrorCode.NOTHING_TO_REFUND)
    refund = refund_request(
        intent=money.intent,
        amount=amount,
        part=money.part,
        reason=reason,
        requested_as="merchant",
        user_id=actor.user_id,
    )
    # After the payments service's own transaction: the money moved (or waits for an operator) whatever happens here.
    branch = branch_names(order.branch_id)
    audit_record(
        action=Actions.REFUND_REQUESTED,
        target_type="order",
        target_id=order.pk,
        actor_user_id=actor.user_id,
        store_id=branch["store_id"],
        branch_id=order.branch_id,
        branch=branch["branch"],
        number=order.number,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status,
        reason=reason,
    )
    return refund
