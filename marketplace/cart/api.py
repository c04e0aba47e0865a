"""Cart API for guests and users: GET /api/v1/cart, POST /cart/items, PATCH and DELETE /cart/items/{id}."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from marketplace.cart import services
from marketplace.cart.models import CartItem
from marketplace.cart.pricing import DeliveryOption, PricedCart, PricedGroup, PricedLine, cart_price
from marketplace.cart.selectors import cart_priced_for
from marketplace.cart.shoppers import shopper_of
from shared_apps.accounts.auth import shopper_auth
from shared_apps.media.services import delivery_url

router = Router(auth=shopper_auth, tags=["cart"])


class CartLocation(Schema):
    lat: float | None = Field(None, ge=-90, le=90, description="Where the customer is: decides delivery options.")
    lng: float | None = Field(None, ge=-180, le=180)


# The bounds are the cart service's (CART_MAX_QUANTITY), which answers `quantity_invalid` outside them: the
# document states them without moving the check into the schema (that would answer the generic `invalid`).
_QUANTITY = {"minimum": 1, "maximum": settings.CART_MAX_QUANTITY}


class ItemIn(Schema):
    listing_id: int
    quantity: int = Field(1, json_schema_extra=_QUANTITY)
    surface: Literal["product", "search", "category", "reel", "cart"] | None = Field(
        None, description="Where the customer pressed 'Add to cart' (recorded with the add, for suggestions)."
    )


class QuantityIn(Schema):
    quantity: int = Field(json_schema_extra=_QUANTITY)


class LineOut(Schema):
    id: int
    listing_id: int | None
    variant_id: int
    product_id: int | None
    title: str
    variant_name: str
    image_url: str | None
    quantity: int
    unit_price: Decimal
    regular_price: Decimal | None
    currency: str
    line_total: Decimal
    available: int
    problem: str | None = Field(description="unavailable | out_of_stock | insufficient_stock, or null")
    price_changed: bool
    previous_unit_price: Decimal | None


class OptionOut(Schema):
    kind: str
    available: bool
    fee: Decimal
    reason: str | None
    min_order: Decimal


class GroupOut(Schema):
    key: str = Field(description="<merchant slug>:<branch id>; name it in checkout's `groups`.")
    merchant: str
    store_name: str
    branch_name: str
    branch_id: int
    distance_km: float | None
    lines: list[LineOut]
    subtotal: Decimal
    min_order: Decimal
    delivery_options: list[OptionOut]


class CartOut(Schema):
    groups: list[GroupOut]
    item_count: int
    subtotal: Decimal
    currency: str
    has_problems: bool
    prices_changed: bool


def _line(line: PricedLine) -> LineOut:
    listing, offer = line.item.listing, line.offer
    image = listing.image_public_id if listing else ""
    return LineOut(
        id=line.item.pk,
        listing_id=line.item.listing_id,
        variant_id=line.item.variant_id,
        product_id=offer.product_id if offer else (listing.product_id if listing else None),
        title=offer.title if offer else (listing.title if listing else "No longer listed"),
        variant_name=offer.variant_name if offer else (listing.variant_name if listing else ""),
        image_url=delivery_url(public_id=image, variant="thumb") if image else None,
        quantity=line.item.quantity,
        unit_price=line.unit_price,
        regular_price=offer.regular_price if offer else None,
        currency=line.item.currency,
        line_total=line.line_total,
        available=offer.available if offer and offer.sellable else 0,
        problem=line.problem,
        price_changed=line.price_changed,
        previous_unit_price=line.item.unit_price if line.price_changed else None,
    )


def _option(option: DeliveryOption) -> OptionOut:
    return OptionOut(**{k: getattr(option, k) for k in ("kind", "available", "fee", "reason", "min_order")})


def _group(group: PricedGroup) -> GroupOut:
    terms = group.terms
    return GroupOut(
        key=group.key,
        merchant=group.merchant.slug,
        store_name=terms.store_name if terms else "",
        branch_name=terms.branch_name if terms else "",
        branch_id=group.branch_id,
        distance_km=round(group.distance_km, 2) if group.distance_km is not None else None,
        lines=[_line(line) for line in group.lines],
        subtotal=group.subtotal,
        min_order=terms.delivery_min_order if terms else Decimal("0"),
        delivery_options=[_option(o) for o in group.options],
    )


def cart_out(priced: PricedCart) -> CartOut:
    return CartOut(
        groups=[_group(group) for group in priced.groups],
        item_count=priced.item_count,
        subtotal=priced.subtotal,
        currency=priced.currency,
        has_problems=any(line.problem for line in priced.lines),
        prices_changed=any(line.price_changed for line in priced.lines),
    )


@router.get("/cart", response=CartOut)
def cart_get(request: HttpRequest, where: Query[CartLocation]):
    """The cart grouped by shop branch, priced now from each merchant's own data. `price_changed` marks a line
    whose price moved since the customer last saw it (shown once)."""
    priced = cart_priced_for(shopper_of(request.auth), lat=where.lat, lng=where.lng)
    return cart_out(priced)


@router.post("/cart/items", response={201: LineOut})
def cart_item_add(request: HttpRequest, payload: ItemIn):
    shopper = shopper_of(request.auth)
    item = services.cart_item_add(
        shopper=shopper, listing_id=payload.listing_id, quantity=payload.quantity, surface=payload.surface or ""
    )
    return Status(201, _item_out(item.pk))


@router.patch("/cart/items/{item_id}", response=LineOut)
def cart_item_update(request: HttpRequest, item_id: int, payload: QuantityIn):
    shopper = shopper_of(request.auth)
    item = services.cart_item_update(shopper=shopper, item_id=item_id, quantity=payload.quantity)
    return _item_out(item.pk)


@router.delete("/cart/items/{item_id}", response={204: None})
def cart_item_remove(request: HttpRequest, item_id: int):
    services.cart_item_remove(shopper=shopper_of(request.auth), item_id=item_id)
    return Status(204, None)


def _item_out(item_id: int) -> LineOut:
    item = CartItem.objects.select_related("merchant", "listing").get(pk=item_id)
    return _line(cart_price([item]).lines[0])
