"""The one status vocabulary a customer reads, and the one function that derives it.

The merchant's order (orders.states) says how far the shop is; the delivery (fulfilment.models) says where the
parcel is once it left the counter; a partner courier speaks its own words, mapped onto the delivery's by
COURIER_TO_DELIVERY. `track_status` reads both and names the step:

| merchant order                 | delivery                          | customer step      |
|--------------------------------|-----------------------------------|--------------------|
| pending_payment                | —                                 | None (not placed)  |
| placed / accepted / preparing  | —                                 | the same           |
| ready_for_pickup               | —                                 | ready_for_pickup   |
| out_for_delivery               | waiting, ready                    | ready_for_pickup   |
| out_for_delivery               | assigned                          | rider_assigned     |
| out_for_delivery               | picked_up / on_the_way / arrived  | picked_up / on_the_way / arriving |
| picked_up, delivered           | —                                 | delivered          |
| any                            | delivered / failed / returned     | the same           |
| rejected, cancelled            | —                                 | cancelled          |
| refunded                       | delivered or not                  | delivered / cancelled |
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.fulfilment.models import DeliveryStatus as D
from tenant_apps.orders.models import OrderStatus as S


class TrackStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    ACCEPTED = "accepted", _("Accepted")
    PREPARING = "preparing", _("Preparing")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    RIDER_ASSIGNED = "rider_assigned", _("Rider assigned")
    PICKED_UP = "picked_up", _("Picked up")
    ON_THE_WAY = "on_the_way", _("On the way")
    ARRIVING = "arriving", _("Arriving")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Delivery failed")
    RETURNED = "returned", _("Returned to the shop")


T = TrackStatus
# The customer's steps in the order they happen (the ended ones last): the timeline draws them in this order.
TRACK_STEPS: tuple[str, ...] = tuple(T.values)
TRACK_ENDED = frozenset({T.DELIVERED, T.CANCELLED, T.FAILED, T.RETURNED})

_BY_ORDER = {
    S.PLACED: T.PLACED,
    S.ACCEPTED: T.ACCEPTED,
    S.PREPARING: T.PREPARING,
    S.READY_FOR_PICKUP: T.READY_FOR_PICKUP,
    S.PICKED_UP: T.DELIVERED,  # collected at the counter: the customer has it
    S.DELIVERED: T.DELIVERED,
    S.REJECTED: T.CANCELLED,
    S.CANCELLED: T.CANCELLED,
}
_BY_DELIVERY = {
    D.WAITING: T.READY_FOR_PICKUP,  # the shop marked it ready before the delivery heard (same transaction)
    D.READY: T.READY_FOR_PICKUP,
    D.ASSIGNED: T.RIDER_ASSIGNED,
    D.PICKED_UP: T.PICKED_UP,
    D.ON_THE_WAY: T.ON_THE_WAY,
    D.ARRIVED: T.ARRIVING,
    D.DELIVERED: T.DELIVERED,
    D.FAILED: T.FAILED,
    D.CANCELLED: T.CANCELLED,
    D.RETURNED: T.RETURNED,
}
_DELIVERY_ENDS = {D.DELIVERED: T.DELIVERED, D.FAILED: T.FAILED, D.RETURNED: T.RETURNED}

# A partner courier's statuses (Uber Direct's words) as the delivery's.
COURIER_TO_DELIVERY: dict[str, str] = {
    "pending": D.READY,
    "pickup": D.ASSIGNED,  # a courier accepted and heads to the shop
    "pickup_complete": D.PICKED_UP,
    "dropoff": D.ON_THE_WAY,
    "delivered": D.DELIVERED,
    "canceled": D.CANCELLED,
    "returned": D.RETURNED,
}


def track_status(*, order_status: str, delivery_status: str | None) -> str | None:
    """The customer's step for a merchant order in `order_status` whose delivery is in `delivery_status` (None
    before the delivery exists). None while the order waits for its payment: the customer has not placed it yet."""
    if delivery_status in _DELIVERY_ENDS and order_status not in (S.PENDING_PAYMENT, S.REJECTED, S.CANCELLED):
        return _DELIVERY_ENDS[delivery_status]
    if delivery_status == D.RETURNED and order_status in (S.CANCELLED, S.REFUNDED):
        return T.RETURNED  # cancelled because the courier brought it back: say so
    if order_status == S.OUT_FOR_DELIVERY:
        return _BY_DELIVERY.get(delivery_status or D.WAITING, T.READY_FOR_PICKUP)
    if order_status == S.REFUNDED:
        return T.DELIVERED if delivery_status == D.DELIVERED else T.CANCELLED
    return _BY_ORDER.get(order_status)
