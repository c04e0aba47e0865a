"""Customer orders (public schema): the mirror of each merchant part, the derived status, and the moves a customer
or the platform starts across merchants (cancel, payment success, payment timeout)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from kernel.errors import DomainError, ErrorCode
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.orders.status import customer_status
from shared_apps.payments.lock_order import customer_order_lock, merchant_orders_lock
from shared_apps.payments.services import payment_intent_expire, payment_intents_expired
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.states import CUSTOMER, SYSTEM, Actor, merchant_order_transition

logger = logging.getLogger(__name__)


class CustomerOrderErrorCode(ErrorCode):
    NOT_FOUND = ("order_not_found", 404, "No such order.")
    CANNOT_CANCEL = ("order_cannot_cancel", 409, "This order can no longer be cancelled: a shop has accepted it.")


class CustomerOrderError(DomainError):
    pass


def timeline_entry(status: str, note: str = "") -> dict[str, Any]:
    return {"status": status, "label": OrderStatus(status).label, "at": timezone.now().isoformat(), "note": note}


def part_mirror(*, order: MerchantOrder, to_status: str, reason: str) -> None:
    """Bring the customer's view of one merchant order in line after a move (same transaction), refresh the
    customer order's derived status. A part that is not mirrored yet is skipped. (The customer is texted per
    tracking step: marketplace/orders/tracking.py.)"""
    part = (
        CustomerOrderPart.objects.select_for_update()
        .select_related("order")
        .filter(number=order.number)  # the part carries the merchant order's (globally unique) number
        .first()
    )
    if part is None:
        return
    part.status = to_status
    part.timeline = [*part.timeline, timeline_entry(to_status, reason)]
    part.save(update_fields=["status", "timeline", "updated_at"])
    customer_order_status_refresh(part.order_id)


def customer_order_status_refresh(order_id: int) -> str:
    order = CustomerOrder.objects.select_for_update().get(pk=order_id)
    status = customer_status(order.parts.values_list("status", flat=True))
    if status != order.status:
        order.status = status
        order.save(update_fields=["status", "updated_at"])
    return status


def _move(
    locked: list[tuple[CustomerOrderPart, MerchantOrder]], *, to: str, actor: Actor, reason: str, only_from: set[str]
) -> int:
    """Move every locked merchant order now in `only_from` to `to` (each in its own schema)."""
    moved = 0
    for part, merchant_order in locked:
        if merchant_order.status not in only_from:
            continue
        with schema_context(part.merchant.schema_name):
            merchant_order_transition(order=merchant_order, to=to, actor=actor, reason=reason)
        moved += 1
    return moved


def customer_order_cancel(*, order: CustomerOrder, user_id: int | None, reason: str = "") -> CustomerOrder:
    """The customer cancels before any shop accepted: every part goes to cancelled and its stock back to the shelf,
    all or nothing. Raises CANNOT_CANCEL (409) once any part has moved past placed (checked under the merchant
    orders' locks, so a shop accepting at the same moment either wins or waits)."""
    cancellable = {OrderStatus.PENDING_PAYMENT, OrderStatus.PLACED}
    ended = {OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED}
    with transaction.atomic():
        locked = merchant_orders_lock(customer_order_id=order.pk)  # before any move (lock_order.py)
        statuses = {merchant_order.status for _, merchant_order in locked}
        if not statuses - ended or statuses - ended - cancellable:
            raise CustomerOrderError(CustomerOrderErrorCode.CANNOT_CANCEL)
        actor = Actor(CUSTOMER, user_id=user_id)
        _move(locked, to=OrderStatus.CANCELLED, actor=actor, reason=reason or "Cancelled by you", only_from=cancellable)
    order.refresh_from_db()
    return order


def customer_order_paid(*, order: CustomerOrder, locked: list | None = None) -> int:
    """Online payment succeeded: every part waiting for payment becomes placed and its reservation a sale, all in one
    transaction. Idempotent: parts already placed (or cancelled meanwhile) are left alone. `locked`: the order's
    merchant orders when the caller has locked them already (lock_order.customer_order_lock), so they are not locked
    twice."""
    with transaction.atomic():
        return _move(
            locked if locked is not None else merchant_orders_lock(customer_order_id=order.pk),
            to=OrderStatus.PLACED,
            actor=Actor(SYSTEM),
            reason="Payment received",
            only_from={OrderStatus.PENDING_PAYMENT},
        )


def customer_orders_unpaid_release(*, now=None, limit: int = 200) -> int:
    """Beat: for every online payment past its deadline, expire the intent and cancel the parts still waiting for it
    (their stock goes back on the shelf), each order in its own transaction. Safe to run twice at once: the intent is
    expired by a conditional update, so exactly one sweep releases each order. An order that fails is logged and left
    for the next sweep. Returns how many orders were released."""
    released = 0
    for intent in payment_intents_expired(now=now, limit=limit):
        try:
            with transaction.atomic():
                # merchant orders, customer order, then the intent (lock_order.py)
                locked = customer_order_lock(customer_order_id=intent.customer_order_id)
                if not payment_intent_expire(intent_id=intent.pk, now=now):
                    continue  # paid meanwhile, or another sweep got there first
                _move(
                    locked,
                    to=OrderStatus.CANCELLED,
                    actor=Actor(SYSTEM),
                    reason="Payment was not completed in time",
                    only_from={OrderStatus.PENDING_PAYMENT},
                )
        except Exception:
            logger.exception("payment intent %s: releasing its order failed, retried next sweep", intent.pk)
            continue
        released += 1
    return released


def customer_order_method_set(*, order_id: int, method: str) -> None:
    """The customer is paying with `method` now (an online retry may switch gateways): the order says so."""
    CustomerOrder.objects.filter(pk=order_id).update(payment_method=method)


def customer_orders_claim(*, guest_id: object, user_id: int) -> int:
    """On sign-in: the guest's orders become the user's (the guest stays on them, for the record). Idempotent."""
    return CustomerOrder.objects.filter(guest_id=guest_id, user__isnull=True).update(
        user_id=user_id, updated_at=timezone.now()
    )
