"""Listing search: H3 ring prefilter + exact distance + full text + filters + facets, in one SQL round trip (or,
without words or with one frequent word, per branch: search_browse.py).

`search_plan(query)` validates the parameters and builds the statement; `search_listings(query)` runs it and shapes
the answer. The statement materializes the narrow filtered set once (`hits`), then reads the page (top-N, joined
back to the wide rows for those N only), the total and every facet from it, so facets are always the counts of
exactly the set the results come from.

Score = text relevance * distance decay * availability * popularity; ties break on listing id, so the order, and
with it every page of a cursor, is deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection

from kernel.db import unprepared
from marketplace.discovery import geo
from marketplace.discovery.branch_cells import WORD_CELLS_MIN_LISTINGS, Words
from marketplace.discovery.errors import MAX_RADIUS_KM, DiscoveryError, DiscoveryErrorCode
from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search_browse import BrowseRun
from marketplace.discovery.search_sql import (
    PRICE_EDGES,
    STORE_FACET_SIZE,
    conjunction,
    filters_build,
    geo_condition,
    near_sql,
    page_cte,
    page_json,
    ranks_text,
    row_sql,
)
from marketplace.discovery.search_text import TextQuery, text_query
from shared_apps.categories.selectors import CategoryTree, category_tree
from shared_apps.media.services import delivery_urls

# GROUPING(category_id, bucket, merchant_id, in_stock) is a bitmask of the columns a row is NOT grouped by: one
# pass over the hits yields every facet, told apart by these values.
_BY_CATEGORY, _BY_PRICE, _BY_STORE, _BY_STOCK = 0b0111, 0b1011, 0b1101, 0b1110

_STATEMENT = f"""
WITH hits AS MATERIALIZED (
    SELECT x.id, x.category_id, x.merchant_id, x.store_id, x.price, x.in_stock, x.popularity, x.listed_at,
           x.distance_km, {{text_score}} AS text_score
    FROM (SELECT l.id, l.category_id, l.merchant_id, l.store_id, l.price, l.in_stock, l.has_offer, l.popularity,
                 l.listed_at, l.search, l.delivery_radius_km, {{distance}} AS distance_km
          FROM public.listings_listing l
          WHERE {{conditions}}
          OFFSET 0) x  -- the distance once per row: computed here, tested below
    WHERE {{after}}
), facets AS MATERIALIZED (
    SELECT GROUPING(category_id, bucket, merchant_id, in_stock) AS g, category_id, bucket, merchant_id, store_id,
           in_stock, count(*) AS n
    FROM (SELECT category_id, listings_price_bucket(price) AS bucket, merchant_id, store_id,
                 in_stock FROM hits) x
    GROUP BY GROUPING SETS ((category_id), (bucket), (merchant_id, store_id), (in_stock))
), {{page_cte}}
SELECT
    (SELECT coalesce(sum(n), 0)::bigint FROM facets WHERE g = {_BY_STOCK}),
    (SELECT coalesce(sum(n), 0)::bigint FROM facets WHERE g = {_BY_STOCK} AND in_stock),
    {{page_json}},
    (SELECT coalesce(json_agg(json_build_array(category_id, n)), '[]'::json) FROM facets WHERE g = {_BY_CATEGORY}),
    (SELECT coalesce(json_agg(json_build_array(bucket, n) ORDER BY bucket), '[]'::json)
     FROM facets WHERE g = {_BY_PRICE}),
    (SELECT count(*) FROM facets WHERE g = {_BY_STORE}),
    (SELECT coalesce(json_agg(json_build_array(s.n, i.merchant_slug, i.store_slug, i.store_name)
                              ORDER BY s.n DESC, s.merchant_id, s.store_id), '[]'::json)
     FROM (SELECT merchant_id, store_id, n FROM facets WHERE g = {_BY_STORE}
           ORDER BY n DESC, merchant_id, store_id LIMIT {STORE_FACET_SIZE}) s
     CROSS JOIN LATERAL (SELECT x.merchant_slug, x.store_slug, x.store_name FROM public.listings_listing x
                         WHERE x.merchant_id = s.merchant_id AND x.store_id = s.store_id LIMIT 1) i)
"""


@dataclass
class SearchPlan:
    """A validated search and how to run it: the per-branch statements (`browse`) without words or with one
    frequent word, else one statement over the listing rows (`sql`, `params`); a price bound between the
    histogram's edges always takes the row statement."""

    query: SearchQuery
    sql: str
    params: dict[str, Any]
    offset: int
    limit: int
    fingerprint: str
    tree: CategoryTree
    corrections: dict[str, str] = field(default_factory=dict)
    browse: BrowseRun | None = None

    def execute(self, cursor: Any) -> tuple:
        """(total, in stock, page rows, category counts, price buckets, store count, top stores), run on
        `cursor` (Django's, or the benchmark's plain psycopg one)."""
        if self.browse is not None:
            return self.browse.rows(cursor)
        cursor.execute(self.sql, self.params)
        return cursor.fetchone()


def _frequent_word(text: TextQuery) -> bool:
    """One word, held by enough listings that its per-branch counts are worth keeping: searched again and again
    (pairs of words rarely repeat, and hold fewer listings)."""
    one = text.stems is not None and len(text.stems) == 1 and text.stems[0][1] is None  # no typo correction
    return one and text.listings >= WORD_CELLS_MIN_LISTINGS


def _fingerprint(query: SearchQuery) -> str:
    data = query.model_dump(exclude={"cursor", "page", "limit", "explain"}, mode="json")
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def encode_cursor(*, offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
        matches = data["f"] == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise DiscoveryError(DiscoveryErrorCode.CURSOR_INVALID, field="cursor") from exc
    if not matches or not 0 <= offset <= 100_000:
        raise DiscoveryError(DiscoveryErrorCode.CURSOR_INVALID, field="cursor")
    return offset


def location_validate(*, lat: float | None, lng: float | None, radius_km: float) -> None:
    """Both or neither of lat/lng, on the globe, and a radius the API serves; else DiscoveryError (400)."""
    if (lat is None) != (lng is None):
        raise DiscoveryError(DiscoveryErrorCode.LOCATION_INCOMPLETE, field="lng" if lng is None else "lat")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DiscoveryError(DiscoveryErrorCode.LOCATION_INVALID, field="lat")
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise DiscoveryError(DiscoveryErrorCode.RADIUS_INVALID, field="radius_km")


def search_plan(query: SearchQuery, *, summaries: bool = True) -> SearchPlan:
    """Validate `query` (DiscoveryError on a bad combination) and plan it: per branch when it has no words or one
    frequent word (search_browse.py), else the row statement. `summaries=False` plans the plain row statement
    instead (no summaries, no per-cell word index): the reference the tests and the benchmark compare against."""
    location_validate(lat=query.lat, lng=query.lng, radius_km=query.radius_km)
    located = query.lat is not None
    if query.sort == Sort.DISTANCE and not located:
        raise DiscoveryError(DiscoveryErrorCode.DISTANCE_NEEDS_LOCATION, field="sort")
    if query.price_min is not None and query.price_max is not None and query.price_min > query.price_max:
        raise DiscoveryError(DiscoveryErrorCode.PRICE_RANGE_INVALID, field="price_min")
    if query.cursor and query.page:
        raise DiscoveryError(DiscoveryErrorCode.PAGE_CONFLICT, field="cursor")
    fingerprint = _fingerprint(query)
    offset = (query.page - 1) * query.limit if query.page else 0
    if query.cursor:
        offset = _decode_cursor(query.cursor, fingerprint)

    tree = category_tree()
    text = text_query(query.q)
    plan = SearchPlan(
        query=query,
        sql="",
        params={},
        offset=offset,
        limit=query.limit,
        fingerprint=fingerprint,
        tree=tree,
        corrections=text.corrections if text else {},
    )
    if summaries and (text is None or (located and _frequent_word(text))):
        filters = filters_build(query, tree)
        if filters.summable:  # per branch: summaries without words, word cells with frequent ones
            words = Words.of_stem(text.stems[0][0]) if text is not None else None
            plan.browse = BrowseRun(query=query, filters=filters, offset=offset, limit=query.limit, words=words)
            return plan
    # Words near the customer: one index (listing_search_geo) finds them within the circle's cells; ANDing every
    # listing of the circle from the H3 btree as well cost more than it saved.
    cells = geo.term_cells(query.lat, query.lng, query.radius_km) if summaries and text and located else None
    geo_queries = text.geo_queries(cells) if cells else None
    filters = filters_build(query, tree, prefilter=geo_queries is None)
    conditions = list(filters.branch)
    # After the fence: the distance, and, when the per-cell word index finds the rows, the listing's own conditions
    # (the planner otherwise ANDs the word's few rows with a price range's half a million from the price index).
    after = near_sql(filters, distance="x.distance_km", prefix="x.")
    if geo_queries:
        after += row_sql(filters, prefix="x.")
    else:
        conditions += row_sql(filters, prefix="l.")
    text_score = "1.0::float8"
    params = {**filters.params, "limit": query.limit, "offset": offset}
    if text is not None:
        params.update(text.params)
        if geo_queries:
            geo_sql, geo_params = geo_condition(geo_queries, name="geo")
            params.update(geo_params)
            conditions.append(geo_sql)
        else:
            conditions.append(f"l.search @@ {text.sql}")
        if ranks_text(query):
            text_score = f"ts_rank_cd(x.search, {text.sql}, 32)"
    plan.sql = _STATEMENT.format(
        distance=filters.distance,
        text_score=text_score,
        conditions=conjunction(conditions),
        after=conjunction(after),
        page_cte=page_cte(query.sort, located=filters.located),
        page_json=page_json(query.sort, located=filters.located),
    )
    plan.params = params
    return plan


def _results(page: list[dict[str, Any]], *, tree: CategoryTree, explain: bool) -> list[dict[str, Any]]:
    images = list(dict.fromkeys(row["image_public_id"] for row in page if row["image_public_id"]))
    urls = dict(zip(images, delivery_urls(public_ids=images, variant="thumb"), strict=True))
    return [_result(row, tree=tree, image_url=urls.get(row["image_public_id"]), explain=explain) for row in page]


def _result(row: dict[str, Any], *, tree: CategoryTree, image_url: str | None, explain: bool) -> dict[str, Any]:
    category = tree.by_id.get(row["category_id"]) if row["category_id"] else None
    distance = row["distance_km"]
    merchant, store_slug = row["merchant"], row["store_slug"]
    return {
        "id": row["id"],
        "product_id": row["product_id"],
        "variant_id": row["variant_id"],
        "title": row["title"],
        "variant_name": row["variant_name"],
        "price": Decimal(row["price"]),
        "regular_price": Decimal(row["regular_price"]),
        "currency": row["currency"],
        "has_offer": row["has_offer"],
        "in_stock": row["in_stock"],
        "available": row["available"],
        "image_url": image_url,
        "category": {"slug": category.slug, "name": category.name} if category else None,
        "store": {
            "merchant": merchant,
            "slug": store_slug,
            "key": f"{merchant}/{store_slug}",
            "name": row["store_name"],
        },
        "branch": {"id": row["branch_id"], "name": row["branch_name"]},
        "distance_km": round(distance, 3) if distance is not None else None,
        "delivery": {
            "pickup": row["offers_pickup"],
            "delivery": row["offers_delivery"],
            "delivers_here": geo.delivers_here(
                offers_delivery=row["offers_delivery"], radius_km=row["delivery_radius_km"], distance_km=distance
            ),
        },
        "score": {
            "text": row["text"],
            "distance_decay": row["decay"],
            "availability": row["availability"],
            "popularity": row["boost"],
            "total": row["score"],
        }
        if explain
        else None,
    }


def _category_facet(counts: list[list[int]], tree: CategoryTree) -> list[dict[str, Any]]:
    """Each category with the filtered listings in it or under it, in tree order."""
    rolled = tree.rolled_up(dict(counts))
    facet = []
    for node in tree.by_id.values():
        if node.id in rolled:
            parent = tree.by_id.get(node.parent_id) if node.parent_id else None
            facet.append(
                {
                    "slug": node.slug,
                    "name": node.name,
                    "parent": parent.slug if parent else None,
                    "count": rolled[node.id],
                }
            )
    return facet


def _price_facet(buckets: list[list[int]]) -> list[dict[str, Any]]:
    facet = []
    for bucket, n in buckets:  # width_bucket: 1 is [edge0, edge1), len(edges) is [last edge, ∞)
        low = PRICE_EDGES[bucket - 1]
        high = PRICE_EDGES[bucket] if bucket < len(PRICE_EDGES) else None
        facet.append({"min": Decimal(low), "max": Decimal(high) if high is not None else None, "count": n})
    return facet


def search_run(plan: SearchPlan) -> tuple:
    """Run the plan's statements, planned for their values (not prepared; the benchmark runs the same)."""
    with unprepared(), connection.cursor() as cursor:
        return plan.execute(cursor)


def search_listings(query: SearchQuery) -> dict[str, Any]:
    """Listings around the customer matching `query`, with facets of the whole filtered set. Read-only.
    Raises DiscoveryError (400) for a bad combination of parameters."""
    plan = search_plan(query)
    total, in_stock, page, categories, prices, store_count, stores = search_run(plan)
    next_offset = plan.offset + plan.limit
    return {
        "total": total,
        "results": _results(page, tree=plan.tree, explain=query.explain),
        "next_cursor": encode_cursor(offset=next_offset, fingerprint=plan.fingerprint) if next_offset < total else None,
        "page": plan.offset // plan.limit + 1,
        "limit": plan.limit,
        "corrections": plan.corrections,
        "facets": {
            "categories": _category_facet(categories, plan.tree),
            "price": _price_facet(prices),
            "stores": [
                {"key": f"{merchant}/{slug}", "merchant": merchant, "slug": slug, "name": name, "count": n}
                for n, merchant, slug, name in stores
            ],
            "stores_total": store_count,
            "in_stock": in_stock,
        },
    }
