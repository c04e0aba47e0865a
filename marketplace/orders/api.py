"""The customer's orders: GET /api/v1/orders, GET /api/v1/orders/{id}, its live events GET /api/v1/orders/{id}/events,
POST /api/v1/orders/{id}/cancel, and paying for them: GET /api/v1/orders/{id}/payment,
POST /api/v1/orders/{id}/payment/attempts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import APIKeyQuery

from kernel.idempotency import IdempotencyKeyHeader
from marketplace.cart.shoppers import shopper_of
from marketplace.orders.models import CustomerOrder, CustomerOrderPart
from marketplace.orders.selectors import access_customer_order, orders_of
from marketplace.orders.services import CustomerOrderError, CustomerOrderErrorCode, customer_order_cancel
from marketplace.orders.tracking import TrackingError, track_token_order_number
from shared_apps.accounts.auth import shopper_auth
from shared_apps.live.services import channel_order
from shared_apps.live.streams import live_stream_response
from shared_apps.payments.selectors import GATEWAYS, payment_detail
from shared_apps.payments.services import payment_attempt_start, payment_redirect

router = Router(auth=shopper_auth, tags=["orders"])


class TimelineOut(Schema):
    status: str
    label: str
    at: datetime
    note: str


class OrderLineOut(Schema):
    title: str
    variant_name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


class PartOut(Schema):
    number: str
    merchant: str
    store_name: str
    branch_name: str
    status: str
    fulfilment: str
    scheduled_for: datetime | None = Field(None, description="Wanted at this time (the shop was closed, or later).")
    promised_at: datetime | None = Field(None, description="Ready for pickup, or at the door, by this time.")
    subtotal: Decimal
    delivery_fee: Decimal
    total: Decimal
    lines: list[OrderLineOut]
    timeline: list[TimelineOut]


class DeliveryAddressOut(Schema):
    address_id: int | None = Field(None, description="The saved address it came from, if any.")
    label: str = ""
    text: str
    notes: str = ""
    latitude: float | None = None
    longitude: float | None = None


class PaymentOut(Schema):
    method: str
    status: str
    amount: Decimal
    currency: str
    expires_at: datetime | None


class OrderOut(Schema):
    id: int
    number: str
    status: str
    created_at: datetime
    contact_phone: str
    currency: str
    subtotal: Decimal
    delivery_total: Decimal
    total: Decimal
    delivery_address: DeliveryAddressOut | None = Field(None, description="Where delivered parts go, as at checkout.")
    payment: PaymentOut | None
    parts: list[PartOut]
    can_cancel: bool


class AttemptOut(Schema):
    reference: str
    gateway: str
    status: str
    amount: Decimal
    currency: str
    error_code: str
    error_message: str
    created_at: datetime


class RefundOut(Schema):
    reference: str
    amount: Decimal
    currency: str
    status: str
    reason: str
    created_at: datetime


class PaymentDetailOut(PaymentOut):
    captured_amount: Decimal
    refunded_amount: Decimal
    last_error: str
    can_pay: bool
    gateways: list[str]
    attempts: list[AttemptOut]
    refunds: list[RefundOut]


class AttemptIn(Schema):
    # An enum in the document; the service's check answers `gateway_invalid` for anything else.
    gateway: str = Field(description="The online gateway to pay through.", json_schema_extra={"enum": list(GATEWAYS)})


class RedirectOut(Schema):
    url: str
    method: str
    fields: dict[str, str]


class AttemptStartedOut(Schema):
    attempt: AttemptOut
    redirect: RedirectOut | None


class CancelIn(Schema):
    reason: str = ""


def _part(part: CustomerOrderPart) -> dict[str, Any]:
    return {
        "number": part.number,
        "merchant": part.merchant_slug,
        "store_name": part.store_name,
        "branch_name": part.branch_name,
        "status": part.status,
        "fulfilment": part.fulfilment,
        "scheduled_for": part.scheduled_for,
        "promised_at": part.promised_at,
        "subtotal": part.subtotal,
        "delivery_fee": part.delivery_fee,
        "total": part.total,
        "lines": part.lines,
        "timeline": part.timeline,
    }


def order_out(order: CustomerOrder, *, parts: list[CustomerOrderPart] | None = None) -> dict[str, Any]:
    """The API's view of an order; pass `parts` when they are at hand (a fresh checkout) to skip reading them."""
    parts = list(order.parts.all()) if parts is None else parts
    payment = getattr(order, "payment", None)
    live = [p.status for p in parts if p.status not in ("cancelled", "rejected", "refunded")]
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "created_at": order.created_at,
        "contact_phone": order.contact_phone,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "delivery_total": order.delivery_total,
        "total": order.total,
        "delivery_address": order.delivery_address or None,
        "payment": payment,
        "parts": [_part(p) for p in parts],
        "can_cancel": bool(live) and all(s in ("pending_payment", "placed") for s in live),
    }


class _OrdersPage:
    """The shopper's orders for the paginator: it takes one slice (one page, sliced in SQL, then its parts) and the
    length (a COUNT), so a long order history is never loaded whole."""

    def __init__(self, orders: QuerySet[CustomerOrder]) -> None:
        self.orders = orders

    def __len__(self) -> int:
        return self.orders.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [order_out(o) for o in self.orders[page]]


@router.get("/orders", response=list[OrderOut])
@paginate  # kernel.inputs.Pagination (NINJA_PAGINATION_CLASS): limit/offset bounded
def orders_list(request: HttpRequest):
    """The caller's orders, newest first (three queries for any page)."""
    return _OrdersPage(orders_of(shopper_of(request.auth)))


@router.get("/orders/{order_id}", response=OrderOut)
def order_detail(request: HttpRequest, order_id: int):
    """One of the caller's orders with each shop's part and its timeline; anyone else's order is 404."""
    return order_out(access_customer_order(shopper=shopper_of(request.auth), order_id=order_id))


class TrackingToken(APIKeyQuery):
    """`?token=` from the customer's tracking link (SMS): opens that one order without signing in."""

    param_name = "token"

    def authenticate(self, request: HttpRequest, key: str | None) -> TrackedOrder | None:
        if not key:
            return None
        try:
            return TrackedOrder(track_token_order_number(token=key))
        except TrackingError:  # forged, altered or expired: not a credential
            return None


class TrackedOrder(str):
    """The number of the customer order a tracking token opens (and nothing else)."""


EVENT_STREAM_DOC = {
    "responses": {
        200: {
            "description": (
                "Server-Sent Events: `retry:`, then the events after `Last-Event-ID` (header) or `last_event_id` "
                "(query), then each new event as it is committed (`id:` the event id, `event:` its kind, `data:` "
                "JSON), and a `: heartbeat` comment every ~15 s. Reconnect with the last id received to miss nothing."
            ),
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
}


@router.get(
    "/orders/{order_id}/events",
    auth=[*shopper_auth, TrackingToken()],
    openapi_extra=EVENT_STREAM_DOC,
    summary="The order's live events (text/event-stream)",
)
def order_events(request: HttpRequest, order_id: int, last_event_id: int | None = None):
    """What happens to one order, live: `status` (a shop's part moved: part, status, label), and whatever the
    delivery side tells (rider positions, ETA). The same auth as GET /orders/{order_id} (anyone else's order is 404,
    before any stream), or `?token=` from the order's tracking link."""
    if isinstance(request.auth, TrackedOrder):
        if not CustomerOrder.objects.filter(pk=order_id, number=request.auth).exists():
            raise CustomerOrderError(CustomerOrderErrorCode.NOT_FOUND)
    else:
        access_customer_order(shopper=shopper_of(request.auth), order_id=order_id)
    return live_stream_response(request, channels=[channel_order(order_id)])


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(request: HttpRequest, order_id: int, payload: CancelIn):
    """Cancel before any shop accepted it (409 order_cannot_cancel after)."""
    shopper = shopper_of(request.auth)
    order = access_customer_order(shopper=shopper, order_id=order_id)
    customer_order_cancel(order=order, user_id=shopper.user_id, reason=payload.reason)
    return order_out(access_customer_order(shopper=shopper, order_id=order_id))


@router.get("/orders/{order_id}/payment", response=PaymentDetailOut)
def order_payment(request: HttpRequest, order_id: int):
    """The order's payment: status, amounts, every attempt and refund, and whether it can be paid now."""
    return payment_detail(access_customer_order(shopper=shopper_of(request.auth), order_id=order_id).payment)


@router.post("/orders/{order_id}/payment/attempts", response={201: AttemptStartedOut})
def order_payment_attempt(
    request: HttpRequest, order_id: int, payload: AttemptIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Start paying (or pay again after a failure) through `gateway` ("foree" or "jazzcash"): the answer says where
    to send the customer (GET the url, or POST `fields` to it as a form). With an Idempotency-Key, a repeat returns
    the same attempt and starts nothing new at the provider; the key with another gateway is 409. 409 when the
    order is paid, expired or cancelled."""
    order = access_customer_order(shopper=shopper_of(request.auth), order_id=order_id)
    attempt = payment_attempt_start(intent=order.payment, gateway=payload.gateway, idempotency_key=idempotency_key)
    redirect = payment_redirect(attempt)
    return Status(201, {"attempt": attempt, "redirect": redirect})
