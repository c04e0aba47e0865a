"""Into the customer's side: every MerchantOrder move is mirrored into the customer's order, and cash handed over is
captured on the payment, in the same transaction as the move; a guest's cart and orders follow them into the account
they sign in to."""

from __future__ import annotations

from django.dispatch import receiver

from marketplace.cart.services import cart_merge
from marketplace.orders.services import customer_orders_claim, part_mirror
from shared_apps.accounts.services import guest_claimed
from shared_apps.payments.models import PaymentMethod
from shared_apps.payments.services import payment_cod_collected, payment_cod_dropped
from tenant_apps.orders.models import OrderStatus
from tenant_apps.orders.states import merchant_order_changed

HANDED_OVER = frozenset({OrderStatus.PICKED_UP, OrderStatus.DELIVERED})


@receiver(merchant_order_changed, dispatch_uid="customer-order-part-mirror")
def _mirror(sender, *, order, from_status: str, to_status: str, reason: str, **kwargs) -> None:
    if from_status:  # at creation checkout writes the part itself
        part_mirror(order=order, to_status=to_status, reason=reason)


@receiver(merchant_order_changed, dispatch_uid="customer-order-cod-collected")
def _cod_collected(sender, *, order, from_status: str, to_status: str, **kwargs) -> None:
    # A part's cash is in when it is handed over (picked up or delivered, each reached once per merchant order).
    if to_status in HANDED_OVER and from_status not in HANDED_OVER and order.payment_method == PaymentMethod.COD:
        payment_cod_collected(customer_order_id=order.customer_order_id, amount=order.total)


@receiver(merchant_order_changed, dispatch_uid="customer-order-cod-dropped")
def _cod_dropped(sender, *, order, from_status: str, to_status: str, **kwargs) -> None:
    # Rejected or cancelled before hand-over: that part's cash is no longer owed.
    ended = (OrderStatus.REJECTED, OrderStatus.CANCELLED)
    if to_status in ended and from_status not in HANDED_OVER and order.payment_method == PaymentMethod.COD:
        payment_cod_dropped(customer_order_id=order.customer_order_id, amount=order.total)


@receiver(guest_claimed, dispatch_uid="customer-guest-claimed")
def _guest_claimed(sender, *, guest, user, **kwargs) -> None:
    customer_orders_claim(guest_id=guest.pk, user_id=user.pk)
    cart_merge(from_guest_id=guest.pk, into_user_id=user.pk)
