"""Customer orders (public schema): the mirror of each merchant part, the derived status, and the moves a customer
or the platform starts across merchants (cancel, payment success, payment timeout)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from config.errors import DomainError, ErrorCode
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.orders.notifications import order_sms_on_commit
from marketplace.orders.status import customer_status
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.states import CUSTOMER, SYSTEM, Actor, merchant_order_transition


class CustomerOrderErrorCode(ErrorCode):
    NOT_FOUND = ("order_not_found", 404, "No such order.")
    CANNOT_CANCEL = ("order_cannot_cancel", 409, "This order can no longer be cancelled: a shop has accepted it.")


class CustomerOrderError(DomainError):
    pass


def timeline_entry(status: str, note: str = "") -> dict[str, Any]:
    return {"status": status, "label": OrderStatus(status).label, "at": timezone.now().isoformat(), "note": note}


def part_notify(part: CustomerOrderPart, *, status: str, reason: str = "") -> None:
    order = part.order
    order_sms_on_commit(
        phone=order.contact_phone,
        status=status,
        number=part.number,
        store=part.store_name,
        branch=part.branch_name,
        total=str(part.total),
        currency=order.currency,
        reason=reason,
    )


def part_mirror(*, order: MerchantOrder, to_status: str, reason: str) -> None:
    """Bring the customer's view of one merchant order in line after a move (same transaction), refresh the
    customer order's derived status and text the customer. A part that is not mirrored yet is skipped."""
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
    part_notify(part, status=to_status, reason=reason)


def customer_order_status_refresh(order_id: int) -> str:
    order = CustomerOrder.objects.select_for_update().get(pk=order_id)
    status = customer_status(order.parts.values_list("status", flat=True))
    if status != order.status:
        order.status = status
        order.save(update_fields=["status", "updated_at"])
    return status


def _move_parts(order: CustomerOrder, *, to: str, actor: Actor, reason: str, only_from: set[str]) -> int:
    """Move every part now in `only_from` to `to`, merchants in id order (each in its own schema)."""
    moved = 0
    for part in order.parts.select_related("merchant").order_by("merchant_id", "id"):
        if part.status not in only_from:
            continue
        with schema_context(part.merchant.schema_name):
            merchant_order = MerchantOrder.objects.get(pk=part.merchant_order_id)
            merchant_order_transition(order=merchant_order, to=to, actor=actor, reason=reason)
        moved += 1
    return moved


def customer_order_cancel(*, order: CustomerOrder, user_id: int | None, reason: str = "") -> CustomerOrder:
    """The customer cancels before any shop accepted: every part goes to cancelled and its stock back to the shelf,
    all or nothing. Raises CANNOT_CANCEL (409) once any part has moved past placed."""
    cancellable = {OrderStatus.PENDING_PAYMENT, OrderStatus.PLACED}
    ended = {OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED}
    with transaction.atomic():
        order = CustomerOrder.objects.select_for_update().get(pk=order.pk)
        statuses = set(order.parts.values_list("status", flat=True))
        if not statuses - ended or statuses - ended - cancellable:
            raise CustomerOrderError(CustomerOrderErrorCode.CANNOT_CANCEL)
        actor = Actor(CUSTOMER, user_id=user_id)
        _move_parts(order, to=OrderStatus.CANCELLED, actor=actor, reason=reason or "Cancelled by you",
                    only_from=cancellable)  # fmt: skip
    order.refresh_from_db()
    return order


def customer_order_paid(*, order: CustomerOrder) -> int:
    """Online payment succeeded: every part waiting for payment becomes placed and its reservation a sale."""
    return _move_parts(order, to=OrderStatus.PLACED, actor=Actor(SYSTEM), reason="Payment received",
                       only_from={OrderStatus.PENDING_PAYMENT})  # fmt: skip


def customer_order_expire(*, order: CustomerOrder) -> int:
    """Payment never arrived in time: parts still waiting are cancelled and their stock released."""
    return _move_parts(order, to=OrderStatus.CANCELLED, actor=Actor(SYSTEM),
                       reason="Payment was not completed in time", only_from={OrderStatus.PENDING_PAYMENT})  # fmt: skip
