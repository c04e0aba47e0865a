"""Partner couriers for the merchant's deliveries: when a courier is called for an order, which courier, what it is
told, and what happens to the booking when the order is stopped or the courier gives up.

| the order moves to     | delivery method partner                                                              |
|------------------------|--------------------------------------------------------------------------------------|
| preparing              | a courier is booked (`delivery_courier_book`, after the move commits)                |
| rejected / cancelled   | its open booking is cancelled (`courier_cancel_request`, after the move commits)     |
| the courier cancels    | before pick-up the delivery waits again and staff get "Book another courier" on the  |
|                        | order page (`courier_status_apply`); never rebooked by itself: a courier that gave   |
|                        | up may be telling us the address or the parcel is the problem, a person decides      |

Why preparing, not accepted: a courier is on its way minutes after it is booked, and the branch's preparation time
runs from when the kitchen starts, not from when the order was accepted (a busy shop accepts a queue of orders
before it starts on them). Booked when preparation starts, the courier reaches the counter about when the order is
ready instead of waiting there through the queue; every order passes through preparing (the state machine has no
way around it), so none is left without a courier.

Which courier (`courier_provider_for`): the on-demand courier (FULFILMENT_COURIER_LOCAL) when the door is within
FULFILMENT_COURIER_LOCAL_KM of the branch in a straight line, the intercity parcel courier
(FULFILMENT_COURIER_INTERCITY, cash collection, tracked by polling) beyond it: a city's on-demand riders do not
drive to another city, and a parcel courier's day-long rounds are too slow for a neighbourhood order.

No provider is called here: `shared_apps.logistics` stores the booking with its idempotency key and a worker books it.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from kernel.errors import DomainError
from kernel.geo import haversine_km
from shared_apps.logistics.couriers.base import ManifestItem, Quote, Stop
from shared_apps.logistics.errors import LogisticsError
from shared_apps.logistics.models import CourierDelivery
from shared_apps.logistics.models import DeliveryStatus as CourierState
from shared_apps.logistics.selectors import courier_delivery_of_order
from shared_apps.logistics.services import courier_cancel_request, courier_delivery_request
from tenant_apps.fulfilment.errors import FulfilmentError, FulfilmentErrorCode
from tenant_apps.fulfilment.models import Delivery, DeliveryMethod, DeliveryStatus
from tenant_apps.fulfilment.services import ENDED, RANK, _locked, cod_due
from tenant_apps.orders.models import MerchantOrder, OrderStatus
from tenant_apps.stores.models import Branch

logger = logging.getLogger(__name__)
D, S = DeliveryStatus, OrderStatus
BOOK_ON = S.PREPARING  # see the module docstring: the courier arrives as the order is ready
# The order is still the shop's to send: a courier may be (re)booked in these statuses only.
COURIER_CALLABLE = (S.ACCEPTED, S.PREPARING, S.OUT_FOR_DELIVERY)
# A booking in these courier states is live: another one is not made beside it.
COURIER_LIVE = frozenset({CourierState.REQUESTED, CourierState.PENDING, CourierState.PICKUP})
# A courier that gave up before pick-up (or never took the booking): staff may book another.
COURIER_GAVE_UP = frozenset({CourierState.CANCELED, CourierState.FAILED})


def courier_provider_for(*, branch: Branch, latitude: Decimal, longitude: Decimal) -> str:
    """The courier for a parcel from `branch` to the point: on-demand within FULFILMENT_COURIER_LOCAL_KM, the
    intercity parcel courier beyond (straight-line distance; the module docstring says why)."""
    km = haversine_km(float(branch.latitude), float(branch.longitude), float(latitude), float(longitude))
    if km <= settings.FULFILMENT_COURIER_LOCAL_KM:
        return settings.FULFILMENT_COURIER_LOCAL
    return settings.FULFILMENT_COURIER_INTERCITY


def _pickup(branch: Branch, order: MerchantOrder) -> Stop:
    store = branch.store
    return Stop(
        name=f"{store.name} · {branch.name}"[:100],
        phone=branch.phone or store.phone,
        address=", ".join(part for part in (branch.address, branch.area) if part),
        latitude=branch.latitude,
        longitude=branch.longitude,
        city=branch.city,
        notes=_("Order %(number)s") % {"number": order.number},
    )


# The drop-off's city, which a parcel courier needs and the order does not carry (an address is one line): the city
# whose centre is nearest the customer's pin, within CITY_REACH_KM. Cities the parcel courier serves.
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "Lahore": (31.5204, 74.3587),
    "Karachi": (24.8607, 67.0011),
    "Islamabad": (33.6844, 73.0479),
    "Rawalpindi": (33.5651, 73.0169),
    "Faisalabad": (31.4504, 73.1350),
    "Multan": (30.1575, 71.5249),
    "Peshawar": (34.0151, 71.5249),
    "Quetta": (30.1798, 66.9750),
    "Sialkot": (32.4945, 74.5229),
    "Gujranwala": (32.1877, 74.1945),
    "Hyderabad": (25.3960, 68.3578),
}
CITY_REACH_KM = 40.0  # a city's suburbs; farther out the parcel courier is told no city and refuses


def city_of(*, latitude: Decimal, longitude: Decimal) -> str:
    """The city (CITY_CENTRES) whose centre is nearest the point, "" when none is within CITY_REACH_KM."""
    lat, lng = float(latitude), float(longitude)
    km, city = min((haversine_km(lat, lng, *centre), name) for name, centre in CITY_CENTRES.items())
    return city if km <= CITY_REACH_KM else ""


def _dropoff(order: MerchantOrder, branch: Branch, provider: str) -> Stop:
    local = provider == settings.FULFILMENT_COURIER_LOCAL
    return Stop(
        name=order.customer_name or order.customer_phone,
        phone=order.customer_phone,
        address=order.address,
        latitude=order.latitude,
        longitude=order.longitude,
        city=branch.city if local else city_of(latitude=order.latitude, longitude=order.longitude),
        notes=order.note[:255],
    )


def _items(order: MerchantOrder) -> list[ManifestItem]:
    return [
        ManifestItem(
            name=f"{line.title} {line.variant_name}".strip()[:120], quantity=line.quantity, price=line.unit_price
        )
        for line in order.lines.all()
    ]


def delivery_courier_book(*, delivery_id: int) -> CourierDelivery:
    """Call a partner courier for the delivery: the branch is the pickup, the customer's address (with its map
    position) the drop-off, the order's lines the manifest, and the cash due on a cash order is collected at the door.
    The booking itself runs in a worker once this commits (shared_apps.logistics). One live booking per order: while
    one is live this raises COURIER_BOOKED. Raises FulfilmentError WRONG_METHOD (not a partner delivery),
    COURIER_NOT_NOW (the order is not the shop's to send, or the parcel left), COURIER_NO_ADDRESS,
    COURIER_UNAVAILABLE (no such courier configured)."""
    with transaction.atomic():
        order, delivery = _locked(delivery_id)
        if delivery.method != DeliveryMethod.PARTNER:
            raise FulfilmentError(FulfilmentErrorCode.WRONG_METHOD)
        if (
            order.status not in COURIER_CALLABLE
            or delivery.status in ENDED
            or RANK[delivery.status] >= RANK[D.PICKED_UP]
        ):
            raise FulfilmentError(FulfilmentErrorCode.COURIER_NOT_NOW)
        if order.latitude is None or order.longitude is None:
            raise FulfilmentError(FulfilmentErrorCode.COURIER_NO_ADDRESS, field="address")
        schema = connection.schema_name
        current = courier_delivery_of_order(merchant_schema=schema, merchant_order_id=order.pk)
        if current is not None and current.status not in COURIER_GAVE_UP:
            raise FulfilmentError(FulfilmentErrorCode.COURIER_BOOKED)
        branch = Branch.objects.select_related("store").get(pk=delivery.branch_id)
        provider = courier_provider_for(branch=branch, latitude=order.latitude, longitude=order.longitude)
        try:
            booking = courier_delivery_request(
                provider=provider,
                merchant_schema=schema,
                merchant_order_id=order.pk,
                customer_order_id=order.customer_order_id,
                merchant_delivery_id=delivery.pk,
                pickup=_pickup(branch, order),
                dropoff=_dropoff(order, branch, provider),
                items=_items(order),
                cod_amount=cod_due(order),
                quote=_quote_shown(order, provider),
            )
        except LogisticsError as error:
            raise FulfilmentError(FulfilmentErrorCode.COURIER_UNAVAILABLE) from error
        delivery.courier_status = booking.status
        delivery.save(update_fields=["courier_status", "updated_at"])
    return booking


def _quote_shown(order: MerchantOrder, provider: str) -> Quote | None:
    """The quote the customer accepted at checkout (its fee is what was charged), for the courier it came from; an
    expired one is replaced by the booking task (shared_apps/logistics)."""
    if not order.courier_quote_id or provider != settings.CHECKOUT_COURIER:
        return None
    return Quote(
        id=order.courier_quote_id,
        fee=order.courier_fee,
        currency=order.currency,
        expires_at=order.courier_quote_expires_at,
        eta=None,
    )


def delivery_courier_cancel(*, order: MerchantOrder) -> CourierDelivery | None:
    """The order was stopped: its live courier booking is cancelled (not booked yet: never booked; booked: a worker
    cancels it at the courier). Idempotent; None when there is nothing to cancel. Raises LogisticsError
    NOT_CANCELABLE when the courier already has the parcel (it comes back as returned)."""
    current = courier_delivery_of_order(merchant_schema=connection.schema_name, merchant_order_id=order.pk)
    if current is None or current.status not in COURIER_LIVE:
        return None
    return courier_cancel_request(delivery=current)


def _after_commit(schema: str, work, what: str, order_id: int) -> None:
    """Run `work` in the merchant's schema once the order's move committed. A refusal is logged, never raised: the
    move is done, and the order page shows the courier's state (and the button to book one) either way."""
    try:
        with schema_context(schema):
            work()
    except (DomainError, CourierDelivery.DoesNotExist, Delivery.DoesNotExist, MerchantOrder.DoesNotExist) as error:
        logger.warning("order %s in %s: courier %s not done: %s", order_id, schema, what, error)


def courier_follow_order(*, order: MerchantOrder, to_status: str) -> None:
    """The order moved (inside its transition): when it starts being prepared, a partner delivery books its courier;
    when it is rejected or cancelled, its booking is cancelled. Both after the move commits, so a refusal never
    undoes the move, and nothing is booked for a move that rolled back."""
    if to_status not in (BOOK_ON, S.REJECTED, S.CANCELLED):
        return
    delivery = Delivery.objects.filter(order_id=order.pk, method=DeliveryMethod.PARTNER).only("pk").first()
    if delivery is None:
        return
    schema = connection.schema_name
    if to_status == BOOK_ON:
        work = partial(delivery_courier_book, delivery_id=delivery.pk)
        transaction.on_commit(partial(_after_commit, schema, work, "booking", order.pk))
    else:
        work = partial(delivery_courier_cancel, order=order)
        transaction.on_commit(partial(_after_commit, schema, work, "cancel", order.pk))


def courier_may_be_booked(*, order: MerchantOrder, delivery: Delivery, courier: CourierDelivery | None) -> bool:
    """Whether the order page offers "Book a courier": a partner delivery the shop still sends, not yet picked up,
    with no courier booking or one the courier gave up on (cancelled before pick-up, refused)."""
    return (
        delivery.method == DeliveryMethod.PARTNER
        and order.status in COURIER_CALLABLE
        and delivery.status not in ENDED
        and RANK[delivery.status] < RANK[D.PICKED_UP]
        and (courier is None or courier.status in COURIER_GAVE_UP)
    )
