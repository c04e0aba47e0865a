"""Recommendation shelves: what a surface shows a shopper at a location, read from the precomputed lists of the
regions' ACTIVE models (shared_apps/recommendations) and blended at request time with the listing index.

shelf (Surface)     candidates (best first)                                        then, when short (see _shelf)
------------------  -------------------------------------------------------------  ---------------------------------
home                SIMILAR lists of the shopper's recent products, each weighted   popular in the customer's H3 r6
                    by its event's kind and age, summed; those products left out    ring: this part of the day and
product_together    TOGETHER list of the product                                    kind of day, then any time; then
product_similar     SIMILAR list of the product; a product without one (new): its   the listing index's popular
                    category's popular products nearby                              products nearby (discovery)
cart_addons         TOGETHER lists of the cart's products, minus the cart's
order               TOGETHER lists of the order's products, minus the order's

Statements per shelf: the cart's or the order's lines (cart, order), one for every list (home's seeds from the
shopper's latest events, the neighbour lists of the seeds and the cold-start lists of the ring, a UNION), and one
for the blend.
The ACTIVE models' ids are kept in the process for ACTIVE_MODELS_SECONDS (they change nightly). Only a new product's
shelf, a shelf where no model has cold-start lists yet, or one the blend left empty asks discovery's search too.

The blend reads, for every candidate product, its listings through the (merchant, product) index: in stock only
(an out-of-stock product is never shown), within reach (`geo.reach_sql`: the branch delivers to the customer, or
offers pickup within the search's default radius), the nearest listing per product, with its branch's opening hours.
Score = the list's score x distance decay (search's DECAY_KM) x (1 open now, CLOSED_FACTOR closed: shown with the
time it opens); the cold-start candidates rank after the model's; at most PER_MERCHANT products of one merchant.
"""

from __future__ import annotations

import functools
import itertools
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import h3
import numpy as np
import orjson
import psycopg
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.cart.models import Cart
from marketplace.cart.shoppers import Shopper
from marketplace.discovery import geo
from marketplace.discovery.errors import DEFAULT_RADIUS_KM
from marketplace.discovery.page_urls import product_url
from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search import search_listings
from marketplace.discovery.search_sql import DECAY_KM
from marketplace.listings.models import BranchListing
from marketplace.orders.models import CustomerOrder
from marketplace.recommendations.errors import RecommendationError, RecommendationErrorCode
from shared_apps.behaviour.models import BehaviourEvent, EventKind, Surface
from shared_apps.categories.selectors import category_tree
from shared_apps.media.services import delivery_urls
from shared_apps.recommendations.dayparts import daypart_of
from shared_apps.recommendations.models import ModelStatus, NeighbourKind, TrainedModel
from tenant_apps.stores.hours import OpeningState, opening_state

SHELF_SIZE = 12
PER_MERCHANT = 2  # diversity: one shop's range never fills a shelf
CLOSED_FACTOR = 0.5  # a shop closed now ranks as one twice as far away would, and says when it opens
RECENT_EVENTS = 60  # the shopper's latest events the home shelf reads (their index: shopper, at)
SEEDS = 12  # distinct recent products whose lists are summed
HALF_LIFE_DAYS = 3.0  # an event three days old weighs half a fresh one
MODEL_CANDIDATES = 36  # candidates sent to the blend: enough for a shelf after stock, reach and the merchant cap
POPULAR_CANDIDATES = 24
LIST_HEAD = 40  # of each list only its best: a neighbour past them rarely makes a shelf, and costs reading
ACTIVE_MODELS_SECONDS = 60
ANY_TIME_FACTOR = 0.5  # a cell's any-time list counts half its list for this part of the day
KIND_WEIGHTS = {
    EventKind.PURCHASE: 3.0,
    EventKind.ADD_TO_CART: 2.0,
    EventKind.SHELF_CLICK: 1.0,
    EventKind.SEARCH_CLICK: 1.0,
    EventKind.VIEW: 1.0,
}
SHELF_KINDS = {
    Surface.HOME: NeighbourKind.SIMILAR,
    Surface.PRODUCT_TOGETHER: NeighbourKind.TOGETHER,
    Surface.PRODUCT_SIMILAR: NeighbourKind.SIMILAR,
    Surface.CART_ADDONS: NeighbourKind.TOGETHER,
    Surface.ORDER: NeighbourKind.TOGETHER,
}
POPULAR_LABEL = "popular"

Key = tuple[int, int]  # an item: (merchant_id, product_id)


# ---- the ACTIVE models ---------------------------------------------------------------------------------------------

_active: dict[str, Any] = {"until": 0.0, "labels": {}}


def model_label(algorithm: str, model_id: int) -> str:
    """`<algorithm>#<id>` as shelves name their model (and links carry it: behaviour.products.model_label_valid)."""
    name = re.sub(r"[^a-z0-9_]", "_", (algorithm or "model").lower())[:25]
    return f"{name if name[0].isalpha() else 'm' + name[:24]}#{model_id}"


def active_models() -> dict[int, str]:
    """{model id: label (`<algorithm>#<id>`)} of every region's ACTIVE model, read at most once a minute."""
    now = time.monotonic()
    if now >= _active["until"]:
        rows = TrainedModel.objects.filter(status=ModelStatus.ACTIVE).values_list("pk", "algorithm")
        _active["labels"] = {pk: model_label(algorithm, pk) for pk, algorithm in rows}
        _active["until"] = now + ACTIVE_MODELS_SECONDS
    return _active["labels"]


def active_models_forget() -> None:
    """Read the ACTIVE models again on the next shelf (after a training switched them; tests)."""
    _active["until"] = 0.0


# ---- what a shelf is -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShelfItem:
    merchant_id: int
    product_id: int
    listing_id: int  # the nearest in-stock listing: what an "Add" button posts
    title: str
    variant_name: str
    price: Decimal
    regular_price: Decimal
    currency: str
    merchant_slug: str
    store_name: str
    branch_id: int
    branch_name: str
    distance_km: float
    open_now: bool
    opens_at: str | None
    url: str
    image_url: str | None
    reason: str  # why it is here, for people ("Because you viewed Olper's Milk")
    source: str  # "model" | "popular"
    position: int
    click_url: str  # the product's page with the shelf's click parameters


@dataclass(frozen=True)
class Shelf:
    surface: str
    model: str  # the label of the model most of the shelf came from, or "popular"
    title: str
    items: list[ShelfItem]

    @property
    def personal(self) -> bool:
        """Whether a trained model chose any of it (else it is the cold-start shelf)."""
        return self.model != POPULAR_LABEL


@dataclass
class Candidate:
    score: float
    source: str  # "model" | "popular"
    because: Key | None = None  # the seed that gave most of the score (home: "Because you viewed ...")
    reason: str = ""  # set for the discovery fill, which has no seed
    model_id: int | None = None  # the model of its largest share (a shelf is named after its models' weight)


@dataclass(frozen=True)
class Seed:
    key: Key
    weight: float
    bought: bool = False


@dataclass(frozen=True)
class Seeds:
    """What a shelf starts from: the items whose lists it reads (`seeds`) and the items it must not show."""

    seeds: list[Seed]
    listing_ids: list[int] = field(default_factory=list)  # items named by listing (a cart's, an order's lines)
    exclude: frozenset[Key] = frozenset()
    shopper: str = ""  # home: the shopper whose latest products are the seeds (read by the lists' statement)


# ---- the lists ------------------------------------------------------------------------------------------------------

# The seeds' neighbour lists of one kind, the ring's cold-start lists, and the seeds themselves (those named by
# listing id resolved here): one statement, each part through its unique index. The home shelf's seeds are the
# shopper's products taken lately (their latest RECENT_EVENTS events through the index (shopper, at), each product
# weighted by its events' kinds and ages, the SEEDS heaviest; `taken` rows return every one of them): read here,
# not by a statement of their own, a round trip fewer on the busiest shelf. The neighbour lists are the models' of
# the customer's own region (those with cold-start lists in the ring) when there are any: a chain's product has a
# list in every region it sells in, and what Karachi's shoppers take beside it is not Lahore's.
_LISTS = f"""
    WITH recent AS (
        SELECT e.kind, e.merchant_id, e.product_id, e.at FROM {BehaviourEvent._meta.db_table} e
        WHERE %(shopper)s <> '' AND e.shopper = %(shopper)s AND e.kind = ANY(%(kinds)s::text[])
          AND e.product_id IS NOT NULL
        ORDER BY e.at DESC LIMIT %(recent)s
    ), taken AS (
        SELECT r.merchant_id, r.product_id, bool_or(r.kind = %(purchase)s) AS bought,
               sum(w.weight * power(0.5, greatest(extract(epoch FROM %(at)s - r.at), 0) / %(half_life_s)s)) AS weight
        FROM recent r JOIN unnest(%(kinds)s::text[], %(kind_weights)s::float8[]) AS w(kind, weight) ON w.kind = r.kind
        GROUP BY r.merchant_id, r.product_id
    ), seeds AS (
        SELECT * FROM unnest(%(seed_m)s::bigint[], %(seed_p)s::bigint[]) AS s(merchant_id, product_id)
        UNION
        SELECT l.merchant_id, l.product_id FROM public.listings_listing l WHERE l.id = ANY(%(listing_ids)s::bigint[])
        UNION
        (SELECT t.merchant_id, t.product_id FROM taken t ORDER BY t.weight DESC, t.merchant_id, t.product_id
         LIMIT %(seed_count)s)
    ), popular AS (
        SELECT p.model_id, p.h3_r6, p.daypart, p.merchants[:%(popular_top)s] AS merchants,
               p.products[:%(popular_top)s] AS products, p.scores[:%(popular_top)s] AS scores
        FROM public.recommendations_popularitems p
        WHERE p.h3_r6 = ANY(%(cells)s::bigint[]) AND p.model_id = ANY(%(models)s::bigint[])
          AND ((p.daypart = %(daypart)s AND p.weekend = %(weekend)s) OR (p.daypart IS NULL AND p.weekend IS NULL))
    ), local AS (
        SELECT coalesce(array_agg(DISTINCT model_id), %(models)s::bigint[]) AS models FROM popular
    )
    SELECT 'n', n.model_id, n.merchant_id, n.product_id, NULL::smallint, n.neighbour_merchants[:%(top)s],
           n.neighbour_products[:%(top)s], n.scores[:%(top)s]
    FROM seeds s CROSS JOIN local JOIN public.recommendations_itemneighbours n
      ON n.kind = %(kind)s AND n.merchant_id = s.merchant_id AND n.product_id = s.product_id
     AND n.model_id = ANY(local.models)
    UNION ALL
    SELECT 'p', model_id, h3_r6, NULL, daypart, merchants, products, scores FROM popular
    UNION ALL
    SELECT 's', NULL, s.merchant_id, s.product_id, NULL, NULL, NULL, NULL FROM seeds s
    UNION ALL
    SELECT 't', NULL, t.merchant_id, t.product_id, t.bought::int::smallint, NULL, NULL, ARRAY[t.weight] FROM taken t
"""


def _binary_results(cursor: Any) -> None:
    """Results in PostgreSQL's binary format on this cursor: arrays of numbers arrive as numbers, not as text to parse
    (client-side binding, DB_PREPARED=0, knows only text)."""
    if not isinstance(cursor.cursor, psycopg.ClientCursor):
        cursor.cursor.format = psycopg.pq.Format.BINARY


def _ring(lat: float, lng: float) -> list[int]:
    """The customer's H3 resolution-6 cell and its neighbours (a cell is ~36 km²: the neighbourhood)."""
    return [h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(lat, lng, 6), 1)]


# An item packed in one int64 as merchant_id << 40 | product_id, here and in the training (product ids are a
# merchant's own sequence; the training refuses ids past the bound, so every packed item serving reads fits).
PRODUCT_BITS = 40


@dataclass(frozen=True)
class ListPart:
    """One list read: its weight on the shelf, the seed it is the list of (None: a cold-start list), its model."""

    weight: float
    seed: Key | None
    model_id: int
    merchants: list[int]
    products: list[int]
    scores: list[float]


class Tally:
    """Scores summed per item over weighted lists, and for each item the part that gave its largest single share
    (the seed it is "because" of, the model it came from). numpy: a home shelf sums thousands of (item, score)
    pairs, which a Python loop pays for on every request."""

    def __init__(self, parts: list[ListPart]) -> None:
        self.parts = parts
        if not parts:
            self.keys = np.zeros(0, np.int64)
            self.score = np.zeros(0, np.float64)
            self.best_part = np.zeros(0, np.int64)
            return
        lengths = np.fromiter((len(p.products) for p in parts), np.int64, len(parts))
        part_of = np.repeat(np.arange(len(parts)), lengths)
        merchants = np.fromiter(itertools.chain.from_iterable(p.merchants for p in parts), np.int64, part_of.size)
        products = np.fromiter(itertools.chain.from_iterable(p.products for p in parts), np.int64, part_of.size)
        scores = np.fromiter(itertools.chain.from_iterable(p.scores for p in parts), np.float64, part_of.size)
        shares = np.fromiter((p.weight for p in parts), np.float64, len(parts))[part_of] * scores
        self.keys, inverse = np.unique((merchants << PRODUCT_BITS) | products, return_inverse=True)
        self.score = np.bincount(inverse, weights=shares, minlength=self.keys.size)
        # each item's largest share, the first part on a tie: a stable sort by item, then by share descending
        order = np.lexsort((-shares, inverse))
        firsts = order[np.concatenate(([0], np.flatnonzero(np.diff(inverse[order])) + 1))]
        self.best_part = part_of[firsts]

    def __bool__(self) -> bool:
        return bool(self.keys.size)

    def top(self, n: int, exclude: set[Key], source: str) -> dict[Key, Candidate]:
        """The `n` best items not in `exclude` (ties: the smaller item), as candidates."""
        out: dict[Key, Candidate] = {}
        for i in np.lexsort((self.keys, -self.score)).tolist():
            packed = int(self.keys[i])
            key = (packed >> PRODUCT_BITS, packed & ((1 << PRODUCT_BITS) - 1))
            if key in exclude:
                continue
            part = self.parts[int(self.best_part[i])]
            out[key] = Candidate(score=float(self.score[i]), source=source, because=part.seed, model_id=part.model_id)
            if len(out) >= n:
                break
        return out


@dataclass
class Lists:
    model: Tally
    popular: Tally
    seeds: set[Key]
    listed: set[Key]  # seeds that have a list of the shelf's kind
    taken: dict[Key, tuple[float, bool]]  # home: each product the shopper took lately, (its weight, bought)

    def home_seeds(self) -> tuple[Seeds, set[Key]]:
        """The shopper's SEEDS heaviest products as seeds, all they took lately kept off the shelf, and which of
        them they bought."""
        taken = self.taken
        best = sorted(taken, key=lambda k: (-taken[k][0], k))[:SEEDS]
        seeds = [Seed(key=k, weight=taken[k][0], bought=taken[k][1]) for k in best]
        return Seeds(seeds=seeds, exclude=frozenset(taken)), {k for k, (_, bought) in taken.items() if bought}


def _lists(*, seeds: Seeds, kind: str, lat: float, lng: float, at: datetime) -> Lists:
    """The candidates of the seeds' lists (summed, each seed by its weight) and of the ring's cold-start lists."""
    models = list(active_models())
    weights = {s.key: s.weight for s in seeds.seeds}
    daypart, weekend = daypart_of(at)
    params = {
        "seed_m": [k[0] for k in weights],
        "seed_p": [k[1] for k in weights],
        "listing_ids": seeds.listing_ids,
        "shopper": seeds.shopper,
        "kinds": list(KIND_WEIGHTS),
        "kind_weights": list(KIND_WEIGHTS.values()),
        "purchase": EventKind.PURCHASE.value,
        "at": at,
        "half_life_s": HALF_LIFE_DAYS * 86400,
        "recent": RECENT_EVENTS,
        "seed_count": SEEDS,
        "kind": kind,
        "models": models,
        "cells": _ring(lat, lng),
        "daypart": daypart,
        "weekend": weekend,
        "top": LIST_HEAD,
        "popular_top": POPULAR_CANDIDATES,
    }
    rows = []
    if models or seeds.listing_ids or weights or seeds.shopper:
        with connection.cursor() as cursor:
            _binary_results(cursor)
            cursor.execute(_LISTS, params)
            rows = cursor.fetchall()
    found_seeds: set[Key] = set()
    listed: set[Key] = set()
    model_parts: list[ListPart] = []
    popular_parts: list[ListPart] = []
    # (source, model, merchant, product, bought, -, -, [weight])
    taken = {(row[2], row[3]): (row[7][0], bool(row[4])) for row in rows if row[0] == "t"}
    if taken:  # home: the seeds' weights are the shopper's, known only now
        weights = {key: weight for key, (weight, _bought) in taken.items()}
    for source, model_id, a, b, part, merchants, products, scores in rows:
        if source == "t":
            continue
        if source == "s":
            found_seeds.add((a, b))
        elif source == "n":
            listed.add((a, b))
            model_parts.append(ListPart(weights.get((a, b), 1.0), (a, b), model_id, merchants, products, scores))
        else:
            weight = 1.0 if part is not None else ANY_TIME_FACTOR
            popular_parts.append(ListPart(weight, None, model_id, merchants, products, scores))
    return Lists(model=Tally(model_parts), popular=Tally(popular_parts), seeds=found_seeds, listed=listed, taken=taken)


# ---- the blend ------------------------------------------------------------------------------------------------------

_COLUMNS = (
    "l.id, l.merchant_id, l.product_id, l.title, l.variant_name, l.price, l.regular_price, l.currency, "
    "l.image_public_id, l.merchant_slug, l.store_name, l.branch_id, l.branch_name, l.category_id, "
    "l.offers_pickup, l.offers_delivery, l.delivery_radius_km"
)

# Every candidate's listings in stock and within reach, the nearest per product, with its branch's hours; and the
# seeds' titles and categories (one listing each, wherever it is) for the reasons and a new product's category.
_BLEND = f"""
    SELECT * FROM (
        SELECT DISTINCT ON (l.merchant_id, l.product_id) FALSE AS seed, l.*, b.opening_hours::text AS opening_hours,
               b.hours_exceptions::text AS hours_exceptions
        FROM unnest(%(m)s::bigint[], %(p)s::bigint[]) AS c(merchant_id, product_id)
        CROSS JOIN LATERAL (
            SELECT {_COLUMNS}, {geo.haversine_sql("l")} AS distance_km FROM public.listings_listing l
            WHERE l.merchant_id = c.merchant_id AND l.product_id = c.product_id AND l.in_stock OFFSET 0
        ) l
        LEFT JOIN public.listings_branchlisting b ON b.merchant_id = l.merchant_id AND b.branch_id = l.branch_id
        WHERE {geo.reach_sql("l", "l.distance_km", pickup_km=DEFAULT_RADIUS_KM)}
        ORDER BY l.merchant_id, l.product_id, l.distance_km, l.id
    ) found
    UNION ALL
    SELECT TRUE, l.*, NULL, NULL
    FROM unnest(%(seed_m)s::bigint[], %(seed_p)s::bigint[]) AS s(merchant_id, product_id)
    CROSS JOIN LATERAL (
        SELECT {_COLUMNS}, NULL::float8 AS distance_km FROM public.listings_listing l
        WHERE l.merchant_id = s.merchant_id AND l.product_id = s.product_id LIMIT 1
    ) l
"""


@dataclass(frozen=True)
class Blended:
    rows: dict[Key, dict[str, Any]]  # each candidate shown: its nearest listing in stock and within reach
    seeds: dict[Key, dict[str, Any]]  # each seed's listing (title, category), wherever it is


def _blend_rows(keys: list[Key], seeds: list[Key], lat: float, lng: float) -> Blended:
    if not keys and not seeds:
        return Blended(rows={}, seeds={})
    params = {
        "m": [k[0] for k in keys],
        "p": [k[1] for k in keys],
        "seed_m": [k[0] for k in seeds],
        "seed_p": [k[1] for k in seeds],
        "lat": lat,
        "lng": lng,
    }
    # prepared after a few runs (settings: DB_PREPARED): one plan fits every shelf, the candidates' index probes
    with connection.cursor() as cursor:
        _binary_results(cursor)
        cursor.execute(_BLEND, params)
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    blended = Blended(rows={}, seeds={})
    for row in rows:  # the hours come as the jsonb's text: _opening reads each branch's once a minute per process
        (blended.seeds if row["seed"] else blended.rows)[(row["merchant_id"], row["product_id"])] = row
    return blended


@functools.lru_cache(maxsize=4096)
def _opening_at_minute(hours: str, exceptions: str | None, minute: int) -> OpeningState:
    return opening_state(
        orjson.loads(hours), orjson.loads(exceptions) if exceptions else None, datetime.fromtimestamp(minute * 60, UTC)
    )


def _opening(hours: str | None, exceptions: str | None, at: datetime) -> OpeningState | None:
    """A branch's opening state at `at`'s minute from its hours as jsonb text (None: no hours known). Shelves ask
    for the same few hundred branches all day: each is worked out once a minute per process, not once a shelf."""
    if hours is None:
        return None
    return _opening_at_minute(hours, exceptions, int(at.timestamp()) // 60)


def _decay(distance_km: float) -> float:
    return 1.0 / (1.0 + distance_km / DECAY_KM)


@dataclass(frozen=True)
class Ranked:
    key: Key
    candidate: Candidate
    row: dict[str, Any]
    score: float
    open_now: bool
    opens_at: str | None


def _ranked(candidates: list[dict[Key, Candidate]], blended: Blended, at: datetime) -> list[Ranked]:
    """Each tier's candidates that the blend kept, by score x distance decay x open factor; tiers in order."""
    states: dict[tuple[int, int], Any] = {}
    out: list[Ranked] = []
    for tier in candidates:
        ranked = []
        for key, candidate in tier.items():
            row = blended.rows.get(key)
            if row is None:
                continue
            branch = (row["merchant_id"], row["branch_id"])
            if branch not in states:
                # a branch missing from the branch index has no hours to go by: taken as open, like search does
                states[branch] = _opening(row["opening_hours"], row["hours_exceptions"], at)
            state = states[branch]
            open_now = state.open if state is not None else True
            score = candidate.score * _decay(row["distance_km"]) * (1.0 if open_now else CLOSED_FACTOR)
            ranked.append(Ranked(key, candidate, row, score, open_now, None if open_now else state.opens_at))
        ranked.sort(key=lambda r: (-r.score, r.key))
        out += ranked
    return out


def _capped(ranked: list[Ranked], *, limit: int, seen: set[Key], per_merchant: dict[int, int]) -> list[Ranked]:
    """At most PER_MERCHANT products of one merchant (counted in `per_merchant` across the shelf's tiers), `limit`
    in all, none of `seen` (those taken are added to it)."""
    kept: list[Ranked] = []
    if limit <= 0:
        return kept
    for entry in ranked:
        if entry.key in seen or per_merchant[entry.key[0]] >= PER_MERCHANT:
            continue
        seen.add(entry.key)
        per_merchant[entry.key[0]] += 1
        kept.append(entry)
        if len(kept) >= limit:
            break
    return kept


def _model_label(kept: list[Ranked]) -> str:
    votes: dict[int, float] = defaultdict(float)
    for entry in kept:
        if entry.candidate.source == "model" and entry.candidate.model_id is not None:
            votes[entry.candidate.model_id] += entry.candidate.score
    if not votes:
        return POPULAR_LABEL
    best = min(votes, key=lambda m: (-votes[m], m))
    return active_models().get(best) or model_label("", best)


def _fill_nearby(
    *,
    lat: float,
    lng: float,
    at: datetime,
    category: str | None,
    seen: set[Key],
    per_merchant: dict[int, int],
    reason: str,
    need: int,
) -> list[Ranked]:
    """Discovery's popular products around the customer (in a category, for a new product's neighbours), in stock
    and within reach, the nearest listing of each product; the cold start of the cold start."""
    query = SearchQuery(lat=lat, lng=lng, sort=Sort.POPULAR, in_stock=True, category=category, limit=60)
    results = search_listings(query)["results"]
    rows: dict[Key, dict[str, Any]] = {}
    for r in results:
        key = (r["merchant_id"], r["product_id"])
        if key in seen or r["distance_km"] is None:
            continue
        delivery = r["delivery"]
        # geo.reach_sql's rule: the branch delivers here, or offers pickup within the search's default radius
        if not (delivery["delivers_here"] or (delivery["pickup"] and r["distance_km"] <= DEFAULT_RADIUS_KM)):
            continue
        if key not in rows or r["distance_km"] < rows[key]["distance_km"]:
            rows[key] = r
    if not rows:
        return []
    hours = {
        (b.merchant_id, b.branch_id): (
            orjson.dumps(b.opening_hours).decode(),
            orjson.dumps(b.hours_exceptions).decode(),
        )
        for b in BranchListing.objects.filter(
            merchant_id__in={k[0] for k in rows}, branch_id__in={r["branch"]["id"] for r in rows.values()}
        ).only("merchant_id", "branch_id", "opening_hours", "hours_exceptions")
    }
    count = len(rows)
    tier: dict[Key, Candidate] = {}
    blend_rows: dict[Key, dict[str, Any]] = {}
    for rank, (key, r) in enumerate(rows.items()):  # search's order: most popular first
        tier[key] = Candidate(score=1.0 - rank / (count + 1), source="popular", reason=reason)
        opening = hours.get((key[0], r["branch"]["id"]))
        blend_rows[key] = {
            "id": r["id"],
            "merchant_id": key[0],
            "product_id": key[1],
            "title": r["title"],
            "variant_name": r["variant_name"],
            "price": r["price"],
            "regular_price": r["regular_price"],
            "currency": r["currency"],
            "image_public_id": "",
            "image_url": r["image_url"],
            "merchant_slug": r["store"]["merchant"],
            "store_name": r["store"]["name"],
            "branch_id": r["branch"]["id"],
            "branch_name": r["branch"]["name"],
            "distance_km": r["distance_km"],
            "opening_hours": opening[0] if opening else None,
            "hours_exceptions": opening[1] if opening else None,
        }
    ranked = _ranked([tier], Blended(rows=blend_rows, seeds={}), at)
    return _capped(ranked, limit=need, seen=seen, per_merchant=per_merchant)


# ---- the shelves ----------------------------------------------------------------------------------------------------

FILL_BELOW = 1  # a shelf the lists leave shorter (empty) asks discovery's popular products nearby (a search costs more)


def shopper_of_key(key: str) -> Shopper | None:
    """The shopper a behaviour key names (`u:<id>`, `g:<uuid>`), None for '' or anything else."""
    kind, _, value = (key or "").partition(":")
    try:
        if kind == "u":
            return Shopper(user_id=int(value))
        if kind == "g":
            return Shopper(guest_id=UUID(value))
    except ValueError:
        return None
    return None


def _cart_listing_ids(shopper: Shopper | None) -> list[int]:
    """The listings in the shopper's cart (one query)."""
    if shopper is None:
        return []
    ids = Cart.objects.filter(shopper.owns()).values_list("items__listing_id", flat=True)
    return [i for i in ids if i is not None]


def order_listing_ids(*, shopper: Shopper | None, order_id: int | None = None, number: str | None = None) -> list[int]:
    """The listings of one of the shopper's own orders, by id or number (one query); anyone else's order, or none,
    is RecommendationError ORDER_NOT_FOUND (404: existence is not revealed)."""
    if shopper is None:
        raise RecommendationError(RecommendationErrorCode.ORDER_NOT_FOUND, field="order")
    orders = CustomerOrder.objects.filter(shopper.owns())
    orders = orders.filter(pk=order_id) if order_id is not None else orders.filter(number=number)
    parts = list(orders.values_list("pk", "parts__lines"))
    if not parts:
        raise RecommendationError(RecommendationErrorCode.ORDER_NOT_FOUND, field="order")
    return [line["listing_id"] for _, lines in parts for line in (lines or []) if line.get("listing_id")]


def _titles() -> dict[str, str]:
    return {
        Surface.HOME: _("For you near you"),
        Surface.PRODUCT_TOGETHER: _("Often bought together"),
        Surface.PRODUCT_SIMILAR: _("Similar nearby"),
        Surface.CART_ADDONS: _("You might also need"),
        Surface.ORDER: _("Goes well with your order"),
    }


def _reason(
    surface: str, candidate: Candidate, seeds: dict[Key, dict[str, Any]], bought: set[Key], titles: dict[str, str]
) -> str:
    if candidate.reason:
        return candidate.reason
    if candidate.source == "popular":
        return titles["popular"]
    if surface == Surface.HOME and candidate.because in seeds:
        title = seeds[candidate.because]["title"]
        if candidate.because in bought:
            return _("Because you bought %(title)s") % {"title": title}
        return _("Because you viewed %(title)s") % {"title": title}
    return titles[surface]


@functools.lru_cache(maxsize=1)
def _product_path_parts() -> tuple[str, str, str]:
    """discovery's product path around its two arguments, reversed once (a shelf writes a dozen of them)."""
    sample = product_url("merchant-slug-here", 987654321)
    head, _sep, rest = sample.partition("merchant-slug-here")
    middle, _sep, tail = rest.partition("987654321")
    return head, middle, tail


def _product_path(merchant_slug: str, product_id: int) -> str:
    """`product_url(merchant_slug, product_id)`."""
    head, middle, tail = _product_path_parts()
    return f"{head}{merchant_slug}{middle}{product_id}{tail}"


def _items(
    surface: str, model: str, kept: list[Ranked], seeds: dict[Key, dict[str, Any]], bought: set[Key]
) -> list[ShelfItem]:
    images = list(dict.fromkeys(e.row["image_public_id"] for e in kept if e.row.get("image_public_id")))
    urls = dict(zip(images, delivery_urls(public_ids=images, variant="thumb"), strict=True)) if images else {}
    items = []
    titles = {**_titles(), "popular": _("Popular near you")}
    for position, entry in enumerate(kept, start=1):
        row = entry.row
        url = _product_path(row["merchant_slug"], row["product_id"])
        items.append(
            ShelfItem(
                merchant_id=row["merchant_id"],
                product_id=row["product_id"],
                listing_id=row["id"],
                title=row["title"],
                variant_name=row["variant_name"],
                price=Decimal(row["price"]),
                regular_price=Decimal(row["regular_price"]),
                currency=row["currency"],
                merchant_slug=row["merchant_slug"],
                store_name=row["store_name"],
                branch_id=row["branch_id"],
                branch_name=row["branch_name"],
                distance_km=round(row["distance_km"], 3),
                open_now=entry.open_now,
                opens_at=entry.opens_at,
                url=url,
                image_url=row.get("image_url") or urls.get(row.get("image_public_id") or ""),
                reason=_reason(surface, entry.candidate, seeds, bought, titles),
                source=entry.candidate.source,
                position=position,
                click_url=f"{url}?{urlencode({'shelf': surface, 'm': model, 'pos': position})}",
            )
        )
    return items


def _shelf(
    surface: str,
    *,
    seeds: Seeds,
    lat: float,
    lng: float,
    at: datetime,
    limit: int,
    bought: set[Key] | None = None,
    product: Key | None = None,
) -> Shelf:
    lists = _lists(seeds=seeds, kind=SHELF_KINDS[surface], lat=lat, lng=lng, at=at)
    if seeds.shopper:
        seeds, bought = lists.home_seeds()
    exclude = set(seeds.exclude) | lists.seeds
    model = lists.model.top(MODEL_CANDIDATES, exclude, "model")
    popular = lists.popular.top(POPULAR_CANDIDATES, exclude | model.keys(), "popular")
    named = [s.key for s in seeds.seeds] if surface in (Surface.HOME, Surface.PRODUCT_SIMILAR) else []
    blended = _blend_rows([*model, *popular], named, lat, lng)
    seen, per_merchant = set(exclude), defaultdict(int)
    kept = _capped(_ranked([model], blended, at), limit=limit, seen=seen, per_merchant=per_merchant)
    new_product = product is not None and product not in lists.listed and product in blended.seeds
    if surface == Surface.PRODUCT_SIMILAR and new_product and len(kept) < limit:
        category_id = blended.seeds[product]["category_id"]
        node = category_tree().by_id.get(category_id) if category_id else None
        if node is not None:  # a new product's neighbours: its category's popular products nearby
            kept += _fill_nearby(
                lat=lat, lng=lng, at=at, category=node.slug, seen=seen, per_merchant=per_merchant,
                reason=_("Popular in %(category)s nearby") % {"category": node.name}, need=limit - len(kept),
            )  # fmt: skip
    kept += _capped(_ranked([popular], blended, at), limit=limit - len(kept), seen=seen, per_merchant=per_merchant)
    # no cold-start list for the neighbourhood (no model trained there yet), or next to nothing left after the blend
    if len(kept) < limit and (not lists.popular or len(kept) < FILL_BELOW):
        kept += _fill_nearby(
            lat=lat, lng=lng, at=at, category=None, seen=seen, per_merchant=per_merchant,
            reason=_("Popular near you"), need=limit - len(kept),
        )  # fmt: skip
    label = _model_label(kept)
    title = _titles()[surface] if label != POPULAR_LABEL or surface != Surface.HOME else _("Popular near you")
    return Shelf(
        surface=surface, model=label, title=title, items=_items(surface, label, kept, blended.seeds, bought or set())
    )


@dataclass(frozen=True)
class ShelfQuery:
    """What a shelf is asked for: its surface (a shelf Surface), who and where, and what it concerns."""

    surface: str
    lat: float
    lng: float
    shopper: str = ""  # the behaviour key ('' anonymous)
    product: Key | None = None
    order_id: int | None = None
    order_number: str | None = None
    limit: int = SHELF_SIZE
    at: datetime | None = None


def shelf_for(query: ShelfQuery) -> Shelf:
    """The shelf of `query.surface` for its shopper at (lat, lng). Reads only; the caller records the impressions.
    RecommendationError: no product for a product shelf, an order that is not the shopper's (404)."""
    at = query.at or timezone.now()
    surface = query.surface
    common = {"lat": query.lat, "lng": query.lng, "at": at, "limit": query.limit}
    if surface == Surface.HOME:
        return _shelf(surface, seeds=Seeds(seeds=[], shopper=query.shopper), **common)
    if surface in (Surface.PRODUCT_TOGETHER, Surface.PRODUCT_SIMILAR):
        if query.product is None:
            raise RecommendationError(RecommendationErrorCode.PRODUCT_NEEDED, field="product")
        seeds = Seeds(seeds=[Seed(key=query.product, weight=1.0)], exclude=frozenset({query.product}))
        return _shelf(surface, seeds=seeds, product=query.product, **common)
    if surface == Surface.CART_ADDONS:
        listing_ids = _cart_listing_ids(shopper_of_key(query.shopper))
        return _shelf(surface, seeds=Seeds(seeds=[], listing_ids=listing_ids), **common)
    if surface == Surface.ORDER:
        if query.order_id is None and not query.order_number:
            raise RecommendationError(RecommendationErrorCode.ORDER_NEEDED, field="order")
        listing_ids = order_listing_ids(
            shopper=shopper_of_key(query.shopper), order_id=query.order_id, number=query.order_number
        )
        return _shelf(surface, seeds=Seeds(seeds=[], listing_ids=listing_ids), **common)
    raise ValueError(f"not a shelf: {surface}")
