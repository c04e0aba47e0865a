"""Deliveries: created with their order, moved by the counter (pickup code), the shop's riders (take, picked up,
arrived, delivered with the customer's code or a photo, their position) and partner couriers
(`courier_status_apply`). Each write is one transaction that locks the merchant order, then its delivery (the
order the state machine's receivers lock them in), and ends by telling what the customer now sees: the
`tracking_changed` signal (the marketplace mirrors it and texts each step once) and a live event per channel.

Codes are 4 digits from 1000 to 9999 (no leading zero to drop when read out); a wrong code is counted, and
MAX_CODE_FAILURES wrong ones within CODE_LOCK refuse every code until the window has passed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kernel.geo import haversine_km
from shared_apps.live.services import (
    channel_branch,
    channel_delivery,
    channel_order,
    channel_riders,
    live_publish,
)
from shared_apps.payments.models import PaymentMethod
from tenant_apps.fulfilment.errors import FulfilmentError, FulfilmentErrorCode
from tenant_apps.fulfilment.models import CashCollection, Delivery, DeliveryMethod, DeliveryStatus
from tenant_apps.fulfilment.signals import tracking_changed
from tenant_apps.fulfilment.vocabulary import COURIER_TO_DELIVERY, track_status
from tenant_apps.orders.models import Fulfilment, MerchantOrder, OrderStatus
from tenant_apps.orders.states import STAFF, SYSTEM, Actor, merchant_order_transition
from tenant_apps.staff.models import Membership
from tenant_apps.staff.permissions import Perm
from tenant_apps.stores.promise import DELIVERY_HANDOVER_MINUTES, promised_time

D, S = DeliveryStatus, OrderStatus
MAX_CODE_FAILURES = 5
CODE_LOCK = timedelta(minutes=15)
POSITION_EVERY = timedelta(seconds=2)  # a phone sharing every 5-10 s never meets it; a loop in a page does
ACTIVE = (D.PICKED_UP, D.ON_THE_WAY, D.ARRIVED)  # the rider carries it: its position is shared
ENDED = (D.DELIVERED, D.FAILED, D.CANCELLED, D.RETURNED)
# The delivery's steps in order; a courier's late or repeated notice never moves a delivery backwards.
RANK = {D.WAITING: 0, D.READY: 1, D.ASSIGNED: 2, D.PICKED_UP: 3, D.ON_THE_WAY: 4, D.ARRIVED: 5}
# A partner courier's words that are not a step of the parcel: it refused the booking (logistics' "failed").
COURIER_FAILED = "failed"
# The order is still the shop's to send (a courier that gives up now leaves the delivery waiting for another).
COURIER_SENDS = (S.ACCEPTED, S.PREPARING, S.OUT_FOR_DELIVERY)
METHOD_OF = {Fulfilment.PICKUP: DeliveryMethod.PICKUP, Fulfilment.DELIVERY: DeliveryMethod.OWN_RIDER}


def code_new() -> str:
    return str(1000 + secrets.randbelow(9000))  # 1000-9999: no leading zero to lose when read out


# Promised time ----------------------------------------------------------------------------------------------


def _distance_km(from_lat, from_lng, to_lat, to_lng) -> float | None:
    if None in (from_lat, from_lng, to_lat, to_lng):
        return None  # no destination pin: the promise is the preparation alone
    return haversine_km(float(from_lat), float(from_lng), float(to_lat), float(to_lng))


def eta_estimate(*, delivery: Delivery, order: MerchantOrder, now: datetime) -> datetime:
    """When the customer gets the order, promised by the checkout's rule (tenant_apps/stores/promise.py) from where
    the delivery is now: the branch's preparation time until it is ready, then travel from the branch (or from the
    rider's last position once it is on the road)."""
    branch = delivery.branch
    if delivery.status == D.ARRIVED:
        return now + timedelta(minutes=DELIVERY_HANDOVER_MINUTES)
    delivered = delivery.method != DeliveryMethod.PICKUP
    on_the_road = delivery.status in ACTIVE and delivery.last_latitude is not None
    origin = (delivery.last_latitude, delivery.last_longitude) if on_the_road else (branch.latitude, branch.longitude)
    distance = _distance_km(*origin, order.latitude, order.longitude) if delivered else None
    preparing = delivery.status == D.WAITING and order.status not in (S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY)
    kitchen = max(filter(None, (order.placed_at, order.scheduled_for)), default=now)  # a scheduled order waits
    start = max(now, kitchen + timedelta(minutes=branch.preparation_minutes)) if preparing else now
    return promised_time(start=start, preparation_minutes=0, delivered=delivered, distance_km=distance)


def delivery_is_late(delivery: Delivery, *, now: datetime | None = None) -> bool:
    return delivery.eta is not None and delivery.status not in ENDED and (now or timezone.now()) > delivery.eta


# Telling ----------------------------------------------------------------------------------------------------


def _tell(delivery: Delivery, order: MerchantOrder, *, kind: str = "delivery.changed") -> None:
    """The customer's step and promised time, to the marketplace (signal, same transaction) and to every live
    listener (after commit). A position only goes live: the step did not change."""
    step = track_status(order_status=order.status, delivery_status=delivery.status)
    position = (
        {"lat": float(delivery.last_latitude), "lng": float(delivery.last_longitude)}
        if delivery.last_latitude is not None and delivery.status in ACTIVE
        else None
    )
    data = {
        "merchant_order_id": order.pk,
        "number": order.number,
        "step": step,
        "delivery_status": delivery.status,
        "eta": delivery.eta.isoformat() if delivery.eta else None,
        "position": position,
    }
    if kind != "delivery.position":
        tracking_changed.send(sender=Delivery, delivery=delivery, order=order, step=step)
    schema = connection.schema_name
    live_publish(
        channels=[
            channel_order(order.customer_order_id),
            channel_branch(schema, delivery.branch_id),
            channel_delivery(schema, delivery.pk),
        ],
        kind=kind,
        data=data,
    )
    if delivery.method == DeliveryMethod.OWN_RIDER and kind != "delivery.position":
        # the riders' pages refetch their lists: an assignment, a delivery ready to take, a cancelled one
        live_publish(
            channels=[channel_riders(schema, delivery.branch_id)],
            kind="delivery",
            data={"delivery_id": delivery.pk, "status": delivery.status},
        )


def _save(delivery: Delivery, order: MerchantOrder, fields: list[str], *, now: datetime) -> Delivery:
    delivery.eta = eta_estimate(delivery=delivery, order=order, now=now)
    delivery.save(update_fields=[*fields, "eta", "updated_at"])
    return delivery


def _locked(delivery_id: int) -> tuple[MerchantOrder, Delivery]:
    """The delivery's order, then the delivery, locked in that order (the state machine's receivers take them so)."""
    order_id = Delivery.objects.filter(pk=delivery_id).values_list("order_id", flat=True).first()
    order = MerchantOrder.objects.select_for_update().get(pk=order_id)
    delivery = Delivery.objects.select_for_update().select_related("branch").get(pk=delivery_id)
    return order, delivery


# Following the order ----------------------------------------------------------------------------------------


def delivery_create(*, order: MerchantOrder) -> Delivery:
    """The order's delivery, with its two codes and first promised time. Call inside the order's creation
    (orders.states' merchant_order_changed with from_status ""); a second call for the same order raises
    IntegrityError (one delivery per order)."""
    now = timezone.now()
    delivery = Delivery(
        order=order,
        branch=order.branch,
        method=METHOD_OF.get(order.fulfilment, DeliveryMethod.PARTNER),
        pickup_code=code_new(),
        handover_code=code_new(),
    )
    delivery.eta = eta_estimate(delivery=delivery, order=order, now=now)
    delivery.save()
    _tell(delivery, order)
    return delivery


def delivery_follow_order(*, order: MerchantOrder, to_status: str) -> Delivery | None:
    """The order moved (inside its transition): the delivery follows — ready at the counter or for a rider,
    handed over by the staff's own button, or stopped with the order. Then tell. None for an order made without a
    delivery (before this app, or outside checkout)."""
    delivery = Delivery.objects.select_for_update().select_related("branch").filter(order_id=order.pk).first()
    if delivery is None:
        return None
    now = timezone.now()
    fields: list[str] = []
    if to_status in (S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY) and delivery.status == D.WAITING:
        delivery.status, delivery.ready_at = D.READY, now
        fields += ["status", "ready_at"]
    elif to_status in (S.PICKED_UP, S.DELIVERED) and delivery.status not in ENDED:
        delivery.status, delivery.delivered_at = D.DELIVERED, now
        fields += ["status", "delivered_at"]
    elif to_status in (S.REJECTED, S.CANCELLED) and delivery.status not in ENDED:
        delivery.status = D.CANCELLED
        fields.append("status")
    if fields and delivery.status in ENDED:
        delivery.save(update_fields=[*fields, "updated_at"])
    elif fields:
        _save(delivery, order, fields, now=now)
    _tell(delivery, order)
    return delivery


# The counter ------------------------------------------------------------------------------------------------


def _code_check(delivery: Delivery, code: str, expected: str, *, now: datetime) -> None:
    """Refuse a locked delivery; count a wrong code in its own transaction (it must stay counted when the caller's
    work is rolled back by the error) and raise CODE_WRONG / CODE_LOCKED."""
    recent = delivery.code_failed_at is not None and now - delivery.code_failed_at < CODE_LOCK
    if recent and delivery.code_failures >= MAX_CODE_FAILURES:
        wait = int((delivery.code_failed_at + CODE_LOCK - now).total_seconds()) + 1
        raise FulfilmentError(FulfilmentErrorCode.CODE_LOCKED, field="code", retry_after=wait)
    if secrets.compare_digest((code or "").strip(), expected):
        return
    failures = delivery.code_failures + 1 if recent else 1
    Delivery.objects.filter(pk=delivery.pk).update(code_failures=failures, code_failed_at=now)
    raise FulfilmentError(FulfilmentErrorCode.CODE_WRONG, field="code")


def delivery_pickup_handover(*, delivery: Delivery, code: str, membership: Membership) -> Delivery:
    """The customer collects at the counter: the staff member types the pickup code; the order becomes picked up
    (its cash, if any, is taken then). Raises WRONG_METHOD (not a pickup), NOT_READY (not ready for pickup),
    CODE_WRONG (counted) or CODE_LOCKED (429, after MAX_CODE_FAILURES wrong codes within CODE_LOCK)."""
    now = timezone.now()
    with transaction.atomic():
        order, delivery = _locked(delivery.pk)
        if delivery.method != DeliveryMethod.PICKUP:
            raise FulfilmentError(FulfilmentErrorCode.WRONG_METHOD)
        if order.status != S.READY_FOR_PICKUP:
            raise FulfilmentError(FulfilmentErrorCode.NOT_READY)
    _code_check(delivery, code, delivery.pickup_code, now=now)
    with transaction.atomic():
        order, delivery = _locked(delivery.pk)
        merchant_order_transition(
            order=order, to=S.PICKED_UP, actor=Actor(STAFF, user_id=membership.user_id, role=membership.role)
        )
        delivery.refresh_from_db()
    return delivery


# Riders -----------------------------------------------------------------------------------------------------


def rider_can_carry(membership: Membership, delivery: Delivery) -> bool:
    return (
        membership.is_active
        and Perm.DELIVERIES_RIDE in membership.permissions
        and (membership.branch_id in (None, delivery.branch_id))
    )


def delivery_assign(*, delivery: Delivery, rider: Membership, by: Membership) -> Delivery:
    """A Branch Manager gives the delivery to one of the branch's riders (again: to another one). Raises
    WRONG_METHOD (not the shop's own delivery), RIDER_INVALID (not a rider of this branch), STEP_INVALID (already on
    the road past pickup, or ended)."""
    with transaction.atomic():
        order, delivery = _locked(delivery.pk)
        if delivery.method != DeliveryMethod.OWN_RIDER:
            raise FulfilmentError(FulfilmentErrorCode.WRONG_METHOD)
        if rider.branch_id != delivery.branch_id or not rider_can_carry(rider, delivery):
            raise FulfilmentError(FulfilmentErrorCode.RIDER_INVALID, field="rider_id")
        if delivery.status not in (D.WAITING, D.READY, D.ASSIGNED):
            raise FulfilmentError(FulfilmentErrorCode.STEP_INVALID)
        now = timezone.now()
        delivery.rider, delivery.assigned_at = rider, now
        fields = ["rider", "assigned_at"]
        if delivery.status == D.READY:
            delivery.status = D.ASSIGNED
            fields.append("status")
        _save(delivery, order, fields, now=now)
        _tell(delivery, order)
    return delivery


def delivery_take_next(*, rider: Membership) -> Delivery:
    """A free rider takes the oldest delivery of its branch that is ready and has no rider. Two riders pressing at
    once get two different deliveries, or one gets it and the other NOTHING_READY: the candidate row is locked
    with SKIP LOCKED and re-checked under the lock."""
    if rider.branch_id is None or Perm.DELIVERIES_RIDE not in rider.permissions:
        raise FulfilmentError(FulfilmentErrorCode.NOT_RIDER)
    with transaction.atomic():
        order = (
            MerchantOrder.objects.select_for_update(skip_locked=True)
            .filter(
                branch_id=rider.branch_id,
                status=S.OUT_FOR_DELIVERY,
                delivery__method=DeliveryMethod.OWN_RIDER,
                delivery__status=D.READY,
                delivery__rider__isnull=True,
            )
            .order_by("id")
            .first()
        )
        if order is None:
            raise FulfilmentError(FulfilmentErrorCode.NOTHING_READY)
        delivery = Delivery.objects.select_for_update().select_related("branch").get(order_id=order.pk)
        if delivery.rider_id is not None or delivery.status != D.READY:
            raise FulfilmentError(FulfilmentErrorCode.ALREADY_TAKEN)
        now = timezone.now()
        delivery.rider, delivery.assigned_at, delivery.status = rider, now, D.ASSIGNED
        _save(delivery, order, ["rider", "assigned_at", "status"], now=now)
        _tell(delivery, order)
    return delivery


def _rider_step(delivery_id: int, rider: Membership) -> tuple[MerchantOrder, Delivery]:
    order, delivery = _locked(delivery_id)
    if delivery.rider_id != rider.pk:
        raise FulfilmentError(FulfilmentErrorCode.NOT_RIDER)
    return order, delivery


def delivery_picked_up(*, delivery: Delivery, rider: Membership) -> Delivery:
    """The rider has the parcel. Raises NOT_RIDER (not its delivery), NOT_READY (the shop has not marked it ready),
    STEP_INVALID (not assigned)."""
    with transaction.atomic():
        order, delivery = _rider_step(delivery.pk, rider)
        if order.status != S.OUT_FOR_DELIVERY:
            raise FulfilmentError(FulfilmentErrorCode.NOT_READY)
        if delivery.status not in (D.READY, D.ASSIGNED):
            raise FulfilmentError(FulfilmentErrorCode.STEP_INVALID)
        now = timezone.now()
        delivery.status, delivery.picked_up_at = D.PICKED_UP, now
        _save(delivery, order, ["status", "picked_up_at"], now=now)
        _tell(delivery, order)
    return delivery


def delivery_arrived(*, delivery: Delivery, rider: Membership) -> Delivery:
    """The rider is at the door. Raises NOT_RIDER, STEP_INVALID (not picked up yet, or ended)."""
    with transaction.atomic():
        order, delivery = _rider_step(delivery.pk, rider)
        if delivery.status not in (D.PICKED_UP, D.ON_THE_WAY):
            raise FulfilmentError(FulfilmentErrorCode.STEP_INVALID)
        now = timezone.now()
        delivery.status, delivery.arrived_at = D.ARRIVED, now
        _save(delivery, order, ["status", "arrived_at"], now=now)
        _tell(delivery, order)
    return delivery


def cod_due(order: MerchantOrder) -> Decimal:
    """What the rider collects at the door: the order's total when paid in cash, else nothing."""
    return order.total if order.payment_method == PaymentMethod.COD and order.paid_at is None else Decimal("0.00")


def delivery_complete(*, delivery: Delivery, rider: Membership, code: str = "", photo: str = "") -> Delivery:
    """Handed over at the door: with the customer's handover code, or a photo (Cloudinary public id) when the
    customer is away. The order becomes delivered; cash on delivery is recorded against the rider (the order's COD
    due). Raises NOT_RIDER, STEP_INVALID (not picked up), PROOF_REQUIRED (neither code nor photo), CODE_WRONG
    (counted) or CODE_LOCKED."""
    now = timezone.now()
    with transaction.atomic():
        order, delivery = _rider_step(delivery.pk, rider)
        if delivery.status not in ACTIVE:
            raise FulfilmentError(FulfilmentErrorCode.STEP_INVALID)
        if not code.strip() and not photo:
            raise FulfilmentError(FulfilmentErrorCode.PROOF_REQUIRED, field="code")
    if not photo:
        _code_check(delivery, code, delivery.handover_code, now=now)
    with transaction.atomic():
        order, delivery = _rider_step(delivery.pk, rider)
        if delivery.status not in ACTIVE:
            raise FulfilmentError(FulfilmentErrorCode.STEP_INVALID)
        due = cod_due(order)
        delivery.status, delivery.delivered_at, delivery.proof_photo = D.DELIVERED, now, photo[:255]
        delivery.save(update_fields=["status", "delivered_at", "proof_photo", "updated_at"])
        if due > 0:
            CashCollection.objects.create(
                delivery=delivery, rider=rider, branch_id=delivery.branch_id, amount=due, currency=order.currency
            )
        merchant_order_transition(
            order=order, to=S.DELIVERED, actor=Actor(STAFF, user_id=rider.user_id, role=rider.role)
        )
    return delivery


@dataclass(frozen=True)
class Position:
    lat: float
    lng: float
    accuracy: float | None = None
    heading: float | None = None


def delivery_location_record(*, delivery: Delivery, rider: Membership, position: Position) -> Delivery:
    """The rider's phone says where it is: stored as the delivery's last position (a picked-up delivery is on its
    way from the first one), the promised time follows, and the order's and branch's listeners are told. Raises
    POSITION_INVALID (off the globe), NOT_RIDER, NOT_ACTIVE (not carried now), TOO_OFTEN (429: one per
    POSITION_EVERY per delivery, decided by one conditional UPDATE)."""
    p = position
    if not (-90 <= p.lat <= 90 and -180 <= p.lng <= 180):
        raise FulfilmentError(FulfilmentErrorCode.POSITION_INVALID, field="lat" if abs(p.lat) > 90 else "lng")
    if p.accuracy is not None and not 0 <= p.accuracy <= 100_000:
        raise FulfilmentError(FulfilmentErrorCode.POSITION_INVALID, field="accuracy")
    if p.heading is not None and not 0 <= p.heading <= 360:
        raise FulfilmentError(FulfilmentErrorCode.POSITION_INVALID, field="heading")
    now = timezone.now()
    with transaction.atomic():
        order, delivery = _rider_step(delivery.pk, rider)
        if delivery.status not in ACTIVE:
            raise FulfilmentError(FulfilmentErrorCode.NOT_ACTIVE)
        lat, lng = Decimal(str(round(p.lat, 6))), Decimal(str(round(p.lng, 6)))
        taken = (
            Delivery.objects.filter(pk=delivery.pk)
            .filter(Q(last_position_at__isnull=True) | Q(last_position_at__lte=now - POSITION_EVERY))
            .update(
                last_latitude=lat,
                last_longitude=lng,
                last_accuracy=p.accuracy,
                last_heading=p.heading,
                last_position_at=now,
            )
        )
        if not taken:
            raise FulfilmentError(FulfilmentErrorCode.TOO_OFTEN, retry_after=int(POSITION_EVERY.total_seconds()))
        delivery.last_latitude, delivery.last_longitude, delivery.last_position_at = lat, lng, now
        first_move = delivery.status == D.PICKED_UP
        if first_move:
            delivery.status = D.ON_THE_WAY
        _save(delivery, order, ["status"] if first_move else [], now=now)
        _tell(delivery, order, kind="delivery.changed" if first_move else "delivery.position")
    return delivery


# Partner couriers -------------------------------------------------------------------------------------------


def courier_status_apply(
    *, merchant_order_id: int, courier_status: str, eta: datetime | None = None
) -> Delivery | None:
    """A partner courier's status (its own words: COURIER_TO_DELIVERY) moves the order's delivery forward — never
    back, so a late or repeated notice changes nothing — and the order with it (picked up: out for delivery;
    delivered: delivered). `eta`: the courier's own promise, kept when given. Call in the merchant's schema.

    A courier that gives up before it has the parcel (canceled before pick-up, or a booking it refused: "failed")
    does not end the delivery while the shop still sends the order: the delivery waits again (ready, if the order is
    out), and the order page offers staff to book another courier (fulfilment/courier_booking.py). Returns the
    delivery, or None for an unknown order or status."""
    target = COURIER_TO_DELIVERY.get(courier_status)
    if courier_status == COURIER_FAILED:
        target = D.CANCELLED  # never booked: like a cancel before pick-up
    if target is None:
        return None
    with transaction.atomic():
        order = MerchantOrder.objects.select_for_update().filter(pk=merchant_order_id).first()
        delivery = (
            Delivery.objects.select_for_update().select_related("branch").filter(order_id=merchant_order_id).first()
        )
        if order is None or delivery is None:
            return None
        now = timezone.now()
        gave_up = (  # the courier let go of a parcel it never had: the delivery waits for another courier
            target == D.CANCELLED
            and order.status in COURIER_SENDS
            and delivery.status not in ENDED
            and RANK[delivery.status] < RANK[D.PICKED_UP]
        )
        if gave_up:
            target = D.READY if order.status == S.OUT_FOR_DELIVERY else D.WAITING
            moves = delivery.status != target
        else:
            moves = delivery.status not in ENDED and (target in ENDED or RANK[target] > RANK[delivery.status])
            moves = moves or (target == D.RETURNED and delivery.status in (D.CANCELLED, D.FAILED))
        delivery.courier_status = courier_status
        fields = ["courier_status"]
        if moves:
            delivery.status = target
            fields.append("status")
            stamp = {D.PICKED_UP: "picked_up_at", D.DELIVERED: "delivered_at", D.ASSIGNED: "assigned_at"}.get(target)
            if stamp:
                setattr(delivery, stamp, now)
                fields.append(stamp)
        delivery.eta = (None if gave_up else eta) or eta_estimate(delivery=delivery, order=order, now=now)
        delivery.save(update_fields=[*fields, "eta", "updated_at"])
        if moves and target in (D.PICKED_UP, D.ON_THE_WAY, D.DELIVERED) and order.status == S.PREPARING:
            order = merchant_order_transition(order=order, to=S.OUT_FOR_DELIVERY, actor=Actor(SYSTEM))
        if moves and target == D.DELIVERED and order.status == S.OUT_FOR_DELIVERY:
            order = merchant_order_transition(order=order, to=S.DELIVERED, actor=Actor(SYSTEM))
        elif moves or gave_up:  # the board hears a courier that gave up even when the customer's step stays
            _tell(delivery, order)
    return delivery
