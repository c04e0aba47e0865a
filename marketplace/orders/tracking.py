"""Following an order: the customer's mirror of each part's delivery, one text per step with a tracking link, and
the link itself — a signed token that opens that one order's tracking page without signing in, until it expires.

The merchant's delivery tells (tenant_apps/fulfilment/signals.py: `tracking_changed`, inside its transaction);
`tracking_mirror` writes the part's PartTracking and, the first time a step is told, a TrackingNotice row whose
unique (number, step) makes the step's SMS go out once however often the step is told again.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import qrcode
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from qrcode.image.svg import SvgPathImage

from kernel.errors import DomainError, ErrorCode
from kernel.money import money
from marketplace.orders.models import CustomerOrder, PartTracking, TrackingNotice
from shared_apps.accounts.models import User
from shared_apps.sms.tasks import sms_send_on_commit
from tenant_apps.fulfilment.models import Delivery, DeliveryMethod
from tenant_apps.fulfilment.vocabulary import TrackStatus as T
from tenant_apps.orders.models import MerchantOrder, OrderStatus

TRACK_SIGNING_SALT = "planckly.orders.track"
PICKUP_FLOW = (T.PLACED, T.ACCEPTED, T.PREPARING, T.READY_FOR_PICKUP, T.DELIVERED)
DELIVERY_FLOW = (T.PLACED, T.ACCEPTED, T.PREPARING, T.READY_FOR_PICKUP, T.RIDER_ASSIGNED, T.PICKED_UP)
DELIVERY_FLOW += (T.ON_THE_WAY, T.ARRIVING, T.DELIVERED)


class TrackingErrorCode(ErrorCode):
    LINK_INVALID = ("tracking_link_invalid", 404, "This tracking link is not valid.")
    LINK_EXPIRED = ("tracking_link_expired", 410, "This tracking link has expired. Open the order from your account.")


class TrackingError(DomainError):
    pass


# The link ---------------------------------------------------------------------------------------------------


def track_token_issue(*, customer_order_number: str) -> str:
    return signing.TimestampSigner(salt=TRACK_SIGNING_SALT).sign_object({"o": customer_order_number})


def track_link(*, customer_order_number: str) -> str:
    base = settings.TRACK_LINK_BASE_URL.rstrip("/")
    return f"{base}/track/{track_token_issue(customer_order_number=customer_order_number)}"


def track_token_order_number(*, token: str) -> str:
    """The customer order number a tracking token names. Raises LINK_INVALID (404: forged or altered) or
    LINK_EXPIRED (410: older than TRACK_LINK_MAX_AGE_HOURS)."""
    max_age = timedelta(hours=settings.TRACK_LINK_MAX_AGE_HOURS)
    try:
        payload = signing.TimestampSigner(salt=TRACK_SIGNING_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TrackingError(TrackingErrorCode.LINK_EXPIRED) from exc
    except signing.BadSignature as exc:
        raise TrackingError(TrackingErrorCode.LINK_INVALID) from exc
    number = payload.get("o") if isinstance(payload, dict) else None
    if not isinstance(number, str):
        raise TrackingError(TrackingErrorCode.LINK_INVALID)
    return number


def track_order_by_token(*, token: str) -> CustomerOrder:
    """The one order a tracking token names. Raises LINK_INVALID (404: forged or altered, or no such order) or
    LINK_EXPIRED (410: older than TRACK_LINK_MAX_AGE_HOURS)."""
    number = track_token_order_number(token=token)
    order = CustomerOrder.objects.filter(number=number).select_related("payment").prefetch_related("parts").first()
    if order is None:
        raise TrackingError(TrackingErrorCode.LINK_INVALID)
    return order


# The texts --------------------------------------------------------------------------------------------------


def _step_text(step: str, *, order: MerchantOrder, tracking: PartTracking, store: str, branch: str) -> str:
    pickup = tracking.method == DeliveryMethod.PICKUP
    fields = {
        "number": order.number,
        "store": store,
        "branch": branch,
        "total": money(order.total, order.currency),
        "reason": order.reason,
        "code": tracking.pickup_code,
        "handover": tracking.handover_code,
        "rider": tracking.rider_name or _("A rider"),
    }
    texts = {
        T.PLACED: _("Planckly: your order {number} at {store} is placed. Total {total}."),
        T.ACCEPTED: _("Planckly: {store} accepted your order {number}."),
        T.PREPARING: _("Planckly: {store} is preparing your order {number}."),
        T.READY_FOR_PICKUP: _("Planckly: your order {number} is ready for pickup at {store}, {branch}. Code {code}.")
        if pickup
        else _("Planckly: your order {number} from {store} is ready and waits for its rider."),
        T.RIDER_ASSIGNED: _("Planckly: {rider} will bring your order {number} from {store}."),
        T.PICKED_UP: _("Planckly: your order {number} left {store}. Your handover code is {handover}."),
        T.ON_THE_WAY: _("Planckly: your order {number} from {store} is on its way."),
        T.ARRIVING: _("Planckly: your rider is at your door with order {number}. Handover code {handover}."),
        T.DELIVERED: _("Planckly: you picked up order {number} from {store}. Thank you!")
        if pickup
        else _("Planckly: your order {number} from {store} was delivered. Thank you!"),
        T.CANCELLED: _("Planckly: {store} could not take your order {number}: {reason}")
        if order.status == OrderStatus.REJECTED
        else _("Planckly: your order {number} at {store} was cancelled. {reason}"),
        T.FAILED: _("Planckly: your order {number} from {store} could not be delivered. The shop will call you."),
        T.RETURNED: _("Planckly: your order {number} went back to {store}."),
    }
    return texts[step].format(**fields).strip()


# The mirror -------------------------------------------------------------------------------------------------


def _rider_name(delivery: Delivery) -> str:
    if delivery.rider_id is None:
        return ""
    user_id = delivery.rider.user_id
    return User.objects.filter(pk=user_id).values_list("name", flat=True).first() or ""


def tracking_mirror(*, delivery: Delivery, order: MerchantOrder, step: str | None) -> PartTracking:
    """The customer's view of one delivery after a change (same transaction), and the step's text with the
    tracking link the first time the step is told. A text that cannot be queued is logged, never raised
    (shared_apps/sms)."""
    on_road = delivery.last_latitude is not None and step in (T.PICKED_UP, T.ON_THE_WAY, T.ARRIVING)
    values: dict[str, Any] = {
        "customer_order_id": order.customer_order_id,
        "step": step or "",
        "method": delivery.method,
        "pickup_code": delivery.pickup_code,
        "handover_code": delivery.handover_code,
        "eta": delivery.eta,
        "rider_name": _rider_name(delivery),
        "shop_latitude": delivery.branch.latitude,
        "shop_longitude": delivery.branch.longitude,
        "latitude": order.latitude,
        "longitude": order.longitude,
        "rider_latitude": delivery.last_latitude if on_road else None,
        "rider_longitude": delivery.last_longitude if on_road else None,
    }
    tracking, _created = PartTracking.objects.update_or_create(number=order.number, defaults=values)
    if step and order.customer_phone:
        try:
            with transaction.atomic():  # a savepoint: the duplicate's error must not end the caller's transaction
                TrackingNotice.objects.create(number=order.number, step=step)
        except IntegrityError:
            return tracking  # told before: texted then
        store = delivery.branch.store.name
        body = _step_text(step, order=order, tracking=tracking, store=store, branch=delivery.branch.name)
        link = track_link(customer_order_number=order.customer_order_number)
        sms_send_on_commit(to=order.customer_phone, body=f"{body} {_('Track')}: {link}")
    return tracking


# What a page shows ------------------------------------------------------------------------------------------


def qr_svg(text: str) -> str:
    """`text` as a QR code in inline SVG, drawn on the server (no script, prints sharp)."""
    return qrcode.make(text, image_factory=SvgPathImage, box_size=8, border=2).to_string(encoding="unicode")


def tracking_view(tracking: PartTracking | None, *, now=None) -> dict[str, Any] | None:
    """One part's tracking as the order and tracking pages draw it: the steps that apply (done, current, to come),
    the promised time, the codes and QR, and the map's markers."""
    if tracking is None or not tracking.step:
        return None
    now = now or timezone.now()
    pickup = tracking.method == DeliveryMethod.PICKUP
    flow = list(PICKUP_FLOW if pickup else DELIVERY_FLOW)
    if tracking.step not in flow:
        flow = [*flow[: flow.index(T.PREPARING) + 1], tracking.step]  # cancelled, failed, returned end it there
    current = flow.index(tracking.step)
    ended = tracking.step in (T.DELIVERED, T.CANCELLED, T.FAILED, T.RETURNED)
    markers = []
    if tracking.shop_latitude is not None:
        markers.append({"lat": float(tracking.shop_latitude), "lng": float(tracking.shop_longitude), "kind": "shop"})
    if tracking.latitude is not None and not pickup:
        markers.append({"lat": float(tracking.latitude), "lng": float(tracking.longitude), "kind": "home"})
    if tracking.rider_latitude is not None:
        markers.append({"lat": float(tracking.rider_latitude), "lng": float(tracking.rider_longitude), "kind": "rider"})
    return {
        "number": tracking.number,
        "step": tracking.step,
        "step_label": T(tracking.step).label,
        "steps": [
            {"key": s, "label": T(s).label, "state": "done" if i < current else "now" if i == current else "next"}
            for i, s in enumerate(flow)
        ],
        "pickup": pickup,
        "eta": None if ended else tracking.eta,
        "late": not ended and tracking.eta is not None and now > tracking.eta,
        "pickup_code": tracking.pickup_code if pickup and not ended else "",
        "pickup_qr": qr_svg(tracking.pickup_code) if pickup and not ended else "",
        "handover_code": tracking.handover_code if not pickup and not ended else "",
        "rider_name": tracking.rider_name,
        "markers": markers,
        "markers_json": json.dumps(markers),
    }
