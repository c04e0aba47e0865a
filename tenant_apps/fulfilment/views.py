"""Console pages of deliveries: the rider's phone page (/rider/: my deliveries, take the next ready one, picked up →
arrived → delivered with the customer's code or a photo) and the order page's forms (assign a rider, hand a pickup
over with its code). Views only call the access layer and the services; a refusal the person can act on (a wrong
code, nothing ready) comes back as a message on the page they came from."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kernel.errors import DomainError
from kernel.money import money
from shared_apps.live.selectors import live_last_event_id
from shared_apps.media.services import asset_upload, tenant_folder
from tenant_apps.fulfilment.courier_booking import delivery_courier_book
from tenant_apps.fulfilment.errors import FulfilmentError, FulfilmentErrorCode
from tenant_apps.fulfilment.models import Delivery, DeliveryStatus
from tenant_apps.fulfilment.selectors import ready_waiting_count, rider_channels, rider_deliveries
from tenant_apps.fulfilment.services import (
    ACTIVE,
    cod_due,
    delivery_arrived,
    delivery_assign,
    delivery_complete,
    delivery_is_late,
    delivery_picked_up,
    delivery_pickup_handover,
    delivery_take_next,
)
from tenant_apps.staff.access import access_delivery_by_id, scoped_riders
from tenant_apps.staff.pages import console_error_page, console_page
from tenant_apps.staff.permissions import Perm

D = DeliveryStatus
LOCATION_EVERY_SECONDS = 7  # the rider page shares its position this often while a delivery is on the road
REFRESH_EVERY_SECONDS = 8  # the rider page polls its list this often, only while its stream cannot connect


def _refused(request: HttpRequest, exc: DomainError, back: str) -> HttpResponse:
    """Access refusals get their page; anything else is said on the page the person came from."""
    if exc.status in (401, 403, 404) and not isinstance(exc, FulfilmentError):
        return console_error_page(request, exc)
    if exc.code == FulfilmentErrorCode.NOT_RIDER:
        return console_error_page(request, exc)
    messages.error(request, exc.message)
    return redirect(back)


def _card(delivery: Delivery) -> dict:
    order = delivery.order
    branch = delivery.branch
    dest = (order.latitude, order.longitude) if order.latitude is not None else None
    markers = [{"lat": float(branch.latitude), "lng": float(branch.longitude), "label": branch.name, "kind": "shop"}]
    if dest:
        markers.append({"lat": float(dest[0]), "lng": float(dest[1]), "label": order.address, "kind": "home"})
    if delivery.last_latitude is not None and delivery.status in ACTIVE:
        lat, lng = float(delivery.last_latitude), float(delivery.last_longitude)
        markers.append({"lat": lat, "lng": lng, "label": _("You"), "kind": "rider"})
    target = f"{dest[0]},{dest[1]}" if dest else quote(order.address)
    due = cod_due(order)
    return {
        "delivery": delivery,
        "order": order,
        "markers": json.dumps(markers),
        "directions_url": f"https://www.google.com/maps/dir/?api=1&destination={target}&travelmode=driving",
        "geo_url": f"geo:{dest[0]},{dest[1]}?q={dest[0]},{dest[1]}" if dest else "",
        "cod_label": money(due, order.currency) if due > Decimal(0) else "",
        "can_pick_up": delivery.status in (D.READY, D.ASSIGNED) and order.status == "out_for_delivery",
        "can_arrive": delivery.status in (D.PICKED_UP, D.ON_THE_WAY),
        "can_deliver": delivery.status in ACTIVE,
        "active": delivery.status in ACTIVE,
        "late": delivery_is_late(delivery),
    }


@require_GET
@console_page(Perm.DELIVERIES_RIDE)
def rider_page(request: HttpRequest) -> HttpResponse:
    rider = request.actor
    cards = [_card(delivery) for delivery in rider_deliveries(rider)]
    context = {
        "cards": cards,
        "waiting": ready_waiting_count(rider) if rider.branch_id else 0,
        "sharing": any(card["active"] for card in cards),
        "location_every": LOCATION_EVERY_SECONDS,
        "refresh_every": REFRESH_EVERY_SECONDS,
        "live_last_id": live_last_event_id(channels=rider_channels(rider)),
        "schema": connection.schema_name,
    }
    return render(request, "fulfilment/rider.html", context)


@require_POST
@console_page(Perm.DELIVERIES_RIDE)
def rider_take(request: HttpRequest) -> HttpResponse:
    """The next ready delivery of the rider's branch becomes this rider's (one winner when two press at once)."""
    try:
        delivery = delivery_take_next(rider=request.actor)
    except DomainError as exc:
        return _refused(request, exc, "/rider/")
    messages.success(request, _("Order %(number)s is yours.") % {"number": delivery.order.number})
    return redirect("/rider/")


@require_POST
@console_page(Perm.DELIVERIES_RIDE)
def rider_step(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """POST `action` = picked_up | arrived | delivered (+ `code`, or a `photo` file when the customer is away)."""
    rider = request.actor
    try:
        delivery = access_delivery_by_id(actor=rider, delivery_id=delivery_id)
        action = request.POST.get("action", "")
        if action == "picked_up":
            delivery_picked_up(delivery=delivery, rider=rider)
        elif action == "arrived":
            delivery_arrived(delivery=delivery, rider=rider)
        elif action == "delivered":
            photo = ""
            upload = request.FILES.get("photo")
            if upload is not None and not request.POST.get("code", "").strip():
                asset = asset_upload(
                    file=upload,
                    filename=upload.name,
                    folder=tenant_folder(tenant_schema=connection.schema_name, name="deliveries"),
                    tenant_schema=connection.schema_name,
                    resource_type="image",
                )
                photo = asset.public_id
            delivery_complete(delivery=delivery, rider=rider, code=request.POST.get("code", ""), photo=photo)
            messages.success(request, _("Delivered. Thank you!"))
        else:
            raise FulfilmentError(FulfilmentErrorCode.STEP_INVALID, field="action")
    except DomainError as exc:
        return _refused(request, exc, "/rider/")
    return redirect("/rider/")


@require_POST
@console_page(Perm.DELIVERIES_ASSIGN)
def delivery_assign_page(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """POST `rider_id`: a rider of the delivery's branch carries it; back to the order's page."""
    actor = request.actor
    try:
        delivery = access_delivery_by_id(actor=actor, delivery_id=delivery_id, perm=Perm.DELIVERIES_ASSIGN)
    except DomainError as exc:
        return console_error_page(request, exc)
    back = f"/orders/{delivery.order_id}/"
    rider_id = request.POST.get("rider_id", "")
    rider = scoped_riders(actor, branch_id=delivery.branch_id).filter(pk=int(rider_id) if rider_id.isdigit() else 0)
    try:
        if not rider:
            raise FulfilmentError(FulfilmentErrorCode.RIDER_INVALID, field="rider_id")
        delivery_assign(delivery=delivery, rider=rider.get(), by=actor)
    except DomainError as exc:
        return _refused(request, exc, back)
    messages.success(request, _("Rider assigned."))
    return redirect(back)


@require_POST
@console_page(Perm.ORDERS_PROCESS)
def delivery_handover_page(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """POST `code`: the customer's pickup code typed at the counter hands the order over."""
    try:
        delivery = access_delivery_by_id(actor=request.actor, delivery_id=delivery_id, perm=Perm.ORDERS_PROCESS)
    except DomainError as exc:
        return console_error_page(request, exc)
    back = f"/orders/{delivery.order_id}/"
    try:
        delivery_pickup_handover(delivery=delivery, code=request.POST.get("code", ""), membership=request.actor)
    except DomainError as exc:
        return _refused(request, exc, back)
    messages.success(request, _("Handed over."))
    return redirect(back)


@require_POST
@console_page(Perm.DELIVERIES_ASSIGN)
def delivery_courier_page(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """Book a partner courier for the order (again, after a courier gave up before pick-up); back to the order."""
    try:
        delivery = access_delivery_by_id(actor=request.actor, delivery_id=delivery_id, perm=Perm.DELIVERIES_ASSIGN)
    except DomainError as exc:
        return console_error_page(request, exc)
    back = f"/orders/{delivery.order_id}/"
    try:
        delivery_courier_book(delivery_id=delivery.pk)
    except DomainError as exc:
        return _refused(request, exc, back)
    messages.success(request, _("A courier is being booked."))
    return redirect(back)
