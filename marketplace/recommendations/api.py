"""GET /api/v1/recommendations: a recommendation shelf for the caller at a location. Anyone may call it; the shopper
is the caller's Bearer token (user or guest), else its session, else nobody (the home shelf is then the cold-start
one). The cart shelf reads the caller's cart; the order shelf only the caller's own order (anyone else's: 404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from kernel.inputs import query_parse
from kernel.openapi import query_parameters
from marketplace.cart.shoppers import shopper_key_of_request
from marketplace.recommendations.errors import RecommendationError, RecommendationErrorCode
from marketplace.recommendations.selectors import SHELF_SIZE, Shelf, ShelfQuery, shelf_for
from marketplace.recommendations.services import shelf_shown
from shared_apps.behaviour.models import Surface

router = Router(tags=["recommendations"])

MAX_ID = 2**63 - 1  # the ids are bigint columns
_SHELVES = {
    ("home", None): Surface.HOME,
    ("product", "similar"): Surface.PRODUCT_SIMILAR,
    ("product", None): Surface.PRODUCT_SIMILAR,
    ("product", "together"): Surface.PRODUCT_TOGETHER,
    ("cart", None): Surface.CART_ADDONS,
    ("order", None): Surface.ORDER,
}


class RecommendationQuery(Schema):
    surface: Literal["home", "product", "cart", "order"] = Field(
        description="home: for you near you; product: beside a product (`product`); cart: add-ons for the caller's "
        "cart; order: beside the caller's own order (`order`)."
    )
    lat: float = Field(ge=-90, le=90, description="The customer's latitude.")
    lng: float = Field(ge=-180, le=180, description="The customer's longitude.")
    product: str | None = Field(
        None,
        max_length=41,
        pattern=r"^[0-9]{1,19}:[0-9]{1,19}$",
        description="surface=product: the item, `<merchant_id>:<product_id>`.",
    )
    shelf: Literal["similar", "together"] | None = Field(
        None, description="surface=product: `similar` (similar nearby, the default) or `together` (often bought "
        "together)."
    )  # fmt: skip
    order: int | None = Field(None, ge=1, le=MAX_ID, description="surface=order: the id of one of the caller's orders.")
    limit: int = Field(SHELF_SIZE, ge=1, le=24, description="At most this many products.")


class ShelfItemOut(Schema):
    merchant_id: int
    product_id: int = Field(description="With merchant_id, the item: every branch and variant of one product.")
    listing_id: int = Field(description="The nearest listing in stock (what an add to cart names).")
    title: str
    variant_name: str
    price: Decimal
    regular_price: Decimal
    currency: str
    store: str = Field(description="The shop's name.")
    merchant: str = Field(description="The shop's slug.")
    branch: str = Field(description="The branch of the nearest listing in stock.")
    branch_id: int
    distance_km: float
    open_now: bool
    opens_at: str | None = Field(description="When the branch is closed: when it opens (`09:00`, `Tue 09:00`).")
    url: str = Field(description="The product's page.")
    image: str | None
    reason: str = Field(description="Why it is shown, for people (`Because you viewed ...`, `Popular near you`).")
    source: Literal["model", "popular"] = Field(description="model: a trained model's list; popular: cold start.")
    position: int
    click: str = Field(description="The product's page with the shelf's click parameters: open this one.")


class ShelfOut(Schema):
    surface: str = Field(description="home | product_together | product_similar | cart_addons | order")
    model: str = Field(description="The model the shelf came from, `<algorithm>#<id>`, or `popular` (cold start).")
    title: str
    items: list[ShelfItemOut]


def _product(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    merchant_id, _, product_id = value.partition(":")
    key = (int(merchant_id), int(product_id))
    if not all(0 < part <= MAX_ID for part in key):
        raise RecommendationError(RecommendationErrorCode.PRODUCT_INVALID, field="product")
    return key


def shelf_json(shelf: Shelf) -> dict[str, object]:
    """The shelf as `ShelfOut` (Decimals as strings, as the search API writes them)."""
    return {
        "surface": shelf.surface,
        "model": shelf.model,
        "title": shelf.title,
        "items": [
            {
                "merchant_id": i.merchant_id,
                "product_id": i.product_id,
                "listing_id": i.listing_id,
                "title": i.title,
                "variant_name": i.variant_name,
                "price": str(i.price),
                "regular_price": str(i.regular_price),
                "currency": i.currency,
                "store": i.store_name,
                "merchant": i.merchant_slug,
                "branch": i.branch_name,
                "branch_id": i.branch_id,
                "distance_km": i.distance_km,
                "open_now": i.open_now,
                "opens_at": i.opens_at,
                "url": i.url,
                "image": i.image_url,
                "reason": i.reason,
                "source": i.source,
                "position": i.position,
                "click": i.click_url,
            }
            for i in shelf.items
        ],
    }


@router.get(
    "/recommendations",
    response=ShelfOut,
    auth=None,
    summary="A recommendation shelf near a location",
    openapi_extra={"parameters": query_parameters(RecommendationQuery)},
)
def recommendations(request: HttpRequest):
    """Products for the caller near (lat, lng), in stock and within reach (delivered there, or pickup nearby), at
    most two per shop; a shop closed now is marked with when it opens. Each product shown is recorded as an
    impression of the shelf; open `click` to follow one."""
    # Parsed by hand like search (same model, same 400s) and serialized from the selector: a shelf is served on
    # every home and product page.
    query = query_parse(RecommendationQuery, request.GET)
    shopper = shopper_key_of_request(request)
    shelf = shelf_for(
        ShelfQuery(
            surface=_SHELVES[(query.surface, query.shelf if query.surface == "product" else None)],
            lat=query.lat,
            lng=query.lng,
            shopper=shopper,
            product=_product(query.product),
            order_id=query.order,
            limit=query.limit,
        )
    )
    shelf_shown(shopper=shopper, shelf=shelf)
    return HttpResponse(orjson.dumps(shelf_json(shelf)), content_type="application/json")
