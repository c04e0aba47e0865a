"""Searches without words, or with one frequent word, answered per branch instead of from every matching row.

Every listing of a branch shares the branch's location and delivery terms, so a search is a set of branches (those
within the radius that serve as asked) and, in each, a set of (category, price bucket, stock, offer) cells. The
total and every facet are sums of cells over those branches (cell_math.py) — a few tens of thousands of cells
where the listings are a few hundred thousand — and they are exact:
* without words, the cells are `FacetCount` rows, kept by the triggers on `Listing` in the statement that changes
  the rows (migration listings 0005);
* with a frequent word (`words`), they count the branch's listings holding it, with their ids and the branch's best
  score before the distance decay, counted once per word and branch version for the deployment (cell_cache.py).

The page reads rows, but only where the page can be:

sort                          page read from
----------------------------  -------------------------------------------------------------------------------------
distance                      the nearest branches until they hold the page (a branch's listings are equally far)
relevance, located            the branches whose best possible score reaches the floor a probe sets
price, newest, popular;       the branches' rows, or a walk of the sort's index keeping the branches' rows:
  relevance without location  whichever reads fewer rows

* Relevance (text rank x distance decay x availability x popularity): a probe of a few branches gives a lower
  bound of the page's last score; only branches whose best possible score (their decay x the bound they keep)
  reaches it can hold a row of the page. Without words the probe is the nearest branches and the bound the
  summary's popularity bound; with a word, the branches with the best bounds, which are exact.
* Walks are costed from the filtered set's and the whole index's price histograms for price sorts (and start at the
  first bucket holding a hit), from the share of all listings the hits are for the others.
* "The branches' rows" are their listings through the (merchant, branch) index without words, and exactly the word's
  hits by id with one (for a price sort, only those in the page's buckets).

Price bounds that are not histogram edges cannot be summed from the buckets: those searches take the row statement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from marketplace.discovery.cell_cache import branch_facet_cells, branch_word_cells, bucket_counts
from marketplace.discovery.cell_counts import Words
from marketplace.discovery.cell_math import CellFilter, Cells, Sums, branch_key, branch_key_sql, cells_sum, hit_ids
from marketplace.discovery.schemas import SearchQuery, Sort
from marketplace.discovery.search_sql import (
    DECAY_KM,
    PRICE_EDGES,
    STORE_FACET_SIZE,
    Filters,
    SearchRows,
    conjunction,
    edge_index,
    near_sql,
    page_cte,
    page_json,
    ranks_text,
    row_sql,
)

# The branches within the radius that serve as asked, with what the page and the facets need of them (`BranchRow`).
_BRANCH_ROWS = """
    SELECT l.merchant_id, l.branch_id, l.version, l.h3_r6, l.store_id, l.merchant_slug, l.store_slug, l.store_name,
           l.listings, l.popularity_max, {distance} AS distance_km,
           (SELECT greatest(reltuples, 1)::bigint FROM pg_class WHERE oid = 'public.listings_listing'::regclass)
    FROM public.listings_branchsummary l
    WHERE {branch}
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
# and stops at the page (a join to the branches would read every row of every branch, then sort). With words, they
# are tested on each row read (`{word_test}`).
_BY_WALK = f"""
    SELECT l.id, l.price, l.in_stock, l.popularity, l.listed_at, {{distance}} AS distance_km,
           {{text_score}} AS text_score
    FROM public.listings_listing l
    WHERE {branch_key_sql("l")} = ANY(%(b_keys)s::bigint[]) AND {{row}} AND {{start}}
      AND {{word_test}}
"""
# With words: exactly the hits of a few branches, one primary key probe each (given thousands of ids, the planner
# would rather read the table); their word cells keep the ids, and the words are tested again for a row changed
# since.
_WORD_IDS = """
    SELECT l.id, l.price, l.in_stock, l.popularity, l.listed_at, {distance} AS distance_km, {text_score} AS text_score
    FROM unnest(%(ids)s::bigint[]) AS i(id)
    CROSS JOIN LATERAL (SELECT * FROM public.listings_listing l WHERE l.id = i.id OFFSET 0) l
    WHERE {word_test} AND {row}
"""


_PROBE_HITS = 100  # the relevance probe reads branches (nearest, or best bounds with words) until they hold this many


class BranchRow(NamedTuple):
    """A row of `_BRANCH_ROWS`: a branch within the radius that serves as asked."""

    merchant_id: int
    branch_id: int
    version: int
    h3_r6: int
    store_id: int
    merchant_slug: str
    store_slug: str
    store_name: str
    listings: int
    popularity_max: float
    distance_km: float | None
    index_listings: int  # the whole index's listings (the planner's estimate), the same in every row


class Branch(NamedTuple):
    """A branch holding at least one hit of the search (a named tuple: a wide circle makes hundreds per search)."""

    merchant_id: int
    branch_id: int
    distance_km: float | None
    hits: int  # listings of the branch that pass the filters
    reads: int  # rows reading the branch's hits costs
    best: float  # no hit of the branch scores more than this before the distance decay
    cells: Cells | None = None  # with words: its word cells (the hits' ids)


def _decay(distance_km: float | None) -> float:
    return 1.0 if distance_km is None else 1.0 / (1.0 + distance_km / DECAY_KM)


def _popularity_bound(popularity_max: float) -> float:
    """The score of a listing without words, in stock, as popular as the branch's bound allows, before the decay."""
    return 1.0 + 0.1 * math.log(1.0 + max(popularity_max, 0.0))


def _best_score(branch: Branch) -> float:
    """No listing of the branch scores more than this."""
    return _decay(branch.distance_km) * branch.best


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


def _most_promising(branches: list[Branch], need: int, hits: int) -> list[Branch]:
    """The branches with the highest score bounds, at least `need` of them (a branch's bound is its best listing's
    score: `need` of those set the floor when they pass the filters) holding at least `hits` hits."""
    chosen, held = [], 0
    for branch in sorted(branches, key=lambda b: (-_best_score(b), b.merchant_id, b.branch_id)):
        if held >= hits and len(chosen) >= need:
            break
        chosen.append(branch)
        held += branch.hits
    return chosen


def _walk_cheaper(*, reads: float, walk: float) -> bool:
    """Walk the sort's index (reading ~`walk` rows) rather than read the branches' rows (`reads`)?"""
    return walk < reads


@dataclass(frozen=True)
class PriceWalk:
    start: str  # SQL over `l`: where the walk of the price index starts
    reads: float  # rows it reads until it holds the page


def _price_walk(
    prices: list[list[int]], everyone: dict[int, int], need: int, *, descending: bool, above_max: int | None
) -> PriceWalk:
    """Where a walk of the price index should start (the first bucket holding a hit: a category of dear things
    need not walk past every cheap listing) and how many rows it reads until `need` hits, from the filtered set's
    price histogram and the whole index's."""
    ordered = sorted(prices, reverse=descending)
    first = ordered[0][0]
    if descending:
        start = f"l.price < {PRICE_EDGES[first]}" if first < len(PRICE_EDGES) else "TRUE"
    else:
        start = f"l.price >= {PRICE_EDGES[first - 1]}"
    read, held = 0.0, 0
    for bucket, n in ordered:
        # the bucket above a price_max edge holds only hits priced at the edge: the index bound skips the rest
        rows = n if bucket == above_max else max(everyone.get(bucket, n), n)
        if held + n >= need:
            return PriceWalk(start=start, reads=read + rows * (need - held) / n)
        read, held = read + rows, held + n
    return PriceWalk(start=start, reads=read)


@dataclass(frozen=True)
class BranchSearch:
    """A search without words, or with one frequent word (`words`), planned per branch (search.py decides);
    `run(cursor)` returns what the row statement returns."""

    query: SearchQuery
    filters: Filters
    offset: int
    limit: int
    words: Words | None  # None: no words, the FacetCount cells
    passing: CellFilter  # the filters on a listing's cell

    @classmethod
    def of(cls, *, query: SearchQuery, filters: Filters, offset: int, limit: int, words: Words | None) -> BranchSearch:
        passing = CellFilter(
            category_ids=filters.params.get("category_ids"),
            price_min=query.price_min,
            price_max=query.price_max,
            in_stock=query.in_stock,
            has_offer=query.has_offer,
        )
        return cls(query=query, filters=filters, offset=offset, limit=limit, words=words, passing=passing)

    def summary_sql(self) -> str:
        """The statement of the branches within the radius that serve as asked (over `filters.params`)."""
        near = near_sql(self.filters, distance=self.filters.distance, prefix="l.")
        return _BRANCH_ROWS.format(distance=self.filters.distance, branch=conjunction(self.filters.branch + near))

    def _text_score(self) -> str:
        """As the row statement: the text rank where the order or the answer shows it."""
        ranked = self.words is not None and ranks_text(self.query)
        return f"ts_rank_cd(l.search, {self.words.sql}, 32)" if ranked else "1.0::float8"

    def _word_test(self) -> str:
        """The words tested on each row read. `IS TRUE`: a test, not a reason to read the word's index (the planner
        would fetch and sort its every row in the country)."""
        return f"(l.search @@ {self.words.sql}) IS TRUE" if self.words is not None else "TRUE"

    def _page_sql(self, source: str, *, start: str = "TRUE") -> str:
        sort, located = self.query.sort, self.filters.located
        hits = source.format(
            row=conjunction(row_sql(self.filters, prefix="l.")),
            distance=self.filters.distance,
            start=start,
            text_score=self._text_score(),
            word_test=self._word_test(),
        )
        return f"WITH hits AS ({hits}), {page_cte(sort, located=located)} SELECT {page_json(sort, located=located)}"

    def _params(self, *, limit: int, offset: int) -> dict[str, Any]:
        return {**self.filters.params, **(self.words.params if self.words else {}), "limit": limit, "offset": offset}

    def _read_branches(
        self, cursor: Any, branches: list[Branch], *, limit: int, offset: int, buckets: list[int] | None = None
    ) -> list[dict[str, Any]]:
        """A page from the branches' own rows: without words all their listings, through the (merchant, branch)
        index; with words exactly their hits by id (only those priced in `buckets`, if given)."""
        params = self._params(limit=limit, offset=offset)
        if self.words is None:
            source = _FROM_BRANCHES
            params.update(
                b_merchant=[b.merchant_id for b in branches],
                b_branch=[b.branch_id for b in branches],
                b_distance=[b.distance_km for b in branches],
            )
        else:
            source = _WORD_IDS
            params["ids"] = hit_ids([b.cells for b in branches], self.passing, buckets=buckets)
        cursor.execute(self._page_sql(source), params)
        return cursor.fetchone()[0]

    def _walk(self, cursor: Any, branches: list[Branch], *, start: str) -> list[dict[str, Any]]:
        """A page from a walk of the sort's index from `start`, keeping the rows of `branches`."""
        params = self._params(limit=self.limit, offset=self.offset)
        params["b_keys"] = [branch_key(b.merchant_id, b.branch_id) for b in branches]
        cursor.execute(self._page_sql(_BY_WALK, start=start), params)
        return cursor.fetchone()[0]

    def _page(self, cursor: Any, branches: list[Branch], sums: Sums, index_listings: int) -> list[dict[str, Any]]:
        need, sort, total = self.offset + self.limit, self.query.sort, sums.total
        if not branches or self.offset >= total:
            return []
        if sort == Sort.DISTANCE:
            return self._read_branches(cursor, _nearest(branches, need), limit=self.limit, offset=self.offset)
        if sort == Sort.RELEVANCE and self.filters.located:
            # more hits, a higher floor, fewer branches above it. Without words the nearest branches; with words the
            # best bounds (exact per branch: its best rank x availability x popularity), which find a higher floor.
            probe_hits = max(need, _PROBE_HITS)
            near = _nearest(branches, probe_hits) if self.words is None else _most_promising(branches, need, probe_hits)
            probe = self._read_branches(cursor, near, limit=need, offset=0)
            floor = min(row["score"] for row in probe) if len(probe) >= need else 0.0
            floor *= 1 - 1e-9  # float rounding: never drop a branch that could tie
            keys = {(b.merchant_id, b.branch_id) for b in near}
            chosen = [b for b in branches if (b.merchant_id, b.branch_id) in keys or _best_score(b) >= floor]
            if len(chosen) == len(near):  # nothing beyond the probe can reach its floor: the probe holds the page
                return probe[self.offset :]
            return self._read_branches(cursor, chosen, limit=self.limit, offset=self.offset)
        walk = PriceWalk(start="TRUE", reads=need * index_listings / max(total, 1))  # if hits are spread evenly
        if sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):  # the histograms tell where the page's prices are
            high = edge_index(self.query.price_max)
            walk = _price_walk(
                sums.prices,
                bucket_counts(cursor),
                need,
                descending=sort == Sort.PRICE_DESC,
                above_max=None if high is None else high + 1,
            )
        buckets, reads = None, sum(b.reads for b in branches)
        if self.words is not None and sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):  # only the page's price buckets
            buckets, reads = [], 0
            for bucket, n in sorted(sums.prices, reverse=sort == Sort.PRICE_DESC):
                if reads >= need:
                    break
                buckets.append(bucket)
                reads += n
        if not _walk_cheaper(reads=reads, walk=walk.reads):
            return self._read_branches(cursor, branches, limit=self.limit, offset=self.offset, buckets=buckets)
        return self._walk(cursor, branches, start=walk.start)

    def _reads(self, *, hits: int, listings: int) -> int:
        """Rows that reading a branch's hits costs: its hits (by id with words; through (merchant, branch,
        category) when a category is asked) or all its listings."""
        return hits if self.words is not None or "category_ids" in self.filters.params else listings

    def run(self, cursor: Any) -> SearchRows:
        cursor.execute(self.summary_sql(), self.filters.params)
        found = [BranchRow._make(row) for row in cursor.fetchall()]
        if self.words is None:
            cells = branch_facet_cells(cursor, found)
        else:
            cells = branch_word_cells(cursor, found, self.words)
        sums = cells_sum(cells, self.passing)
        branches, stores = [], {}
        words = self.words is not None
        for row, hits, row_cells in zip(found, sums.per_branch.tolist(), cells, strict=True):
            if not hits:
                continue
            branches.append(
                Branch(
                    merchant_id=row.merchant_id,
                    branch_id=row.branch_id,
                    distance_km=row.distance_km,
                    hits=hits,
                    reads=self._reads(hits=hits, listings=row.listings),
                    best=row_cells.best if words else _popularity_bound(row.popularity_max),
                    cells=row_cells if words else None,
                )
            )
            store = stores.setdefault(
                (row.merchant_id, row.store_id), [0, row.merchant_slug, row.store_slug, row.store_name]
            )
            store[0] += hits
        top = sorted(stores.items(), key=lambda kv: (-kv[1][0], kv[0]))[:STORE_FACET_SIZE]
        index_listings = found[0].index_listings if found else 1
        return SearchRows(
            total=sums.total,
            in_stock=sums.in_stock,
            page=self._page(cursor, branches, sums, index_listings),
            categories=sums.categories,
            prices=sums.prices,
            stores_total=len(stores),
            stores=[store for _, store in top],
        )
