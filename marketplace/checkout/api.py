"""POST /api/v1/checkout: the whole cart into one order, exactly once per Idempotency-Key. Partner delivery is
charged at the courier's quote: POST /api/v1/checkout/quotes asks for one (202, its key), GET
/api/v1/checkout/quotes/{key} reads it (202 while the courier has not answered, 200 with the fee), and the group's
choice names it (`quote`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from kernel.idempotency import IdempotencyKeyHeader
from marketplace.cart.shoppers import shopper_of
from marketplace.checkout.services import (
    CheckoutQuote,
    CheckoutRequest,
    GroupChoice,
    QuoteStatus,
    checkout_place,
    checkout_quote,
    checkout_quote_ask,
)
from marketplace.orders.api import OrderOut, order_out
from marketplace.orders.selectors import access_customer_order
from shared_apps.accounts.auth import shopper_auth
from shared_apps.payments.models import PaymentMethod
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
    quote: str = Field(
        "",
        max_length=64,
        description="Partner delivery: the key of the courier's quote shown to the customer (POST /checkout/quotes); "
        "its fee is the fee charged. Expired: 409 `quote_expired` — ask again and show the new fee.",
    )


class CheckoutIn(Schema):
    # An enum in the document; the service's check answers `payment_method_invalid` for anything else.
    payment_method: str = Field(
        description="Cash on delivery or an online gateway.", json_schema_extra={"enum": PaymentMethod.values}
    )
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
                GroupChoice(
                    g.group,
                    g.fulfilment,
                    g.address,
                    g.scheduled_for.isoformat() if g.scheduled_for else "",
                    quote=g.quote,
                )
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


class QuoteIn(Schema):
    group: str = Field(
        description="A cart group's key, <merchant slug>:<branch id>, whose branch offers partner delivery."
    )
    address_id: int | None = Field(None, description="A saved address (GET /me/addresses) instead of the pin below.")
    address: str = Field("", max_length=255, description="A new delivery address: house and street.")
    lat: float | None = Field(None, ge=-90, le=90, description="The new address's map pin.")
    lng: float | None = Field(None, ge=-180, le=180)


class QuoteOut(Schema):
    key: str = Field(description="Send it as the group's `quote` with POST /checkout.")
    group: str
    status: str = Field(description="pending (ask again in a second) | ready | expired (ask for a new quote)")
    fee: Decimal | None = Field(None, description="What partner delivery costs this group: the fee charged.")
    currency: str | None = None
    expires_at: datetime | None = Field(None, description="The fee holds until then.")
    eta: datetime | None = Field(None, description="When the courier expects to drop it off.")


def quote_out(state: CheckoutQuote) -> QuoteOut:
    quote = state.quote
    return QuoteOut(
        key=state.key,
        group=state.group,
        status=state.status,
        fee=quote.fee if quote else None,
        currency=quote.currency if quote else None,
        expires_at=quote.expires_at if quote else None,
        eta=quote.eta if quote else None,
    )


@router.post("/checkout/quotes", response={202: QuoteOut})
def quote_ask(request: HttpRequest, payload: QuoteIn):
    """Ask the partner courier what delivering one shop group to this address costs (the courier is asked by a
    worker). 202 with the quote's `key`: read it with GET /checkout/quotes/{key}. 400 `group_unknown`,
    `fulfilment_unavailable` (no partner delivery from that branch to there), `address_required` (no pin),
    `address_unknown`."""
    shopper = shopper_of(request.auth)
    key = checkout_quote_ask(
        shopper=shopper,
        group=payload.group,
        address_id=payload.address_id,
        address=payload.address,
        lat=payload.lat,
        lng=payload.lng,
    )
    return Status(202, QuoteOut(key=key, group=payload.group, status=QuoteStatus.PENDING))


@router.get("/checkout/quotes/{key}", response={200: QuoteOut, 202: QuoteOut})
def quote_read(request: HttpRequest, key: str):
    """The quote: 202 `pending` while the courier has not answered (poll about once a second), 200 `ready` with the
    fee and until when it holds, or 200 `expired`. 422 `courier_undeliverable` (the courier does not deliver
    there), 503 `courier_quote_unavailable`, 404 `quote_not_found` (not yours, or never asked)."""
    state = checkout_quote(shopper=shopper_of(request.auth), key=key)
    return Status(202 if state.status == QuoteStatus.PENDING else 200, quote_out(state))
