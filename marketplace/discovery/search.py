"""Listing search: which plan serves which query, and the row statement.

`search_plan(query)` validates the parameters and picks one of four plans; `search_listings(query)` runs it and
shapes the answer. Every plan returns the same `SearchRows` (search_sql.py): the page, the total and every facet of
exactly the filtered set.

query (the first line that matches decides)              plan (PlanFamily)  totals, facets and page from
-------------------------------------------------------  -----------------  ----------------------------------------
summaries=False: the reference of tests and benchmark    ROWS               the row statement
no words; price bounds, if any, on histogram edges       BRANCHES           FacetCount cells per branch (numpy sums),
                                                                            a page from a few branches or a walk
located; one word (no typo) held by at least             BRANCHES_WORD      the word's cells per branch (process,
  WORD_CELLS_MIN_LISTINGS listings; bounds on edges                         else Redis, else counted), its hits by id
located words, each one's tsquery exactly 'stem':*,      ROWS_NEAR_WORDS    the row statement, its rows found by the
  a circle of at most geo.MAX_TERM_CELLS r6 cells                           per-cell word index (listing_search_geo)
anything else: words without a location, a wide circle,  ROWS               the row statement, its rows found by the
  a price bound between edges, a word the parser splits                     H3 prefilter and the plain word index

The two BRANCHES plans live in search_browse.py (which page each sort reads: its table). Price bounds between the
histogram's edges cannot be summed from the buckets, and pairs of words rarely repeat and hold few listings: both
keep the row statement.

The row statement materializes the narrow filtered set once (`hits`), then reads the page (top-N, joined back to
the wide rows for those N only), the total and every facet from it. Every fast plan is tested against it
(test_search_browse.py, test_search_api.py).

What each plan keeps between searches: branch cells by branch version in the process and, for frequent words, in
Redis (cell_cache.py, cell_store.py); the whole index's price histogram (cell_cache.bucket_counts); H3 covers
(geo.py); word stems, typo corrections and whether pg_trgm exists (search_text.py); the category tree.

Score = text relevance * distance decay * availability * popularity; ties break on listing id, so the order, and
with it every page of a cursor, is deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import connection

from kernel.db import unprepared
from marketplace.discovery import geo
from marketplace.discovery.cell_counts import WORD_CELLS_MIN_LISTINGS, Words
from marketplace.discovery.errors import MAX_RADIUS_KM, DiscoveryError, DiscoveryErrorCode
from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search_browse import BranchSearch
from marketplace.discovery.search_sql import (
    PRICE_EDGES,
    STORE_FACET_SIZE,
    Filters,
    SearchRows,
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


class PlanFamily(StrEnum):
    """Which plan serves a query: the module's table."""

    BRANCHES = "branches"
    BRANCHES_WORD = "branches_word"
    ROWS_NEAR_WORDS = "rows_near_words"
    ROWS = "rows"


@dataclass(frozen=True)
class RowStatement:
    """One statement over the listing rows (`_STATEMENT`) and its params."""

    sql: str
    params: dict[str, Any]

    def run(self, cursor: Any) -> SearchRows:
        cursor.execute(self.sql, self.params)
        total, in_stock, page, categories, prices, stores_total, stores = cursor.fetchone()
        return SearchRows(
            total=total,
            in_stock=in_stock,
            page=page,
            categories=categories,
            prices=prices,
            stores_total=stores_total,
            stores=stores,
        )


@dataclass(frozen=True)
class SearchPlan:
    """A validated search and how to run it: its `family` (the module's table) and its `statements`."""

    query: SearchQuery
    family: PlanFamily
    statements: RowStatement | BranchSearch
    offset: int
    limit: int
    fingerprint: str
    tree: CategoryTree
    corrections: dict[str, str]

    def execute(self, cursor: Any) -> SearchRows:
        """Run the plan's statements on `cursor` (Django's, or the benchmark's plain psycopg one)."""
        return self.statements.run(cursor)


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
    """Validate `query` (DiscoveryError on a bad combination) and plan it (the module's table). `summaries=False`
    plans the plain row statement instead (no summaries, no per-cell word index): the reference the tests and the
    benchmark compare against."""
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
    family, statements = _choose(query, tree, text, offset=offset, summaries=summaries)
    return SearchPlan(
        query=query,
        family=family,
        statements=statements,
        offset=offset,
        limit=query.limit,
        fingerprint=fingerprint,
        tree=tree,
        corrections=text.corrections if text else {},
    )


def _choose(
    query: SearchQuery, tree: CategoryTree, text: TextQuery | None, *, offset: int, summaries: bool
) -> tuple[PlanFamily, RowStatement | BranchSearch]:
    """The first row of the module's table that `query` matches, and its statements."""
    located = query.lat is not None
    if summaries and (text is None or (located and _frequent_word(text))):
        filters = filters_build(query, tree)
        if filters.summable:  # per branch: summaries without words, word cells with frequent ones
            words = Words.of_stem(text.stems[0][0]) if text is not None else None
            family = PlanFamily.BRANCHES if words is None else PlanFamily.BRANCHES_WORD
            return family, BranchSearch.of(query=query, filters=filters, offset=offset, limit=query.limit, words=words)
    # Words near the customer: one index (listing_search_geo) finds them within the circle's cells; ANDing every
    # listing of the circle from the H3 btree as well cost more than it saved.
    cells = geo.term_cells(query.lat, query.lng, query.radius_km) if summaries and text and located else None
    geo_queries = text.geo_queries(cells) if cells else None
    filters = filters_build(query, tree, prefilter=geo_queries is None)
    family = PlanFamily.ROWS_NEAR_WORDS if geo_queries else PlanFamily.ROWS
    return family, _row_statement(query, filters, text, geo_queries, offset=offset)


def _row_statement(
    query: SearchQuery, filters: Filters, text: TextQuery | None, geo_queries: list[str] | None, *, offset: int
) -> RowStatement:
    """The row statement for `filters` and `text`, its rows found by the per-cell word index when `geo_queries`."""
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
    sql = _STATEMENT.format(
        distance=filters.distance,
        text_score=text_score,
        conditions=conjunction(conditions),
        after=conjunction(after),
        page_cte=page_cte(query.sort, located=filters.located),
        page_json=page_json(query.sort, located=filters.located),
    )
    return RowStatement(sql=sql, params=params)


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
        "merchant_id": row["merchant_id"],
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


def search_run(plan: SearchPlan) -> SearchRows:
    """Run the plan's statements, planned for their values (not prepared; the benchmark runs the same)."""
    with unprepared(), connection.cursor() as cursor:
        return plan.execute(cursor)


def first_position(found: dict[str, Any]) -> int:
    """The place in the whole list of a page's first result (1 on the first page): where impressions and clicks
    count from."""
    return (found["page"] - 1) * found["limit"] + 1


def search_listings(query: SearchQuery) -> dict[str, Any]:
    """Listings around the customer matching `query`, with facets of the whole filtered set. Read-only.
    Raises DiscoveryError (400) for a bad combination of parameters."""
    plan = search_plan(query)
    rows = search_run(plan)
    next_offset = plan.offset + plan.limit
    return {
        "total": rows.total,
        "results": _results(rows.page, tree=plan.tree, explain=query.explain),
        "next_cursor": (
            encode_cursor(offset=next_offset, fingerprint=plan.fingerprint) if next_offset < rows.total else None
        ),
        "page": plan.offset // plan.limit + 1,
        "limit": plan.limit,
        "corrections": plan.corrections,
        "facets": {
            "categories": _category_facet(rows.categories, plan.tree),
            "price": _price_facet(rows.prices),
            "stores": [
                {"key": f"{merchant}/{slug}", "merchant": merchant, "slug": slug, "name": name, "count": n}
                for n, merchant, slug, name in rows.stores
            ],
            "stores_total": rows.stores_total,
            "in_stock": rows.in_stock,
        },
    }
