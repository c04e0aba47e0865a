"""The one protocol every partner courier adapter implements, and the values that cross it.

Services (shared_apps/logistics/services.py) never speak a provider's dialect: they hand an adapter `Stop`s and a
manifest and get back typed values. Statuses are Uber Direct's vocabulary (`CourierStatus`): an adapter for another
courier maps its own codes onto it, so one monotonic rule (`status_may_follow`) serves every courier.

Errors: `CourierError` with a kind. The first five are the provider's refusals of a well-formed request, each with
its own way out in the services (re-quote, attach to the existing booking, tell the customer); UNAVAILABLE means no
usable answer (the outcome is unknown: the booking task retries with the same idempotency key); INVALID means an
incoming message failed verification (nothing is applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class CourierStatus(StrEnum):
    PENDING = "pending"  # accepted by the courier company, no courier on the way yet
    PICKUP = "pickup"  # a courier is on the way to the shop
    PICKUP_COMPLETE = "pickup_complete"  # the parcel is with the courier
    DROPOFF = "dropoff"  # on the way to the customer
    DELIVERED = "delivered"
    CANCELED = "canceled"
    RETURNED = "returned"  # brought back to the shop after a failed drop-off or a late cancel


# How far along a delivery is. A status applies only when it is further than the current one, so a late or repeated
# notification never moves a delivery back.
STATUS_RANK: dict[CourierStatus, int] = {
    CourierStatus.PENDING: 0,
    CourierStatus.PICKUP: 1,
    CourierStatus.PICKUP_COMPLETE: 2,
    CourierStatus.DROPOFF: 3,
    CourierStatus.CANCELED: 4,  # a parcel cancelled after pick-up still comes back: only "returned" may follow
    CourierStatus.DELIVERED: 5,
    CourierStatus.RETURNED: 5,
}
FINAL_STATUSES = frozenset({CourierStatus.DELIVERED, CourierStatus.RETURNED})


def status_may_follow(current: str, new: str) -> bool:
    """Whether `new` may replace `current` (both CourierStatus values): forward only, finals stay, and after a
    cancel only the return of the parcel."""
    current_status, new_status = CourierStatus(current), CourierStatus(new)
    if current_status in FINAL_STATUSES or current_status == new_status:
        return False
    if current_status == CourierStatus.CANCELED:
        return new_status == CourierStatus.RETURNED
    return STATUS_RANK[new_status] > STATUS_RANK[current_status]


class CourierErrorKind(StrEnum):
    QUOTE_EXPIRED = "quote_expired"  # ask for a new quote and book with it
    QUOTE_USED = "quote_used"  # the quote booked another delivery: a new quote
    DUPLICATE = "duplicate"  # this idempotency key already booked: `provider_id` names that booking when known
    UNDELIVERABLE = "undeliverable"  # the courier does not serve these addresses
    NOT_CANCELABLE = "not_cancelable"  # too late to cancel (picked up, or already final)
    REJECTED = "rejected"  # any other refusal (bad field, credentials); retrying unchanged fails again
    UNAVAILABLE = "unavailable"  # connection error, timeout, 5xx, 429: outcome unknown
    INVALID = "invalid"  # an incoming message failed verification (signature, shape)


class CourierError(Exception):
    def __init__(
        self,
        kind: CourierErrorKind,
        *,
        code: str = "",
        message: str = "",
        provider_id: str = "",
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.code = code  # the provider's code, e.g. Uber "expired_quote"
        self.message = message
        self.provider_id = provider_id  # DUPLICATE: the existing booking, when the provider says which
        self.raw = raw or {}
        super().__init__(f"{kind}: {code} {message}".strip())


@dataclass(frozen=True)
class Stop:
    """A pick-up or drop-off point: who, where, how to reach them."""

    name: str
    phone: str
    address: str
    latitude: Decimal
    longitude: Decimal
    city: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ManifestItem:
    name: str
    quantity: int
    price: Decimal = Decimal("0")  # per unit, in the order's currency


@dataclass(frozen=True)
class Quote:
    id: str  # the provider's quote id ("" for couriers that quote by rate card, e.g. PostEx)
    fee: Decimal  # in `currency`, major units (Uber sends minor units: the adapter converts)
    currency: str
    expires_at: datetime | None
    eta: datetime | None  # the promised drop-off time, when the courier gives one


@dataclass(frozen=True)
class CourierBooking:
    provider_id: str  # Uber's delivery id ("del_..."), PostEx's trackingNumber
    status: CourierStatus
    tracking_url: str = ""
    fee: Decimal | None = None
    eta: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BookingRequest:
    """Everything a courier needs to book one delivery; `idempotency_key` makes a repeat of this call a no-op."""

    idempotency_key: str
    reference: str  # our reference the courier echoes (Uber external_id, PostEx orderRefNumber)
    pickup: Stop
    dropoff: Stop
    items: tuple[ManifestItem, ...]
    quote_id: str = ""
    cod_amount: Decimal = Decimal("0")  # cash the courier collects at the door (PostEx invoicePayment)


@dataclass(frozen=True)
class CourierEvent:
    """One fact a courier told us: a status (kind "status") or a position (kind "position"). `event_id` is the
    provider's id of the notification (the dedup key); polled couriers make one from the status and its time."""

    event_id: str
    kind: str  # "status" | "position"
    provider_id: str
    occurred_at: datetime | None = None
    status: CourierStatus | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    courier_name: str = ""
    courier_phone: str = ""
    imminent: bool = False  # the courier is about to arrive (Uber's courier_imminent)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CourierState:
    """What the courier's status call says about one booking now: the truth the poller applies."""

    provider_id: str
    status: CourierStatus
    events: tuple[CourierEvent, ...] = ()  # the history, oldest first, when the courier gives one
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class CourierAdapter(Protocol):
    name: str  # "uber", "postex": CourierProvider values
    polled: bool  # True: no webhooks, the beat poller asks `status` for open bookings

    def quote(self, *, pickup: Stop, dropoff: Stop, cod_amount: Decimal = Decimal("0")) -> Quote:
        """The fee (and its validity) to carry one parcel from `pickup` to `dropoff`. Raises CourierError."""
        ...

    def create(self, request: BookingRequest) -> CourierBooking:
        """Book the delivery. Idempotent by `request.idempotency_key`: a repeat raises DUPLICATE (naming the booking
        when the courier says) and books nothing. Raises CourierError."""
        ...

    def cancel(self, *, provider_id: str) -> CourierStatus:
        """Cancel a booking; the status after. Raises CourierError (NOT_CANCELABLE when too late)."""
        ...

    def status(self, *, provider_id: str) -> CourierState:
        """The booking as the courier sees it now. Raises CourierError (UNAVAILABLE: ask again later)."""
        ...

    def webhook_verify_parse(self, *, headers: dict[str, str], raw_body: bytes) -> list[CourierEvent]:
        """Verify a notification (signature in constant time) and read its facts. Raises CourierError(INVALID)
        for a forged, unsigned or malformed one; couriers without webhooks raise it for anything."""
        ...
