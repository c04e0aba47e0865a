"""The feed: the reels around a customer, best first (ranking.py), a page at a time by cursor.

A page costs four statements whatever its depth and the number of reels around:
  1. the candidates: for each H3 cell of the circle (discovery/geo.py's cover), the best placements of that cell by
     stored score (index (cell, score desc)), ranked by score + the cell's ring factor, one row per reel;
  2. the page's cards; 3. each tagged product's price at the nearest branch that stocks it (the `Listing` index);
  4. what this shopper liked, saved and follows (none for an anonymous visitor).
The per-merchant cap is applied in Python over the candidates (they are few: the page's depth, twice, plus a
margin). The cursor holds the depth reached, the location it belongs to and a reel opened by a shared link.

`newest_page` is the plain newest-first query the benchmark measures the feed against.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection
from django.utils import timezone

from kernel.db import unprepared
from kernel.money import money
from marketplace.cart.shoppers import Shopper
from marketplace.discovery import geo
from marketplace.reels import ranking
from marketplace.reels.errors import (
    DEFAULT_RADIUS_KM,
    MAX_DEPTH,
    MAX_LIMIT,
    MAX_RADIUS_KM,
    ReelsError,
    ReelsErrorCode,
)
from marketplace.reels.models import ReelCard


@dataclass(frozen=True)
class FeedQuery:
    lat: float
    lng: float
    radius_km: float = DEFAULT_RADIUS_KM
    cursor: str | None = None
    limit: int = 5
    reel: int | None = None  # a shared link's reel: first on the first page


@dataclass(frozen=True)
class _Candidate:
    card_id: int
    merchant_id: int
    branch_id: int
    rank: float
    distance_km: float


@dataclass(frozen=True)
class _Cursor:
    offset: int
    reel: int | None
    key: str


@dataclass
class FeedPage:
    reels: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def _location_key(lat: float, lng: float, radius_km: float) -> str:
    return f"{lat:.3f},{lng:.3f},{radius_km:g}"


def _cursor_encode(cursor: _Cursor) -> str:
    raw = orjson.dumps({"o": cursor.offset, "r": cursor.reel, "k": cursor.key})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(text: str, *, key: str) -> _Cursor:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        cursor = _Cursor(offset=int(data["o"]), reel=data.get("r"), key=str(data["k"]))
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise ReelsError(ReelsErrorCode.CURSOR_INVALID, field="cursor") from None
    if cursor.key != key or not 0 < cursor.offset <= MAX_DEPTH:
        raise ReelsError(ReelsErrorCode.CURSOR_INVALID, field="cursor")
    return cursor


def feed_validate(*, lat: float, lng: float, radius_km: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ReelsError(ReelsErrorCode.LOCATION_INVALID, field="lat")
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise ReelsError(ReelsErrorCode.RADIUS_INVALID, field="radius_km")


_CANDIDATES = """
    SELECT card_id, merchant_id, branch_id, rank, distance FROM (
        SELECT DISTINCT ON (p.card_id) p.card_id, p.merchant_id, p.branch_id, p.score + c.f AS rank, p.distance
        FROM unnest(%(cells)s::bigint[], %(factors)s::float8[]) AS c(cell, f)
        CROSS JOIN LATERAL (
            SELECT p.card_id, p.merchant_id, p.branch_id, p.score, {distance} AS distance
            FROM reels_feed_reelplacement p
            WHERE p.{column} = c.cell AND {distance} <= %(radius)s AND p.published_at <= %(now)s
            ORDER BY p.score DESC
            LIMIT %(n)s
        ) p
        ORDER BY p.card_id, p.score + c.f DESC, p.distance
    ) best
    ORDER BY rank DESC, card_id DESC
    LIMIT %(n)s
"""


def _candidates(query: FeedQuery, *, n: int) -> list[_Candidate]:
    cover = geo.cover(query.lat, query.lng, query.radius_km)
    resolution = int(cover.column[-1])
    factors = ranking.ring_factors(lat=query.lat, lng=query.lng, cells=cover.cells, resolution=resolution)
    sql = _CANDIDATES.format(column=cover.column, distance=geo.haversine_sql("p"))
    params = {
        "cells": cover.cells,
        "factors": factors,
        "lat": query.lat,
        "lng": query.lng,
        "radius": query.radius_km,
        "n": n,
        "now": timezone.now(),  # not SQL now(): that is when the transaction started
    }
    with unprepared(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Candidate(*row) for row in cursor.fetchall()]


# Each tagged product at the nearest branch that has it in stock (else the nearest at all): its cheapest variant there.
_PRICES = f"""
    SELECT DISTINCT ON (l.merchant_id, l.product_id)
           l.merchant_id, l.product_id, l.id, l.price, l.regular_price, l.currency, l.in_stock, l.branch_id,
           l.variant_name, l.image_public_id
    FROM listings_listing l
    WHERE (l.merchant_id, l.product_id) IN (SELECT * FROM unnest(%(merchants)s::bigint[], %(products)s::bigint[]))
    ORDER BY l.merchant_id, l.product_id, l.in_stock DESC, {geo.haversine_sql("l")}, l.price, l.id
"""


def _prices(cards: list[ReelCard], *, lat: float, lng: float) -> dict[tuple[int, int], dict[str, Any]]:
    pairs = [(card.merchant_id, product_id) for card in cards for product_id in card.product_ids]
    if not pairs:
        return {}
    params = {"merchants": [m for m, _ in pairs], "products": [p for _, p in pairs], "lat": lat, "lng": lng}
    with connection.cursor() as cursor:
        cursor.execute(_PRICES, params)
        rows = cursor.fetchall()
    return {
        (merchant_id, product_id): {
            "listing_id": listing_id,
            "price": price,
            "regular_price": regular,
            "currency": currency,
            "in_stock": in_stock,
            "branch_id": branch_id,
            "variant_name": variant_name,
        }
        for merchant_id, product_id, listing_id, price, regular, currency, in_stock, branch_id, variant_name, _ in rows
    }


_SHOPPER_STATE = """
    SELECT 'like', card_id FROM reels_feed_reellike WHERE {owner} AND card_id = ANY(%(cards)s)
    UNION ALL SELECT 'save', card_id FROM reels_feed_reelsave WHERE {owner} AND card_id = ANY(%(cards)s)
    UNION ALL SELECT 'follow', merchant_id FROM reels_feed_shopfollow WHERE {owner} AND merchant_id = ANY(%(merchants)s)
"""


def _shopper_state(shopper: Shopper | None, cards: list[ReelCard]) -> set[tuple[str, int]]:
    if shopper is None or not cards:
        return set()
    owner = "user_id = %(owner)s" if shopper.user_id is not None else "guest_id = %(owner)s"
    params = {
        "owner": shopper.user_id if shopper.user_id is not None else shopper.guest_id,
        "cards": [c.pk for c in cards],
        "merchants": sorted({c.merchant_id for c in cards}),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SHOPPER_STATE.format(owner=owner), params)
        return {(kind, pk) for kind, pk in cursor.fetchall()}


def reel_out(
    card: ReelCard,
    *,
    distance_km: float | None,
    prices: dict[tuple[int, int], dict[str, Any]],
    state: set[tuple[str, int]],
) -> dict[str, Any]:
    """A card as the API and the page show it (schemas.ReelOut documents it)."""
    products = []
    for product in card.products:
        price = prices.get((card.merchant_id, product["id"]))
        products.append(
            {
                "id": product["id"],
                "name": product["name"],
                "listing_id": price["listing_id"] if price else None,
                "variant_name": price["variant_name"] if price else "",
                "price": price["price"] if price else None,
                "price_text": money(price["price"], price["currency"]) if price else None,
                "regular_price": price["regular_price"] if price else None,
                "currency": price["currency"] if price else None,
                "in_stock": bool(price and price["in_stock"]),
                "url": f"/p/{card.merchant_slug}/{product['id']}/",
            }
        )
    return {
        "id": card.pk,
        "caption": card.caption,
        "hls_url": card.hls_url or None,
        "mp4_url": card.mp4_url or None,
        "webm_url": card.webm_url or None,
        "poster_url": card.poster_url or None,
        "duration_s": card.duration_s,
        "published_at": card.published_at.isoformat(),
        "distance_km": round(distance_km, 2) if distance_km is not None else None,
        "merchant": {
            "slug": card.merchant_slug,
            "name": card.shop_name,
            "url": f"/s/{card.merchant_slug}/{card.store_slug}/" if card.store_slug else None,
            "following": ("follow", card.merchant_id) in state,
        },
        "products": products,
        "likes": card.likes,
        "saves": card.saves,
        "liked": ("like", card.pk) in state,
        "saved": ("save", card.pk) in state,
        "share_url": f"/reels/{card.pk}",
    }


def feed_page(query: FeedQuery, *, shopper: Shopper | None = None) -> FeedPage:
    """One page of the feed around (lat, lng); ReelsError on a bad location, radius or cursor."""
    feed_validate(lat=query.lat, lng=query.lng, radius_km=query.radius_km)
    key = _location_key(query.lat, query.lng, query.radius_km)
    cursor = _cursor_decode(query.cursor, key=key) if query.cursor else _Cursor(offset=0, reel=query.reel, key=key)
    limit = max(1, min(query.limit, MAX_LIMIT))
    end = min(cursor.offset + limit, MAX_DEPTH)
    first = cursor.reel
    ranked = _candidates(query, n=2 * end + ranking.MERCHANT_WINDOW)
    ranked = [c for c in ranked if c.card_id != first]
    ordered = ranking.merchant_capped(ranked, merchant_of=lambda c: c.merchant_id)
    chosen: list[tuple[int, float | None]] = []
    if first is not None:
        chosen.append((first, None))  # a shared reel opens the feed, wherever it is
    chosen += [(c.card_id, c.distance_km) for c in ordered]
    window = chosen[cursor.offset : end]
    cards = {
        c.pk: c
        for c in ReelCard.objects.filter(pk__in=[card_id for card_id, _ in window], published_at__lte=timezone.now())
    }
    if first is not None and cursor.offset == 0 and first not in cards:
        raise ReelsError(ReelsErrorCode.REEL_NOT_FOUND, field="reel")
    page_cards = [cards[card_id] for card_id, _ in window if card_id in cards]
    prices = _prices(page_cards, lat=query.lat, lng=query.lng)
    state = _shopper_state(shopper, page_cards)
    distances = dict(window)
    reels = []
    for card in page_cards:
        distance = distances.get(card.pk)
        if distance is None:  # the shared reel: how far its nearest branch is
            distance = min(
                (geo.haversine_km(query.lat, query.lng, p.latitude, p.longitude) for p in card.placements.all()),
                default=None,
            )
        reels.append(reel_out(card, distance_km=distance, prices=prices, state=state))
    more = len(chosen) > end and end < MAX_DEPTH
    next_cursor = _cursor_encode(_Cursor(offset=end, reel=first, key=key)) if more else None
    return FeedPage(reels=reels, next_cursor=next_cursor)


def newest_page(*, lat: float, lng: float, radius_km: float = DEFAULT_RADIUS_KM, limit: int = 5) -> list[int]:
    """The plain query the feed is measured against: reels with a branch in the circle, newest first."""
    prefilter, params = geo.within_sql("p", lat, lng, radius_km)
    sql = f"""
        SELECT c.id FROM reels_feed_reelcard c
        WHERE c.published_at <= %(now)s
          AND EXISTS (SELECT 1 FROM reels_feed_reelplacement p WHERE p.card_id = c.id AND {prefilter})
        ORDER BY c.published_at DESC, c.id DESC LIMIT %(limit)s
    """
    with unprepared(), connection.cursor() as cursor:
        cursor.execute(sql, {**params, "limit": limit, "now": timezone.now()})
        return [row[0] for row in cursor.fetchall()]


def reel_card_get(*, card_id: int) -> ReelCard:
    card = ReelCard.objects.filter(pk=card_id).first()
    if card is None:
        raise ReelsError(ReelsErrorCode.REEL_NOT_FOUND)
    return card
