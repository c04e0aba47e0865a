"""On-demand courier on Uber Direct's protocol (../../shared/docs/providers.md, "Partner delivery").

The same code talks to Uber or to the local sandbox (sandboxes/uberdirect.py), by settings alone: UBER_DIRECT_TOKEN_URL
(https://auth.uber.com/oauth/v2/token), UBER_DIRECT_API_BASE (https://api.uber.com), UBER_DIRECT_CUSTOMER_ID,
UBER_DIRECT_CLIENT_ID / UBER_DIRECT_CLIENT_SECRET (OAuth2 client credentials, scope eats.deliveries),
UBER_DIRECT_WEBHOOK_SIGNING_KEY, COURIER_TIMEOUT_SECONDS.

- The access token is kept per process until shortly before it expires and fetched again once when Uber answers 401
  (a token revoked or rotated early): a second 401 is a refusal.
- Money: Uber's `fee` is in minor units (paisa); Quote.fee is Decimal major units.
- Errors: 409 duplicate_delivery → DUPLICATE, 400 expired_quote → QUOTE_EXPIRED, 400 used_quote → QUOTE_USED,
  422 address_undeliverable (or undeliverable) → UNDELIVERABLE, 400 noncancelable_delivery → NOT_CANCELABLE,
  other 4xx → REJECTED, 5xx/429/transport → UNAVAILABLE.
- Webhooks `event.delivery_status` and `event.courier_update`, signed: `x-uber-signature` is the hex HMAC-SHA256 of
  the raw body with the signing key, compared in constant time before the body is even parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from kernel.jsonparse import json_loads
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

SIGNATURE_HEADER = "x-uber-signature"
TOKEN_EARLY_SECONDS = 60  # fetch a new token a minute before Uber says it ends: a request in flight must not outlive it
_MINOR = Decimal(100)

_ERRORS: dict[str, CourierErrorKind] = {
    "duplicate_delivery": CourierErrorKind.DUPLICATE,
    "expired_quote": CourierErrorKind.QUOTE_EXPIRED,
    "used_quote": CourierErrorKind.QUOTE_USED,
    "address_undeliverable": CourierErrorKind.UNDELIVERABLE,
    "undeliverable": CourierErrorKind.UNDELIVERABLE,
    "noncancelable_delivery": CourierErrorKind.NOT_CANCELABLE,
}
_BY_HTTP_STATUS = {409: CourierErrorKind.DUPLICATE, 422: CourierErrorKind.UNDELIVERABLE}

# access token per (token URL, client id): (token, monotonic deadline)
_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def status_from_uber(value: Any) -> CourierStatus | None:
    try:
        return CourierStatus(str(value or "").strip().lower())
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def signature(body: bytes, key: str) -> str:
    """Uber's x-uber-signature for `body`: hex HMAC-SHA256 keyed with the webhook signing key."""
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _address(stop: Stop) -> str:
    # Uber takes the structured address as a JSON string; one line is enough where coordinates are given.
    return json.dumps({"street_address": [stop.address], "city": stop.city, "country": "PK"})


@dataclass(frozen=True)
class UberDirectCourier:
    """base.CourierAdapter for Uber Direct. Stateless but for the process-wide token cache; `from_settings()`."""

    token_url: str
    api_base: str
    customer_id: str
    client_id: str
    client_secret: str
    signing_key: str
    timeout_seconds: float

    name = "uber"
    polled = False

    @classmethod
    def from_settings(cls) -> UberDirectCourier:
        return cls(
            token_url=str(settings.UBER_DIRECT_TOKEN_URL),
            api_base=str(settings.UBER_DIRECT_API_BASE).rstrip("/"),
            customer_id=str(settings.UBER_DIRECT_CUSTOMER_ID),
            client_id=str(settings.UBER_DIRECT_CLIENT_ID),
            client_secret=str(settings.UBER_DIRECT_CLIENT_SECRET),
            signing_key=str(settings.UBER_DIRECT_WEBHOOK_SIGNING_KEY),
            timeout_seconds=float(settings.COURIER_TIMEOUT_SECONDS),
        )

    # ---- token -----------------------------------------------------------------------------------------------------

    def _token(self, *, fresh: bool = False) -> str:
        key = (self.token_url, self.client_id)
        with _tokens_lock:
            held = _tokens.get(key)
            if held and not fresh and held[1] > time.monotonic():
                return held[0]
        answer = json_call(
            "uber",
            "POST",
            self.token_url,
            timeout=self.timeout_seconds,
            headers={},
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": "eats.deliveries",
            },
        )
        token = answer.payload.get("access_token")
        if answer.status != 200 or not isinstance(token, str) or not token:
            raise CourierError(
                CourierErrorKind.REJECTED,
                code=str(answer.payload.get("error") or f"http_{answer.status}"),
                message="Uber refused our client credentials.",
            )
        lifetime = _decimal(answer.payload.get("expires_in")) or Decimal(3600)
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(float(lifetime) - TOKEN_EARLY_SECONDS, 1.0))
        return token

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API call with the cached token; a 401 fetches a new token and tries once more."""
        url = f"{self.api_base}/v1/customers/{self.customer_id}{path}"
        answer: Answer | None = None
        for fresh in (False, True):
            headers = {"Authorization": f"Bearer {self._token(fresh=fresh)}"}
            answer = json_call("uber", method, url, timeout=self.timeout_seconds, headers=headers, json=body)
            if answer.status != 401:
                break
        assert answer is not None
        if answer.status >= 400:
            raise self._error(answer)
        return answer.payload

    @staticmethod
    def _error(answer: Answer) -> CourierError:
        code = str(answer.payload.get("code") or f"http_{answer.status}")
        kind = _ERRORS.get(code) or _BY_HTTP_STATUS.get(answer.status) or CourierErrorKind.REJECTED
        metadata = answer.payload.get("metadata")
        provider_id = str(metadata.get("delivery_id") or "") if isinstance(metadata, dict) else ""
        return CourierError(
            kind,
            code=code,
            message=str(answer.payload.get("message") or ""),
            provider_id=provider_id,
            raw=answer.payload,
        )

    # ---- base.CourierAdapter ---------------------------------------------------------------------------------------

    def quote(self, *, pickup: Stop, dropoff: Stop, cod_amount: Decimal = Decimal("0")) -> Quote:
        payload = self._call(
            "POST",
            "/delivery_quotes",
            {
                "pickup_address": _address(pickup),
                "pickup_latitude": float(pickup.latitude),
                "pickup_longitude": float(pickup.longitude),
                "pickup_phone_number": pickup.phone,
                "dropoff_address": _address(dropoff),
                "dropoff_latitude": float(dropoff.latitude),
                "dropoff_longitude": float(dropoff.longitude),
                "dropoff_phone_number": dropoff.phone,
            },
        )
        fee = _decimal(payload.get("fee"))
        if not payload.get("id") or fee is None:
            raise CourierError(CourierErrorKind.UNAVAILABLE, code="incomplete", message="No quote id or fee.")
        return Quote(
            id=str(payload["id"]),
            fee=fee / _MINOR,
            currency=str(payload.get("currency") or "PKR").upper(),
            expires_at=_when(payload.get("expires")),
            eta=_when(payload.get("dropoff_eta")),
        )

    def create(self, request: BookingRequest) -> CourierBooking:
        body = {
            "quote_id": request.quote_id,
            "idempotency_key": request.idempotency_key,
            "external_id": request.reference,
            "pickup_name": request.pickup.name,
            "pickup_address": _address(request.pickup),
            "pickup_phone_number": request.pickup.phone,
            "pickup_latitude": float(request.pickup.latitude),
            "pickup_longitude": float(request.pickup.longitude),
            "pickup_notes": request.pickup.notes,
            "dropoff_name": request.dropoff.name,
            "dropoff_address": _address(request.dropoff),
            "dropoff_phone_number": request.dropoff.phone,
            "dropoff_latitude": float(request.dropoff.latitude),
            "dropoff_longitude": float(request.dropoff.longitude),
            "dropoff_notes": request.dropoff.notes,
            "manifest_items": [
                {"name": item.name, "quantity": item.quantity, "size": "small", "price": int(item.price * _MINOR)}
                for item in request.items
            ],
        }
        return self._booking(self._call("POST", "/deliveries", body))

    def _booking(self, payload: dict[str, Any]) -> CourierBooking:
        status = status_from_uber(payload.get("status"))
        if not payload.get("id") or status is None:
            raise CourierError(CourierErrorKind.UNAVAILABLE, code="incomplete", message="No delivery id or status.")
        fee = _decimal(payload.get("fee"))
        return CourierBooking(
            provider_id=str(payload["id"]),
            status=status,
            tracking_url=str(payload.get("tracking_url") or ""),
            fee=fee / _MINOR if fee is not None else None,
            eta=_when(payload.get("dropoff_eta")),
            raw=payload,
        )

    def cancel(self, *, provider_id: str) -> CourierStatus:
        return self._booking(self._call("POST", f"/deliveries/{provider_id}/cancel")).status

    def status(self, *, provider_id: str) -> CourierState:
        payload = self._call("GET", f"/deliveries/{provider_id}")
        booking = self._booking(payload)
        location = _location(payload)
        return CourierState(
            provider_id=booking.provider_id,
            status=booking.status,
            latitude=location[0],
            longitude=location[1],
            raw=payload,
        )

    def webhook_verify_parse(self, *, headers: dict[str, str], raw_body: bytes) -> list[CourierEvent]:
        given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "")
        if not given or not self.signing_key:
            raise CourierError(CourierErrorKind.INVALID, code="unsigned", message="No x-uber-signature header.")
        if not hmac.compare_digest(given.strip().lower().encode(), signature(raw_body, self.signing_key).encode()):
            raise CourierError(CourierErrorKind.INVALID, code="bad_signature", message="The signature does not match.")
        try:
            payload = json_loads(raw_body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CourierError(CourierErrorKind.INVALID, code="not_json", message="The body is not JSON.") from exc
        if not isinstance(payload, dict):
            raise CourierError(CourierErrorKind.INVALID, code="not_an_event", message="The body is not an event.")
        return [_event(payload)]


def _location(payload: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """The courier's position in a delivery or event body (top-level `location` or `courier.location`)."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else payload
    courier = data.get("courier") if isinstance(data.get("courier"), dict) else {}
    for place in (payload.get("location"), data.get("location"), courier.get("location")):
        if isinstance(place, dict):
            lat, lng = _decimal(place.get("lat")), _decimal(place.get("lng"))
            if lat is not None and lng is not None and abs(lat) <= 90 and abs(lng) <= 180:
                return lat, lng
    return None, None


def _event(payload: dict[str, Any]) -> CourierEvent:
    kind = payload.get("kind")
    event_id = str(payload.get("event_id") or payload.get("id") or "").strip()
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    provider_id = str(payload.get("delivery_id") or data.get("id") or "").strip()
    if not event_id or not provider_id or len(event_id) > 100 or len(provider_id) > 100:
        raise CourierError(CourierErrorKind.INVALID, code="not_an_event", message="No event id or delivery id.")
    courier = data.get("courier") if isinstance(data.get("courier"), dict) else {}
    common = {
        "event_id": event_id,
        "provider_id": provider_id,
        "occurred_at": _when(payload.get("created")),
        "courier_name": str(courier.get("name") or "")[:100],
        "courier_phone": str(courier.get("phone_number") or "")[:32],
        "raw": payload,
    }
    if kind == "event.delivery_status":
        status = status_from_uber(payload.get("status") or data.get("status"))
        if status is None:
            raise CourierError(CourierErrorKind.INVALID, code="unknown_status", message="Unknown delivery status.")
        lat, lng = _location(payload)
        return CourierEvent(
            kind="status",
            status=status,
            latitude=lat,
            longitude=lng,
            imminent=bool(data.get("courier_imminent")),
            **common,
        )
    if kind == "event.courier_update":
        lat, lng = _location(payload)
        if lat is None or lng is None:
            raise CourierError(CourierErrorKind.INVALID, code="no_location", message="No courier location.")
        return CourierEvent(kind="position", latitude=lat, longitude=lng, **common)
    raise CourierError(CourierErrorKind.INVALID, code="unknown_kind", message=f"Unknown event kind {kind!r}.")
