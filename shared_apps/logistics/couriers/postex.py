"""Intercity parcel courier with cash collection, PostEx-style (../../shared/docs/providers.md; from integrators'
code, unverified: keep the mapping tables below easy to change).

The same code talks to PostEx or to the local sandbox (sandboxes/postex.py) by settings alone: POSTEX_API_BASE
(https://api.postex.pk/services/integration/api/order), POSTEX_API_TOKEN (a static `token` header),
POSTEX_PICKUP_ADDRESS_CODE, POSTEX_FEE / POSTEX_DELIVERY_DAYS (PostEx has no quote API: the rate card is a setting).

- `POST v3/create-order {orderRefNumber, invoicePayment (COD), ...}` → `dist.trackingNumber`. PostEx has no
  idempotency key: our key is the orderRefNumber, and a repeat of one (answered "duplicate", with the existing
  trackingNumber when PostEx gives it) is DUPLICATE.
- `PUT v1/cancel-order {trackingNumber}`: only while Unbooked/Booked, else NOT_CANCELABLE.
- `GET v1/track-order/{trackingNumber}` → `transactionStatus` and a history of status codes: there are no webhooks,
  the beat poller (services.couriers_poll) asks for open parcels and applies the same monotonic transitions.
Answers carry `statusCode` ("200" = fine) and `statusMessage`; anything else is a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shared_apps.logistics.couriers.base import (
    BookingRequest,
    CourierBooking,
    CourierError,
    CourierErrorKind,
    CourierEvent,
    CourierState,
    CourierStatus,
    Quote,
    Stop,
)
from shared_apps.logistics.couriers.http_json import Answer, json_call

# History codes. Not listed (0040 return initiated, 0013's reasons, new codes) change nothing: the parcel is still
# on its way somewhere, and only a code we understand moves it.
CODES: dict[str, CourierStatus] = {
    "0001": CourierStatus.PENDING,  # at the merchant's warehouse
    "0002": CourierStatus.CANCELED,  # cancelled by the merchant
    "0003": CourierStatus.PICKUP_COMPLETE,  # at PostEx's warehouse
    "0004": CourierStatus.DROPOFF,  # en route
    "0013": CourierStatus.DROPOFF,  # a delivery attempt was made
    "0005": CourierStatus.DELIVERED,
    "0006": CourierStatus.RETURNED,  # returned to the merchant
}
# transactionStatus text, lower-cased: used when the history is empty
TEXTS: dict[str, CourierStatus] = {
    "unbooked": CourierStatus.PENDING,
    "booked": CourierStatus.PENDING,
    "cancelled": CourierStatus.CANCELED,
    "canceled": CourierStatus.CANCELED,
    "postex warehouse": CourierStatus.PICKUP_COMPLETE,
    "en-route": CourierStatus.DROPOFF,
    "out for delivery": CourierStatus.DROPOFF,
    "attempted": CourierStatus.DROPOFF,
    "delivered": CourierStatus.DELIVERED,
    "returned": CourierStatus.RETURNED,
}
CANCELABLE = frozenset({"unbooked", "booked"})


@dataclass(frozen=True)
class PostExCourier:
    """base.CourierAdapter for PostEx; `from_settings()`."""

    api_base: str
    token: str
    pickup_address_code: str
    fee: Decimal
    delivery_days: int
    timeout_seconds: float

    name = "postex"
    polled = True

    @classmethod
    def from_settings(cls) -> PostExCourier:
        return cls(
            api_base=str(settings.POSTEX_API_BASE).rstrip("/"),
            token=str(settings.POSTEX_API_TOKEN),
            pickup_address_code=str(settings.POSTEX_PICKUP_ADDRESS_CODE),
            fee=Decimal(str(settings.POSTEX_FEE)),
            delivery_days=int(settings.POSTEX_DELIVERY_DAYS),
            timeout_seconds=float(settings.COURIER_TIMEOUT_SECONDS),
        )

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = json_call(
            "postex",
            method,
            f"{self.api_base}/{path}",
            timeout=self.timeout_seconds,
            headers={"token": self.token},
            json=body,
        )
        if answer.status >= 400 or str(answer.payload.get("statusCode")) != "200":
            raise self._error(answer)
        return answer.payload

    @staticmethod
    def _error(answer: Answer) -> CourierError:
        code = str(answer.payload.get("statusCode") or f"http_{answer.status}")
        message = str(answer.payload.get("statusMessage") or "")
        dist = answer.payload.get("dist") if isinstance(answer.payload.get("dist"), dict) else {}
        lowered = message.lower()
        if code == "409" or "duplicate" in lowered:
            kind = CourierErrorKind.DUPLICATE
        elif "cancel" in lowered:
            kind = CourierErrorKind.NOT_CANCELABLE
        elif "city" in lowered or "not serviceable" in lowered:
            kind = CourierErrorKind.UNDELIVERABLE
        else:
            kind = CourierErrorKind.REJECTED
        return CourierError(
            kind, code=code, message=message, provider_id=str(dist.get("trackingNumber") or ""), raw=answer.payload
        )

    def quote(self, *, pickup: Stop, dropoff: Stop, cod_amount: Decimal = Decimal("0")) -> Quote:
        """The rate card: PostEx quotes no API price, and its fee does not expire."""
        return Quote(
            id="",
            fee=self.fee,
            currency="PKR",
            expires_at=None,
            eta=timezone.now() + timedelta(days=self.delivery_days),
        )

    def create(self, request: BookingRequest) -> CourierBooking:
        if not request.dropoff.city:
            raise CourierError(CourierErrorKind.UNDELIVERABLE, code="city", message="PostEx needs the city.")
        payload = self._call(
            "POST",
            "v3/create-order",
            {
                "orderRefNumber": request.idempotency_key,
                "invoicePayment": f"{request.cod_amount:.2f}",
                "customerName": request.dropoff.name,
                "customerPhone": request.dropoff.phone,
                "deliveryAddress": request.dropoff.address,
                "cityName": request.dropoff.city,
                "pickupAddressCode": self.pickup_address_code,
                "orderType": "Normal",
                "items": sum(item.quantity for item in request.items),
                "orderDetail": ", ".join(f"{item.quantity} x {item.name}" for item in request.items)[:500],
                "transactionNotes": request.reference,
            },
        )
        dist = payload.get("dist") if isinstance(payload.get("dist"), dict) else {}
        tracking = str(dist.get("trackingNumber") or "")
        if not tracking:
            raise CourierError(CourierErrorKind.UNAVAILABLE, code="incomplete", message="No trackingNumber.")
        return CourierBooking(provider_id=tracking, status=CourierStatus.PENDING, raw=payload)

    def cancel(self, *, provider_id: str) -> CourierStatus:
        self._call("PUT", "v1/cancel-order", {"trackingNumber": provider_id})
        return CourierStatus.CANCELED

    def status(self, *, provider_id: str) -> CourierState:
        payload = self._call("GET", f"v1/track-order/{provider_id}")
        dist = payload.get("dist") if isinstance(payload.get("dist"), dict) else {}
        history = dist.get("transactionStatusHistory") if isinstance(dist.get("transactionStatusHistory"), list) else []
        events = []
        for entry in history:
            if not isinstance(entry, dict):
                continue
            code = str(entry.get("transactionStatusMessageCode") or "")
            status = CODES.get(code)
            if status is None:
                continue
            at = str(entry.get("modifiedDatetime") or "")
            events.append(
                CourierEvent(
                    event_id=f"{provider_id}:{code}:{at}"[:160],
                    kind="status",
                    provider_id=provider_id,
                    occurred_at=parse_datetime(at) if at else None,
                    status=status,
                    raw=entry,
                )
            )
        text = str(dist.get("transactionStatus") or "").strip().lower()
        status = TEXTS.get(text) or (events[-1].status if events else None)
        if status is None:
            raise CourierError(CourierErrorKind.UNAVAILABLE, code="unknown_status", message=f"Status {text!r}.")
        return CourierState(provider_id=provider_id, status=status, events=tuple(events), raw=payload)

    def webhook_verify_parse(self, *, headers: dict[str, str], raw_body: bytes) -> list[CourierEvent]:
        raise CourierError(CourierErrorKind.INVALID, code="no_webhooks", message="PostEx sends no notifications.")
