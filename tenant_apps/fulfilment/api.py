"""Console API of deliveries: the rider's phone shares its position (contract path
`POST /api/v1/console/deliveries/{delivery_id}/location`). Only the assigned rider, only while it carries the
order, one position per 2 s per delivery; anything else is a 4xx with the error envelope and changes nothing.
The counter hands a pickup over with the customer's code (`POST /api/v1/console/deliveries/{delivery_id}/handover`:
the only way a pickup order is handed over, wrong codes counted and locked out like on the order page)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from shared_apps.accounts.auth import user_auth
from shared_apps.live.streams import live_stream_response
from tenant_apps.fulfilment.selectors import rider_channels
from tenant_apps.fulfilment.services import Position, delivery_location_record, delivery_pickup_handover
from tenant_apps.staff.access import access_console, access_delivery_by_id
from tenant_apps.staff.permissions import Perm

router = Router(auth=user_auth, tags=["deliveries"])


class LocationIn(Schema):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    accuracy: float | None = Field(default=None, ge=0, le=100_000, description="Metres, as the browser reports.")
    heading: float | None = Field(default=None, ge=0, le=360, description="Degrees clockwise from north.")


class LocationOut(Schema):
    delivery_id: int
    status: str
    eta: datetime | None
    recorded_at: datetime


@router.post("/deliveries/{delivery_id}/location", response=LocationOut)
def delivery_location(request: HttpRequest, delivery_id: int, payload: LocationIn):
    """The assigned rider's position while the delivery is picked up, on the way or arrived (409 otherwise); stored
    on the delivery and told live to the order's and branch's listeners. 429 `delivery_position_too_often` inside
    2 s of the last one."""
    actor = access_console(user=request.user, perm=Perm.DELIVERIES_RIDE)
    delivery = access_delivery_by_id(actor=actor, delivery_id=delivery_id)
    position = Position(lat=payload.lat, lng=payload.lng, accuracy=payload.accuracy, heading=payload.heading)
    delivery = delivery_location_record(delivery=delivery, rider=actor, position=position)
    return LocationOut(
        delivery_id=delivery.pk, status=delivery.status, eta=delivery.eta, recorded_at=delivery.last_position_at
    )


@router.get(
    "/riders/events",
    summary="The rider page's live events (text/event-stream)",
    openapi_extra={
        "responses": {
            200: {
                "description": (
                    "Server-Sent Events: `retry:`, the events after `Last-Event-ID` (header) or `last_event_id` "
                    "(query), then each new one as it is committed (`id:`, `event: delivery` with delivery_id and "
                    "status: one of the branch's own deliveries was assigned, became ready to take or moved), and a "
                    "`: heartbeat` comment every ~15 s."
                ),
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def rider_events(request: HttpRequest, last_event_id: int | None = None):
    """What makes a rider's list change, live, for the branch(es) of a membership with the deliver duty (anyone
    else: 403 before any stream). The events name a delivery and its status only; the page fetches what its rider
    may see."""
    actor = access_console(user=request.user, perm=Perm.DELIVERIES_RIDE)
    return live_stream_response(request, channels=rider_channels(actor))


class HandoverIn(Schema):
    code: str = Field(min_length=1, max_length=8, description="The customer's 4-digit pickup code.")


class HandoverOut(Schema):
    delivery_id: int
    order_id: int
    status: str
    order_status: str


@router.post("/deliveries/{delivery_id}/handover", response=HandoverOut)
def delivery_handover(request: HttpRequest, delivery_id: int, payload: HandoverIn):
    """A pickup ready at the counter, handed over with the customer's code: the order becomes picked up. 400
    `delivery_code_wrong` (counted), 429 `delivery_code_locked` after 5 wrong codes in 15 minutes, 409
    `delivery_not_ready` / `delivery_wrong_method` (not a pickup)."""
    actor = access_console(user=request.user, perm=Perm.ORDERS_PROCESS)
    delivery = access_delivery_by_id(actor=actor, delivery_id=delivery_id, perm=Perm.ORDERS_PROCESS)
    delivery = delivery_pickup_handover(delivery=delivery, code=payload.code, membership=actor)
    return HandoverOut(
        delivery_id=delivery.pk, order_id=delivery.order_id, status=delivery.status, order_status=delivery.order.status
    )
