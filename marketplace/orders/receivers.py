"""Into the customer's side: every MerchantOrder move is mirrored into the customer's order (and every delivery
step into the part's tracking, texted once per step), and cash handed over is
captured on the payment, in the same transaction as the move; what payments says (a method chosen, a payment
succeeded, parts refunded) moves the order; a guest's cart and orders follow them into the account they sign in
to."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver
from django_tenants.utils import schema_context

from marketplace.cart.services import cart_merge
from marketplace.orders.models import CustomerOrderPart
from marketplace.orders.services import (
    customer_order_method_set,
    customer_order_paid,
    customer_orders_claim,
    part_mirror,
)
from marketplace.orders.tracking import tracking_mirror
from shared_apps.accounts.services import guest_claimed
from shared_apps.payments.models import PaymentMethod, PaymentPart
from shared_apps.payments.services import ONLINE, payment_cod_collected, payment_cod_dropped, payment_intent_cancel
from shared_apps.payments.signals import payment_method_chosen, payment_succeeded, refund_parts_ended
from shared_apps.payments.tasks import part_refund_task
from tenant_apps.fulfilment.signals import tracking_changed
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.orders.states import SYSTEM, Actor, allowed_next, merchant_order_changed, merchant_order_transition

HANDED_OVER = frozenset({OrderStatus.PICKED_UP, OrderStatus.DELIVERED})


@receiver(merchant_order_changed, dispatch_uid="customer-order-part-mirror")
def _mirror(sender, *, order, from_status: str, to_status: str, reason: str, **kwargs) -> None:
    if from_status:  # at creation checkout writes the part itself
        part_mirror(order=order, to_status=to_status, reason=reason)


@receiver(tracking_changed, dispatch_uid="customer-order-part-tracking")
def _tracking(sender, *, delivery, order, step: str | None, **kwargs) -> None:
    tracking_mirror(delivery=delivery, order=order, step=step)


@receiver(merchant_order_changed, dispatch_uid="customer-order-cod-collected")
def _cod_collected(sender, *, order, from_status: str, to_status: str, **kwargs) -> None:
    # A part's cash is in when it is handed over (picked up or delivered, each reached once per merchant order).
    if to_status in HANDED_OVER and from_status not in HANDED_OVER and order.payment_method == PaymentMethod.COD:
        part = PaymentPart.objects.filter(number=order.number).first()
        if part is not None:  # a merchant order made outside checkout has no payment
            payment_cod_collected(part=part)


@receiver(merchant_order_changed, dispatch_uid="customer-order-cod-dropped")
def _cod_dropped(sender, *, order, from_status: str, to_status: str, **kwargs) -> None:
    # Rejected or cancelled before hand-over: that part's cash is no longer owed.
    ended = (OrderStatus.REJECTED, OrderStatus.CANCELLED)
    if to_status in ended and from_status not in HANDED_OVER and order.payment_method == PaymentMethod.COD:
        payment_cod_dropped(customer_order_id=order.customer_order_id, amount=order.total)


@receiver(merchant_order_changed, dispatch_uid="customer-order-online-ended")
def _online_ended(sender, *, order, from_status: str, to_status: str, reason: str, **kwargs) -> None:
    """An online order's part ended. Before payment: once no part is left waiting, no payment is taken any more.
    After payment (the shop rejected it, or it was cancelled once placed): that part's money goes back, through the
    gateway, by a worker once this move commits."""
    if order.payment_method not in ONLINE or to_status not in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        return
    if from_status == OrderStatus.PENDING_PAYMENT:
        live = CustomerOrderPart.objects.filter(order_id=order.customer_order_id).exclude(
            status__in=(OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        )
        if not live.exclude(number=order.number).exists():
            payment_intent_cancel(customer_order_id=order.customer_order_id)
        return
    part_id = CustomerOrderPart.objects.filter(number=order.number).values_list("pk", flat=True).first()
    if part_id is not None:
        transaction.on_commit(lambda: part_refund_task.delay(part_id, reason or "The shop could not fill the order."))


@receiver(payment_method_chosen, dispatch_uid="customer-order-payment-method")
def _method_chosen(sender, *, intent, method: str, **kwargs) -> None:
    customer_order_method_set(order_id=intent.customer_order_id, method=method)


@receiver(payment_succeeded, dispatch_uid="customer-order-paid")
def _paid(sender, *, intent, merchant_orders: list, **kwargs) -> None:
    customer_order_paid(order=intent.customer_order, locked=merchant_orders)


@receiver(refund_parts_ended, dispatch_uid="customer-order-parts-refunded")
def _parts_refunded(sender, *, refund, part_ids: list[int], **kwargs) -> None:
    """Every rupee of these parts went back: merchant orders that ended (rejected, cancelled, handed over) are marked
    refunded; one the shop has not sent out yet is stopped first (rejected: its stock goes back), so nobody prepares
    an order that is no longer paid for. Stock of a handed-over order is not touched: returns are the merchant's
    call."""
    reason = refund.reason or "Refunded"
    for part in CustomerOrderPart.objects.filter(pk__in=part_ids).select_related("merchant"):
        with schema_context(part.merchant.schema_name), transaction.atomic():
            merchant_order = MerchantOrder.objects.select_for_update().get(pk=part.merchant_order_id)
            if OrderStatus.REJECTED in allowed_next(merchant_order, SYSTEM):
                merchant_order = merchant_order_transition(
                    order=merchant_order, to=OrderStatus.REJECTED, actor=Actor(SYSTEM), reason=f"Refunded: {reason}"
                )
            if OrderStatus.REFUNDED in allowed_next(merchant_order, SYSTEM):
                merchant_order_transition(
                    order=merchant_order, to=OrderStatus.REFUNDED, actor=Actor(SYSTEM), reason=reason
                )


@receiver(guest_claimed, dispatch_uid="customer-guest-claimed")
def _guest_claimed(sender, *, guest, user, **kwargs) -> None:
    customer_orders_claim(guest_id=guest.pk, user_id=user.pk)
    cart_merge(from_guest_id=guest.pk, into_user_id=user.pk)
