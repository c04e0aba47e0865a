"""POST /api/v1/checkout: the whole cart into one order, exactly once per Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

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
    scheduled_for: datetime | None = Field(
        None,
        description="For a shop closed now: the time wanted (its next opening, or a later time within its hours; "
        "a `shop_closed` error's `details.next_opening` names the first). Omit for as soon as possible.",
    )


class CheckoutIn(Schema):
    payment_method: str = Field(description="cod | foree | jazzcash")
    contact_phone: str = Field(max_length=32)
    contact_name: str = Field("", max_length=120)
    address_id: int | None = Field(None, description="A saved address (GET /me/addresses) instead of the fields below.")
    address: str = Field("", max_length=255, description="A new delivery address: house and street.")
    address_area: str = Field("", max_length=80)
    address_city: str = Field("", max_length=80)
    address_notes: str = Field("", max_length=255, description="For the rider: gate, floor, landmark.")
    address_label: str = Field("", max_length=40, description='"Home", "Work" or your own name, to save it.')
    save_address: bool = Field(False, description="Signed in: save the new address to the account too.")
    lat: float | None = Field(None, ge=-90, le=90, description="The new address's map pin.")
    lng: float | None = Field(None, ge=-180, le=180)
    note: str = Field("", max_length=500)
    groups: list[GroupChoiceIn] = Field(default_factory=list, description="Per shop: how it reaches you, and when.")


@router.post("/checkout", response={201: OrderOut})
def checkout(
    request: HttpRequest, response: HttpResponse, payload: CheckoutIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Place the cart. A repeated request with the same Idempotency-Key and body returns the same order (header
    `Idempotent-Replayed: true`); another body with that key is 409; no key is 400. Out-of-stock lines: 409 with
    `lines`; nothing is reserved. A shop closed now: 409 `shop_closed` with `details` {group, reason, next_opening}
    — send that group again with `scheduled_for`. Each part comes back with its `promised_at`."""
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
            groups=tuple(
                GroupChoice(g.group, g.fulfilment, g.address, g.scheduled_for.isoformat() if g.scheduled_for else "")
                for g in payload.groups
            ),
            address_id=payload.address_id,
            address_area=payload.address_area,
            address_city=payload.address_city,
            address_notes=payload.address_notes,
            address_label=payload.address_label,
            save_address=payload.save_address,
        ),
    )
    if not result.replayed:
        return Status(201, order_out(result.order, parts=result.parts))  # placed just now: nothing to read back
    response["Idempotent-Replayed"] = "true"
    return Status(201, order_out(access_customer_order(shopper=shopper, order_id=result.order.pk)))
