"""POST /api/v1/checkout: the whole cart into one order, exactly once per Idempotency-Key."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from kernel.idempotency import IdempotencyKeyHeader
from marketplace.cart.shoppers import shopper_of
from marketplace.checkout.services import CheckoutRequest, GroupChoice, checkout_place
from marketplace.orders.api import OrderOut, order_out
from marketplace.orders.selectors import access_customer_order
from shared_apps.accounts.auth import shopper_auth
from tenant_apps.orders.models import Fulfilment

router = Router(auth=shopper_auth, tags=["checkout"])


class GroupChoiceIn(Schema):
    group: str = Field(description="A cart group's key, <merchant slug>:<branch id>.")
    fulfilment: str = Field(Fulfilment.PICKUP, pattern="^(pickup|delivery|partner)$")
    address: str = Field("", max_length=255)


class CheckoutIn(Schema):
    payment_method: str = Field(description="cod | foree | jazzcash")
    contact_phone: str = Field(max_length=32)
    contact_name: str = Field("", max_length=120)
    address: str = Field("", max_length=255, description="Delivery address for groups that do not give their own.")
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    note: str = Field("", max_length=500)
    groups: list[GroupChoiceIn] = Field(default_factory=list, description="Per shop: how it reaches you.")


@router.post("/checkout", response={201: OrderOut})
def checkout(
    request: HttpRequest, response: HttpResponse, payload: CheckoutIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Place the cart. A repeated request with the same Idempotency-Key and body returns the same order (header
    `Idempotent-Replayed: true`); another body with that key is 409; no key is 400. Out-of-stock lines: 409 with
    `lines`; nothing is reserved."""
    shopper = shopper_of(request.auth)
    result = checkout_place(
        shopper=shopper,
        idempotency_key=idempotency_key,
        request=CheckoutRequest(
            payment_method=payload.payment_method,
            contact_phone=payload.contact_phone,
            contact_name=payload.contact_name,
            address=payload.address,
            lat=payload.lat,
            lng=payload.lng,
            note=payload.note,
            groups=tuple(GroupChoice(g.group, g.fulfilment, g.address) for g in payload.groups),
        ),
    )
    if not result.replayed:
        return Status(201, order_out(result.order, parts=result.parts))  # placed just now: nothing to read back
    response["Idempotent-Replayed"] = "true"
    return Status(201, order_out(access_customer_order(shopper=shopper, order_id=result.order.pk)))
