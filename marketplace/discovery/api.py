"""Public discovery API: search, nearby stores, categories near the customer. Anonymous, read-only (a search's
results are recorded as impressions of their products, under the caller's shopper when it says who it is)."""

from __future__ import annotations

from decimal import Decimal

import orjson
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from kernel.inputs import query_parse
from kernel.openapi import query_parameters
from marketplace.cart.shoppers import shopper_key_of_request
from marketplace.discovery.errors import DEFAULT_RADIUS_KM
from marketplace.discovery.schemas import NearbyQuery, SearchQuery
from marketplace.discovery.search import first_position, search_listings
from marketplace.discovery.selectors import categories_near, stores_nearby
from shared_apps.behaviour.models import Surface
from shared_apps.behaviour.products import Shown, search_context, search_impressions_record

router = Router(tags=["discovery"])


class CategoryRef(Schema):
    slug: str
    name: str


class StoreRef(Schema):
    merchant: str
    slug: str
    key: str
    name: str


class BranchRef(Schema):
    id: int
    name: str


class DeliveryOptions(Schema):
    pickup: bool
    delivery: bool
    delivers_here: bool | None = None


class ScoreParts(Schema):
    text: float
    distance_decay: float
    availability: float
    popularity: float
    total: float


class SearchResultOut(Schema):
    id: int
    product_id: int = Field(description="With merchant_id, the item: every branch and variant of one product.")
    variant_id: int
    merchant_id: int
    title: str
    variant_name: str
    price: Decimal
    regular_price: Decimal
    currency: str
    has_offer: bool
    in_stock: bool
    available: int
    image_url: str | None
    category: CategoryRef | None
    store: StoreRef
    branch: BranchRef
    distance_km: float | None
    delivery: DeliveryOptions
    score: ScoreParts | None = None


class CategoryCount(Schema):
    slug: str
    name: str
    parent: str | None
    count: int


class PriceBucket(Schema):
    min: Decimal
    max: Decimal | None
    count: int


class StoreCount(Schema):
    key: str
    merchant: str
    slug: str
    name: str
    count: int


class Facets(Schema):
    categories: list[CategoryCount]
    price: list[PriceBucket]
    stores: list[StoreCount]
    stores_total: int
    in_stock: int


class SearchOut(Schema):
    total: int
    results: list[SearchResultOut]
    next_cursor: str | None
    page: int
    limit: int
    corrections: dict[str, str]
    facets: Facets


@router.get(
    "/search",
    response=SearchOut,
    auth=None,
    summary="Search listings around a location",
    openapi_extra={"parameters": query_parameters(SearchQuery)},
)
def search(request: HttpRequest):
    # The parameters are parsed here rather than by ninja's Query[SearchQuery] (same model, same 400s): its
    # per-request parameter machinery costs several times what validating the model directly does, on every search.
    # The answer is serialized straight from the selector's dicts: validating twenty nested results through the
    # schema costs more than the search's SQL. SearchOut documents the shape; the API tests pin it. Decimals as
    # strings, as DjangoJSONEncoder writes them.
    query = query_parse(SearchQuery, request.GET)
    found = search_listings(query)
    first = first_position(found)
    search_impressions_record(  # one Redis round trip for the page, whoever asks (a token, a session, nobody)
        shopper=shopper_key_of_request(request),
        shown=[Shown(r["merchant_id"], r["product_id"], n) for n, r in enumerate(found["results"], start=first)],
        context=search_context(q=query.q, category=query.category),
        surface=Surface.SEARCH,
    )
    return HttpResponse(orjson.dumps(found, default=_decimal_str), content_type="application/json")


def _decimal_str(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class NearbyBranchOut(Schema):
    merchant: str
    store_key: str
    store_slug: str
    store_name: str
    branch_id: int
    branch_name: str
    address: str
    area: str
    city: str
    latitude: float
    longitude: float
    distance_km: float
    open_now: bool
    closes_at: str | None
    opens_at: str | None
    offers_pickup: bool
    offers_delivery: bool
    offers_partner_delivery: bool
    delivery_radius_km: Decimal
    delivery_fee: Decimal
    delivery_min_order: Decimal
    currency: str
    delivers_here: bool


class NearbyOut(Schema):
    results: list[NearbyBranchOut]


@router.get("/stores/nearby", response=NearbyOut, auth=None, summary="Branches around a location, nearest first")
def nearby_stores(request: HttpRequest, filters: Query[NearbyQuery]):
    found = stores_nearby(filters)
    return {
        "results": [
            {
                "merchant": n.branch.merchant_slug,
                "store_key": n.store_key,
                "store_slug": n.branch.store_slug,
                "store_name": n.branch.store_name,
                "branch_id": n.branch.branch_id,
                "branch_name": n.branch.branch_name,
                "address": n.branch.address,
                "area": n.branch.area,
                "city": n.branch.city,
                "latitude": n.branch.latitude,
                "longitude": n.branch.longitude,
                "distance_km": n.distance_km,
                "open_now": n.open_now,
                "closes_at": n.closes_at,
                "opens_at": n.opens_at,
                "offers_pickup": n.branch.offers_pickup,
                "offers_delivery": n.branch.offers_delivery,
                "offers_partner_delivery": n.branch.offers_partner_delivery,
                "delivery_radius_km": n.branch.delivery_radius_km,
                "delivery_fee": n.branch.delivery_fee,
                "delivery_min_order": n.branch.delivery_min_order,
                "currency": n.branch.currency,
                "delivers_here": bool(n.delivers_here),
            }
            for n in found
        ]
    }


class CategoryNodeOut(Schema):
    slug: str
    name: str
    icon: str
    count: int
    children: list[CategoryNodeOut]


@router.get("/categories", response=list[CategoryNodeOut], auth=None, summary="Category tree with counts nearby")
def categories(
    request: HttpRequest, lat: float | None = None, lng: float | None = None, radius_km: float = DEFAULT_RADIUS_KM
):
    return categories_near(lat=lat, lng=lng, radius_km=radius_km)
