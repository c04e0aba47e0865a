"""Into the shopper's history: a shop's order placed becomes the customer's purchases (a worker reads its lines after
the order commits; the request that placed it pays one task send), and a guest's history follows them into the
account they sign in to (like their cart and orders: marketplace/orders/receivers.py)."""

from __future__ import annotations

from django.db import connection, transaction
from django.dispatch import receiver

from marketplace.cart.shoppers import Shopper
from marketplace.history.tasks import order_purchases_record_task
from shared_apps.accounts.services import guest_claimed
from shared_apps.behaviour.services import shopper_history_merge
from tenant_apps.orders.models import OrderStatus
from tenant_apps.orders.states import merchant_order_changed

PLACED_FROM = ("", OrderStatus.PENDING_PAYMENT)  # placed at checkout (cash), or once an online payment succeeded


@receiver(merchant_order_changed, dispatch_uid="history-order-purchases")
def _purchases(sender, *, order, from_status: str, to_status: str, **kwargs) -> None:
    if to_status != OrderStatus.PLACED or from_status not in PLACED_FROM:
        return
    schema_name, order_id = connection.schema_name, order.pk  # the move runs in the merchant's schema
    transaction.on_commit(  # robust: a broker down loses the purchases, never fails the order that committed
        lambda: order_purchases_record_task.delay(schema_name=schema_name, merchant_order_id=order_id), robust=True
    )


@receiver(guest_claimed, dispatch_uid="history-guest-claimed")
def _guest_claimed(sender, *, guest, user, **kwargs) -> None:
    shopper_history_merge(from_shopper=Shopper(guest_id=guest.pk).key, into_shopper=Shopper(user_id=user.pk).key)
