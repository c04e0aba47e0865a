"""The search's parameters, shared by the JSON API and the server-rendered pages (one parser, one set of rules)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from ninja import Field, Schema

from marketplace.discovery.errors import DEFAULT_RADIUS_KM, MAX_LIMIT


class Sort(StrEnum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"
    POPULAR = "popular"


class SearchQuery(Schema):
    q: str = Field("", max_length=200, description="Words to find; each word also matches as a prefix.")
    lat: float | None = Field(None, description="Customer latitude (with lng).")
    lng: float | None = Field(None, description="Customer longitude (with lat).")
    radius_km: float = Field(DEFAULT_RADIUS_KM, description="Search radius around lat/lng, 0 < r <= 50.")
    category: str | None = Field(None, max_length=80, description="Category slug; includes its descendants.")
    price_min: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    price_max: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    in_stock: bool | None = None
    delivery: Literal["pickup", "delivery"] | None = None
    store: str | None = Field(None, max_length=101, description="merchant-slug or merchant-slug/store-slug")
    has_offer: bool | None = None
    sort: Sort = Sort.RELEVANCE
    cursor: str | None = Field(None, max_length=200)
    page: int | None = Field(None, ge=1, le=1000)
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    explain: bool = False


class NearbyQuery(Schema):
    lat: float
    lng: float
    radius_km: float = Field(DEFAULT_RADIUS_KM, description="0 < r <= 50")
    open_now: bool | None = Field(None, description="Only branches open right now.")
    delivers: bool | None = Field(None, description="Only branches whose delivery radius covers the location.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
