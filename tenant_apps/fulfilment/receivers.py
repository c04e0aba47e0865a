"""Fulfilment listens to the order's state machine: a new order gets its delivery, every move after that is
followed by the delivery (orders.states sends `merchant_order_changed` inside the move's transaction).

A partner delivery calls its courier when the order starts being prepared and cancels it when the order is stopped
(fulfilment/courier_booking.py, after the move commits).

Partner couriers (shared_apps.logistics) tell through `courier_status_changed`, sent in the public schema with the
courier's delivery row: the receiver applies the courier's status, and its promised time, in the merchant's schema.
Only the order's newest booking speaks for it: news of a booking that was replaced (the courier gave up and staff
booked another) changes nothing.
"""

from __future__ import annotations

from django.dispatch import receiver
from django_tenants.utils import schema_context

from shared_apps.logistics.selectors import courier_delivery_of_order
from shared_apps.logistics.signals import courier_status_changed
from tenant_apps.fulfilment.courier_booking import courier_follow_order
from tenant_apps.fulfilment.services import courier_status_apply, delivery_create, delivery_follow_order
from tenant_apps.orders.states import merchant_order_changed


@receiver(merchant_order_changed, dispatch_uid="fulfilment-delivery-follows-order")
def _order_changed(sender, *, order, from_status: str, to_status: str, **kwargs) -> None:
    if not from_status:
        delivery_create(order=order)
    else:
        delivery_follow_order(order=order, to_status=to_status)
        courier_follow_order(order=order, to_status=to_status)


@receiver(courier_status_changed, dispatch_uid="fulfilment-delivery-follows-courier")
def courier_status_changed_received(sender, *, delivery, from_status: str, to_status: str, **kwargs) -> None:
    """`delivery` is the courier's record (public schema): it names the merchant's schema and order."""
    newest = courier_delivery_of_order(
        merchant_schema=delivery.merchant_schema, merchant_order_id=delivery.merchant_order_id
    )
    if newest is not None and newest.pk != delivery.pk:
        return
    with schema_context(delivery.merchant_schema):
        courier_status_apply(merchant_order_id=delivery.merchant_order_id, courier_status=to_status, eta=delivery.eta)
