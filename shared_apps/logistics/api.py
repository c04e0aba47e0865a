"""Courier notifications: POST /api/v1/webhooks/couriers/uber on the marketplace host.

Public and unauthenticated by design, but signed: the body is verified (HMAC-SHA256 of the raw body, constant-time
compare) before anything of it is believed, stored raw under the courier's event id, and applied at once — applying
a signed fact needs no provider call, so it happens here, inside the request, exactly once. Anything that is not a
valid notification is a 4xx envelope (401 unsigned or forged, 400 unreadable, 413 too large) and changes nothing.
Ninja views are CSRF-exempt unless a cookie authenticates them; this one takes no cookie.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shared_apps.logistics.errors import LogisticsError, LogisticsErrorCode
from shared_apps.logistics.models import CourierProvider
from shared_apps.logistics.services import courier_webhook_receive

router = Router(tags=["logistics"])

MAX_BODY = 64 * 1024  # a notification is a few kilobytes; anything far larger is not one


def _headers(request: HttpRequest) -> dict[str, str]:
    return {key.lower(): value for key, value in request.headers.items()}


class ReceivedOut(Schema):
    received: int


# Read raw (the signature covers the exact bytes), so the body is described here rather than by a Schema.
_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "Uber Direct's event.delivery_status or event.courier_update.",
                "properties": {
                    "kind": {"type": "string", "enum": ["event.delivery_status", "event.courier_update"]},
                    "id": {"type": "string", "description": "The event's id: a repeat is stored once."},
                    "delivery_id": {"type": "string"},
                    "status": {"type": "string"},
                    "data": {"type": "object"},
                },
            }
        }
    },
}
_SIGNED = [
    {
        "in": "header",
        "name": "x-uber-signature",
        "required": False,
        "schema": {"type": "string"},
        "description": "Hex HMAC-SHA256 of the raw body with the webhook signing key: 401 when missing or wrong.",
    }
]


@router.post(
    "/webhooks/couriers/uber",
    auth=None,
    response=ReceivedOut,
    openapi_extra={"requestBody": _BODY, "parameters": _SIGNED},
    summary="Uber Direct notification",
)
def uber_notification(request: HttpRequest):
    """Uber Direct's `event.delivery_status` and `event.courier_update`, signed in `x-uber-signature`."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    # checked before the body is read: Django refuses (with an error of its own) bodies over its upload limit
    if not declared.isdigit() or int(declared) > MAX_BODY:
        raise LogisticsError(LogisticsErrorCode.WEBHOOK_TOO_LARGE)
    body = request.body
    if len(body) > MAX_BODY:
        raise LogisticsError(LogisticsErrorCode.WEBHOOK_TOO_LARGE)
    webhooks = courier_webhook_receive(provider=CourierProvider.UBER, headers=_headers(request), body=body)
    return {"received": len(webhooks)}
