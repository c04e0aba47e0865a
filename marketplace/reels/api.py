"""Reels API: the feed around a location (anonymous), the events a player sends, and what a shopper keeps (likes,
saves, shops followed: a user or a guest, as the cart)."""

from __future__ import annotations

from decimal import Decimal

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from kernel.inputs import query_parse
from kernel.openapi import ErrorOut, query_parameters
from marketplace.cart.shoppers import Shopper, shopper_of, shopper_of_session
from marketplace.reels import services
from marketplace.reels.errors import DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_RADIUS_KM
from marketplace.reels.selectors import FeedQuery, feed_page
from shared_apps.accounts.auth import UserOrGuestBearer, shopper_auth

router = Router(tags=["reels"])


class FeedParams(Schema):
    lat: float = Field(..., ge=-90, le=90, description="Where the customer is.")
    lng: float = Field(..., ge=-180, le=180)
    radius_km: float = Field(DEFAULT_RADIUS_KM, gt=0, le=MAX_RADIUS_KM, description="Reels of branches this close.")
    cursor: str | None = Field(None, max_length=300, description="`next_cursor` of the previous page.")
    limit: int = Field(5, ge=1, le=MAX_LIMIT)
    reel: int | None = Field(None, ge=1, description="A shared reel's id: it opens the first page.")


class ReelMerchantOut(Schema):
    slug: str
    name: str
    url: str | None = Field(description="The shop's page on the marketplace.")
    following: bool


class ReelProductOut(Schema):
    id: int
    name: str
    listing_id: int | None = Field(description="Add to cart with this (POST /api/v1/cart/items); null: not listed.")
    variant_name: str
    price: Decimal | None = Field(description="At the nearest branch that has it in stock (else the nearest).")
    price_text: str | None = Field(description='The price as people read it ("Rs 1,365").')
    regular_price: Decimal | None
    currency: str | None
    in_stock: bool
    url: str


class ReelOut(Schema):
    id: int
    caption: str
    hls_url: str | None
    mp4_url: str | None
    webm_url: str | None
    poster_url: str | None
    duration_s: float
    published_at: str
    distance_km: float | None
    merchant: ReelMerchantOut
    products: list[ReelProductOut]
    likes: int
    saves: int
    liked: bool
    saved: bool
    share_url: str


class FeedOut(Schema):
    reels: list[ReelOut]
    next_cursor: str | None


def _optional_shopper(request: HttpRequest) -> Shopper | None:
    """The caller as a shopper if it says who it is (a Bearer token, or the session's user or guest), else None."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        principal = UserOrGuestBearer()(request)
        return shopper_of(principal) if principal else None
    return shopper_of_session(request)


@router.get(
    "/reels",
    response={200: FeedOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    auth=None,
    summary="Reels around a location, best first",
    openapi_extra={"parameters": query_parameters(FeedParams)},
)
def reels_feed(request: HttpRequest):
    """A page of reels (videos, poster, shop, distance, tagged products with their price here). 400 for a bad
    location, radius or cursor; 404 when `reel` names a reel no longer in the feed."""
    params = query_parse(FeedParams, request.GET)
    page = feed_page(
        FeedQuery(
            lat=params.lat,
            lng=params.lng,
            radius_km=params.radius_km,
            cursor=params.cursor,
            limit=params.limit,
            reel=params.reel,
        ),
        shopper=_optional_shopper(request),
    )
    body = orjson.dumps({"reels": page.reels, "next_cursor": page.next_cursor}, default=_decimal_str)
    return HttpResponse(body, content_type="application/json")


def _decimal_str(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ReelEventSchema(Schema):
    reel: int = Field(..., ge=1, description="The reel's id in the feed.")
    kind: str = Field(..., description="view | watch | product_tap | add_to_cart | share")
    watch_ms: int | None = Field(None, ge=0, le=3_600_000, description="watch: how long it played this time.")
    product_id: int | None = Field(None, ge=1, description="product_tap, add_to_cart: which tagged product.")


class EventsIn(Schema):
    events: list[ReelEventSchema] = Field(..., max_length=services.MAX_EVENTS)


class EventsOut(Schema):
    queued: int


@router.post(
    "/reels/events",
    response={202: EventsOut, 400: ErrorOut, 401: ErrorOut},
    auth=None,
    summary="Record what a player saw (batched; anonymous allowed)",
)
def reels_events(request: HttpRequest, payload: EventsIn):
    """Views, watch times, taps on products, adds to cart, shares. Queued and written in batches: they count in
    statistics and ranking within a minute."""
    queued = services.reel_events_record(
        shopper=_optional_shopper(request),
        events=[services.ReelEventIn(**e.dict()) for e in payload.events],
    )
    return Status(202, {"queued": queued})


class KeptOut(Schema):
    on: bool


def _kept(request: HttpRequest, write, **kwargs) -> KeptOut:
    return KeptOut(on=write(shopper=shopper_of(request.auth), **kwargs))


@router.put("/reels/{reel_id}/like", response={200: KeptOut, 401: ErrorOut, 404: ErrorOut}, auth=shopper_auth)
def reel_like(request: HttpRequest, reel_id: int):
    return _kept(request, services.reel_like_set, card_id=reel_id, liked=True)


@router.delete("/reels/{reel_id}/like", response={200: KeptOut, 401: ErrorOut, 404: ErrorOut}, auth=shopper_auth)
def reel_unlike(request: HttpRequest, reel_id: int):
    return _kept(request, services.reel_like_set, card_id=reel_id, liked=False)


@router.put("/reels/{reel_id}/save", response={200: KeptOut, 401: ErrorOut, 404: ErrorOut}, auth=shopper_auth)
def reel_save(request: HttpRequest, reel_id: int):
    return _kept(request, services.reel_save_set, card_id=reel_id, saved=True)


@router.delete("/reels/{reel_id}/save", response={200: KeptOut, 401: ErrorOut, 404: ErrorOut}, auth=shopper_auth)
def reel_unsave(request: HttpRequest, reel_id: int):
    return _kept(request, services.reel_save_set, card_id=reel_id, saved=False)


@router.put("/shops/{merchant_slug}/follow", response={200: KeptOut, 401: ErrorOut, 404: ErrorOut}, auth=shopper_auth)
def shop_follow(request: HttpRequest, merchant_slug: str):
    return _kept(request, services.shop_follow_set, merchant_slug=merchant_slug, following=True)


@router.delete(
    "/shops/{merchant_slug}/follow", response={200: KeptOut, 401: ErrorOut, 404: ErrorOut}, auth=shopper_auth
)
def shop_unfollow(request: HttpRequest, merchant_slug: str):
    return _kept(request, services.shop_follow_set, merchant_slug=merchant_slug, following=False)
