"""Searches without text, answered from the per-branch summaries instead of the listing rows.

Every listing of a branch shares the branch's location and delivery terms, so a search without words is a set of
branches (those within the radius that serve as asked) and, in each, a set of (category, price bucket, stock,
offer) cells. The total and every facet are sums of `FacetCount` rows over those branches — a few hundred rows
where the listings are a few hundred thousand — and they are exact: the triggers on `Listing` keep the counts in
the statement that changes the rows (migration listings 0005).

The page reads rows, but only where the page can be:
* distance: the nearest branches until they hold the page (all of a branch's listings are equally far);
* relevance (distance decay x availability x popularity): the nearest branches give a lower bound of the page's
  last score; only branches whose best possible score (their decay x the popularity bound the summary keeps)
  reaches it can hold a row of the page;
* price, newest, popular: either the rows of the branches (when they are few) or a walk of the sort's index that
  keeps the rows of the branches (when they hold a good share of all listings), whichever reads fewer rows.

Price bounds that are not histogram edges cannot be summed from the buckets: those searches take the row path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search_sql import (
    DECAY_KM,
    STORE_FACET_SIZE,
    Filters,
    conjunction,
    page_cte,
    page_json,
)

# GROUPING(category_id, price_bucket, store_id, branch_id, in_stock): a bitmask of the columns a row is NOT
# grouped by, telling the facets of the one pass apart.
_BY_CATEGORY, _BY_PRICE, _BY_STORE, _BY_BRANCH, _BY_STOCK = 0b01111, 0b10111, 0b11011, 0b11101, 0b11110

_SUMMARY = f"""
WITH b AS MATERIALIZED (
    SELECT l.merchant_id, l.branch_id, l.store_id, l.merchant_slug, l.store_slug, l.store_name, l.listings,
           l.popularity_max, {{distance}} AS distance_km
    FROM public.listings_branchsummary l
    WHERE {{branch}}
), cells AS MATERIALIZED (
    SELECT b.merchant_id, b.branch_id, b.store_id, f.category_id, f.price_bucket, f.in_stock, f.n
    FROM b CROSS JOIN LATERAL (SELECT * FROM public.listings_facetcount f
                               WHERE f.merchant_id = b.merchant_id AND f.branch_id = b.branch_id AND {{facet}}) f
), facets AS MATERIALIZED (
    SELECT GROUPING(category_id, price_bucket, store_id, branch_id, in_stock) AS g, merchant_id, store_id, branch_id,
           category_id, price_bucket, in_stock, sum(n)::bigint AS n
    FROM cells
    GROUP BY GROUPING SETS ((category_id), (price_bucket), (merchant_id, store_id), (merchant_id, branch_id),
                            (in_stock))
)
SELECT
    (SELECT coalesce(sum(n), 0)::bigint FROM facets WHERE g = {_BY_STOCK}),
    (SELECT coalesce(sum(n), 0)::bigint FROM facets WHERE g = {_BY_STOCK} AND in_stock),
    (SELECT coalesce(json_agg(json_build_array(category_id, n)), '[]'::json) FROM facets WHERE g = {_BY_CATEGORY}),
    (SELECT coalesce(json_agg(json_build_array(price_bucket, n) ORDER BY price_bucket), '[]'::json)
     FROM facets WHERE g = {_BY_PRICE}),
    (SELECT count(*) FROM facets WHERE g = {_BY_STORE}),
    (SELECT coalesce(json_agg(json_build_array(s.n, i.merchant_slug, i.store_slug, i.store_name)
                              ORDER BY s.n DESC, s.merchant_id, s.store_id), '[]'::json)
     FROM (SELECT merchant_id, store_id, n FROM facets WHERE g = {_BY_STORE}
           ORDER BY n DESC, merchant_id, store_id LIMIT {STORE_FACET_SIZE}) s
     CROSS JOIN LATERAL (SELECT x.merchant_slug, x.store_slug, x.store_name FROM b x
                         WHERE x.merchant_id = s.merchant_id AND x.store_id = s.store_id LIMIT 1) i),
    (SELECT coalesce(json_agg(json_build_array(b.merchant_id, b.branch_id, b.distance_km, s.n, b.listings,
                                               b.popularity_max)), '[]'::json)
     FROM facets s JOIN b ON b.merchant_id = s.merchant_id AND b.branch_id = s.branch_id
     WHERE s.g = {_BY_BRANCH} AND s.n > 0),
    (SELECT greatest(reltuples, 1)::bigint FROM pg_class WHERE oid = 'public.listings_listing'::regclass)
"""

_BRANCHES = (
    "unnest(%(b_merchant)s::bigint[], %(b_branch)s::bigint[], %(b_distance)s::float8[]) "
    "AS b(merchant_id, branch_id, distance_km)"
)
_HIT_COLUMNS = "l.id, l.price, l.in_stock, l.popularity, l.listed_at, b.distance_km, 1.0::float8 AS text_score"

# The rows of a few branches, each read through the (merchant_id, branch_id, ...) unique index.
_FROM_BRANCHES = f"""
    SELECT {_HIT_COLUMNS} FROM {_BRANCHES}
    CROSS JOIN LATERAL (SELECT * FROM public.listings_listing l
                        WHERE l.merchant_id = b.merchant_id AND l.branch_id = b.branch_id AND {{row}}) l
"""
# Rows in the sort's order (a walk of its index), kept when their branch is one of ours. The branch test is a
# hashed array lookup on a computed key, which no index serves: left with that, the planner walks the sort's index
# and stops at the page (a join to the branches would read every row of every branch, then sort).
_BY_WALK = """
    SELECT l.id, l.price, l.in_stock, l.popularity, l.listed_at, {distance} AS distance_km, 1.0::float8 AS text_score
    FROM public.listings_listing l
    WHERE (l.merchant_id * 4294967296 + l.branch_id) = ANY(%(b_keys)s::bigint[]) AND {row}
"""


@dataclass(frozen=True)
class Branch:
    merchant_id: int
    branch_id: int
    distance_km: float | None
    hits: int  # listings of the branch that pass the filters
    listings: int  # all its listings (what reading the branch costs)
    popularity_max: float


def browse_possible(filters: Filters, *, has_text: bool) -> bool:
    return not has_text and filters.facet is not None


def _decay(distance_km: float | None) -> float:
    return 1.0 if distance_km is None else 1.0 / (1.0 + distance_km / DECAY_KM)


def _best_score(branch: Branch) -> float:
    """No listing of the branch scores more than this (in stock, the popularity bound)."""
    return _decay(branch.distance_km) * (1.0 + 0.1 * math.log(1.0 + max(branch.popularity_max, 0.0)))


def _nearest(branches: list[Branch], need: int) -> list[Branch]:
    """The nearest branches holding at least `need` hits, with every branch as far as the last one."""
    ordered = sorted(branches, key=lambda b: (b.distance_km or 0.0, b.merchant_id, b.branch_id))
    chosen, held = [], 0
    for branch in ordered:
        if held >= need and branch.distance_km != chosen[-1].distance_km:
            break
        chosen.append(branch)
        held += branch.hits
    return chosen


class BrowseRun:
    """Runs a no-text search's statements on `cursor`; `rows()` returns what the row path's statement returns."""

    def __init__(self, *, query: SearchQuery, filters: Filters, offset: int, limit: int) -> None:
        self.query, self.filters, self.offset, self.limit = query, filters, offset, limit
        self.located = filters.located

    def summary_sql(self) -> str:
        return _SUMMARY.format(
            distance=self.filters.distance,
            branch=conjunction(self.filters.branch),
            facet=conjunction(self.filters.facet or []),
        )

    def page_sql(self, source: str) -> str:
        sort, located = self.query.sort, self.located
        hits = source.format(row=conjunction(self.filters.row), distance=self.filters.distance)
        return f"WITH hits AS ({hits}), {page_cte(sort, located=located)} SELECT {page_json(sort, located=located)}"

    def _branch_params(self, branches: list[Branch]) -> dict[str, Any]:
        return {
            **self.filters.params,
            "b_merchant": [b.merchant_id for b in branches],
            "b_branch": [b.branch_id for b in branches],
            "b_distance": [b.distance_km for b in branches],
            "b_keys": [b.merchant_id * 4294967296 + b.branch_id for b in branches],
        }

    def _page(self, cursor: Any, source: str, branches: list[Branch], *, limit: int, offset: int) -> list[dict]:
        params = {**self._branch_params(branches), "limit": limit, "offset": offset}
        cursor.execute(self.page_sql(source), params)
        return cursor.fetchone()[0]

    def _page_rows(self, cursor: Any, branches: list[Branch], total: int, all_listings: int) -> list[dict]:
        need, sort = self.offset + self.limit, self.query.sort
        if not branches or self.offset >= total:
            return []
        if sort == Sort.DISTANCE:
            return self._page(cursor, _FROM_BRANCHES, _nearest(branches, need), limit=self.limit, offset=self.offset)
        if sort == Sort.RELEVANCE and self.located:
            near = _nearest(branches, need)
            probe = self._page(cursor, _FROM_BRANCHES, near, limit=need, offset=0)
            floor = min(row["score"] for row in probe) if len(probe) >= need else 0.0
            keys = {(b.merchant_id, b.branch_id) for b in near}
            chosen = [
                b for b in branches if (b.merchant_id, b.branch_id) in keys or _best_score(b) >= floor * (1 - 1e-9)
            ]
            return self._page(cursor, _FROM_BRANCHES, chosen, limit=self.limit, offset=self.offset)
        read_branches = sum(b.listings for b in branches)
        read_walk = need * all_listings / max(total, 1)
        source = _FROM_BRANCHES if read_branches <= read_walk else _BY_WALK
        return self._page(cursor, source, branches, limit=self.limit, offset=self.offset)

    def rows(self, cursor: Any) -> tuple:
        cursor.execute(self.summary_sql(), self.filters.params)
        total, in_stock, categories, prices, store_count, stores, branch_rows, all_listings = cursor.fetchone()
        branches = [
            Branch(m, b, None if d is None else float(d), hits, listings, float(pop))
            for m, b, d, hits, listings, pop in branch_rows
        ]
        page = self._page_rows(cursor, branches, total, all_listings)
        return total, in_stock, page, categories, prices, store_count, stores
