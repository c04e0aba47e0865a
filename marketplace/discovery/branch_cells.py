"""The facet counts of branches, kept in the process by branch version, summed with numpy.

A search without words over a 25 km circle in a dense city spans ~500 branches and ~50,000 `FacetCount` rows:
summing them in PostgreSQL costs ~70 ms on this machine (a join and five hash aggregates over every row), and a
branch's counts change only when its listings do. So each process keeps every branch's counts as arrays, named
by the branch's `version` (drawn from a sequence by the triggers in the statement that changes the branch's rows,
never reused): a search
reads the branches within its radius with their versions, takes the arrays of the versions it has, fetches the
others in one statement, and sums with masks. An entry is never wrong, only unused once its branch moves on.

Searches with a frequent word do the same with the branch's cells of the listings holding the word (`word_cells_of`),
counted from the listing rows the first time a process meets that word in that branch version, with the best text
rank among them (a bound for the relevance page).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from marketplace.discovery.search_sql import GEO_TERMS, PRICE_EDGES, edge_index

MAX_BRANCHES = 100_000  # entries per process (~800 bytes + 20 bytes per cell each; a word's empty ones share one)
NO_CATEGORY = -1


@dataclass(frozen=True)
class Cells:
    """One branch's FacetCount rows as columns (of its listings holding a search's words, for `word_cells_of`)."""

    category: np.ndarray  # int64, NO_CATEGORY for none
    bucket: np.ndarray  # int16: listings_price_bucket
    on_edge: np.ndarray  # bool: the price is its bucket's lower edge
    in_stock: np.ndarray
    has_offer: np.ndarray
    n: np.ndarray  # int64
    best: float = 1.0  # words: no listing counted here scores more before the distance decay
    # words: the listings counted, and each one's cell packed (see _WORD_FETCH), so a page reads exactly its hits
    ids: np.ndarray | None = None
    packed: np.ndarray | None = None


_EMPTY = Cells(
    *(np.array([], dtype=t) for t in (np.int64, np.int16, bool, bool, bool, np.int64)),
    best=0.0,
    ids=np.array([], dtype=np.int64),
    packed=np.array([], dtype=np.int64),
)


_FETCH = """
    SELECT s.merchant_id, s.branch_id, s.version,
           coalesce(array_agg(coalesce(f.category_id, -1) ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{}'),
           coalesce(array_agg(f.price_bucket ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{}'),
           coalesce(array_agg(f.price_on_edge ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{}'),
           coalesce(array_agg(f.in_stock ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{}'),
           coalesce(array_agg(f.has_offer ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{}'),
           coalesce(array_agg(f.n ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{}')
    FROM public.listings_branchsummary s
    LEFT JOIN public.listings_facetcount f ON f.merchant_id = s.merchant_id AND f.branch_id = s.branch_id
    WHERE (s.merchant_id, s.branch_id) IN (SELECT * FROM unnest(%(m)s::bigint[], %(b)s::bigint[]))
    GROUP BY s.merchant_id, s.branch_id, s.version
"""

# A branch's listings holding a search's words, found through the per-cell word index over the branches' cells
# (one index probe per tsquery of a few cells: ORed in one scan, a wide circle's hundred probes made the planner
# prefer reading the whole table; OFFSET 0: joined per branch instead, it read every row of a few branches and
# built each one's cell terms): their ids, each one's cell packed in a bigint (category * 256 + bucket * 8 +
# on_edge * 4 + in_stock * 2 + has_offer), and the best score among them before the distance decay (`{best}`,
# over `l` with `text_score`), read with the version in one snapshot.
_WORD_FETCH = """
    SELECT s.merchant_id, s.branch_id, s.version,
           coalesce(array_agg(r.id) FILTER (WHERE r.id IS NOT NULL), '{{}}'),
           coalesce(array_agg(r.packed) FILTER (WHERE r.id IS NOT NULL), '{{}}'),
           coalesce(max(r.best), 0)
    FROM public.listings_branchsummary s
    LEFT JOIN (
        SELECT l.id, l.merchant_id, l.branch_id,
               coalesce(l.category_id, -1) * 256 + listings_price_bucket(l.price) * 8
               + listings_price_on_edge(l.price)::int * 4 + l.in_stock::int * 2 + l.has_offer::int AS packed,
               {best} AS best
        FROM unnest(%(geo)s::tsquery[]) AS q(query)
        CROSS JOIN LATERAL (
            SELECT l.id, l.merchant_id, l.branch_id, l.category_id, l.price, l.in_stock, l.has_offer,
                   l.popularity, ts_rank_cd(l.search, {text}, 32) AS text_score
            FROM public.listings_listing l
            WHERE {geo_terms} @@ q.query AND (l.merchant_id * 4294967296 + l.branch_id) = ANY(%(keys)s::bigint[])
        ) l
        OFFSET 0
    ) r ON r.merchant_id = s.merchant_id AND r.branch_id = s.branch_id
    WHERE (s.merchant_id, s.branch_id) IN (SELECT * FROM unnest(%(m)s::bigint[], %(b)s::bigint[]))
    GROUP BY s.merchant_id, s.branch_id, s.version
"""

_lock = threading.Lock()
# (words or "", merchant_id, branch_id) -> (version, cells)
_cache: OrderedDict[tuple[str, int, int], tuple[int, Cells]] = OrderedDict()


def _remember(key: tuple[str, int, int], version: int, cells: Cells) -> None:
    with _lock:
        _cache[key] = (version, cells)
        _cache.move_to_end(key)
        while len(_cache) > MAX_BRANCHES:
            _cache.popitem(last=False)


def _cached(words: str, branches: list[tuple[int, int, int]]) -> tuple[dict[tuple[int, int], Cells], list]:
    found: dict[tuple[int, int], Cells] = {}
    missing = []
    for merchant_id, branch_id, version in branches:
        entry = _cache.get((words, merchant_id, branch_id))
        if entry is not None and entry[0] == version:
            found[(merchant_id, branch_id)] = entry[1]
        else:
            missing.append((merchant_id, branch_id))
    return found, missing


def _keep(words: str, rows: list[tuple], found: dict[tuple[int, int], Cells]) -> None:
    for merchant_id, branch_id, version, category, bucket, on_edge, in_stock, has_offer, n in rows:
        cells = Cells(
            category=np.array(category, dtype=np.int64),
            bucket=np.array(bucket, dtype=np.int16),
            on_edge=np.array(on_edge, dtype=bool),
            in_stock=np.array(in_stock, dtype=bool),
            has_offer=np.array(has_offer, dtype=bool),
            n=np.array(n, dtype=np.int64),
        )
        _remember((words, merchant_id, branch_id), version, cells)
        found[(merchant_id, branch_id)] = cells


def _unpack(packed: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "category": packed >> 8,  # an arithmetic shift: -1 (no category) stays -1
        "bucket": ((packed >> 3) & 31).astype(np.int16),
        "on_edge": (packed & 4).astype(bool),
        "in_stock": (packed & 2).astype(bool),
        "has_offer": (packed & 1).astype(bool),
    }


def _keep_rows(words: str, rows: list[tuple], found: dict[tuple[int, int], Cells]) -> None:
    for merchant_id, branch_id, version, ids, packed, best in rows:
        cells = _EMPTY  # most branches hold none of a word's listings: one shared empty entry
        if ids:
            packed = np.array(packed, dtype=np.int64)
            distinct, n = np.unique(packed, return_counts=True)
            cells = Cells(
                **_unpack(distinct),
                n=n.astype(np.int64),
                best=float(best),
                ids=np.array(ids, dtype=np.int64),
                packed=packed,
            )
        _remember((words, merchant_id, branch_id), version, cells)
        found[(merchant_id, branch_id)] = cells


def cells_of(cursor: Any, branches: list[tuple[int, int, int]]) -> list[Cells]:
    """The cells of each (merchant_id, branch_id, version), in order: from memory, or one statement for the rest.
    A branch that changed again since its version was read comes back at its newer version (a newer snapshot)."""
    found, missing = _cached("", branches)
    if missing:
        cursor.execute(_FETCH, {"m": [m for m, _ in missing], "b": [b for _, b in missing]})
        _keep("", cursor.fetchall(), found)
    return [found.get((m, b), _EMPTY) for m, b, _ in branches]  # a branch gone meanwhile has no listings


@dataclass(frozen=True)
class Words:
    """A search's words for `word_cells_of`: `key` names them in the cache (the tsquery they make, with its
    corrections), `sql`/`params` are that tsquery, `geo(cells)` the same words as tsqueries over the per-cell word
    index, `best` a listing's score before the distance decay over `l` (l.text_score is its text rank)."""

    key: str
    sql: str
    params: dict[str, Any]
    geo: Callable[[tuple[int, ...]], list[str]]
    best: str


def word_cells_of(cursor: Any, branches: list[tuple[int, int, int, int]], words: Words) -> list[Cells]:
    """`cells_of` for the listings holding `words`, of each (merchant_id, branch_id, version, H3 r6 cell)."""
    found, missing = _cached(words.key, [(m, b, v) for m, b, v, _ in branches])
    if missing:
        wanted = set(missing)
        params = {
            **words.params,
            "geo": words.geo(tuple(sorted({cell for m, b, _, cell in branches if (m, b) in wanted}))),
            "m": [m for m, _ in missing],
            "b": [b for _, b in missing],
            "keys": [m * 4294967296 + b for m, b in missing],
        }
        cursor.execute(_WORD_FETCH.format(text=words.sql, geo_terms=GEO_TERMS, best=words.best), params)
        _keep_rows(words.key, cursor.fetchall(), found)
    return [found.get((m, b), _EMPTY) for m, b, _, _ in branches]


_BUCKETS_SECONDS = 600
_buckets: tuple[float, dict[int, int]] = (0.0, {})


def bucket_counts(cursor: Any) -> dict[int, int]:
    """Listings per price bucket in the whole index (ten minutes old at most): what a walk of the price index passes
    through. Only a cost estimate, so a stale one is harmless."""
    global _buckets
    at, counts = _buckets
    if time.monotonic() - at > _BUCKETS_SECONDS:
        cursor.execute("SELECT price_bucket, sum(n)::bigint FROM public.listings_facetcount GROUP BY 1")
        counts = dict(cursor.fetchall())
        _buckets = (time.monotonic(), counts)
    return counts


@dataclass
class Sums:
    total: int
    in_stock: int
    categories: list[list[int | None]]  # [category id or None, n]
    prices: list[list[int]]  # [bucket, n], by bucket
    per_branch: np.ndarray  # hits per branch, in the order given


@dataclass(frozen=True)
class CellFilter:
    """A search's conditions on a listing's cell. Price bounds must be histogram edges (search_sql.filters_build
    sends the others to the row statement)."""

    category_ids: list[int] | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    has_offer: bool | None = None

    def mask(self, column: dict[str, np.ndarray]) -> np.ndarray:
        keep = np.ones(len(column["bucket"]), dtype=bool)
        if self.category_ids is not None:
            keep &= np.isin(column["category"], np.array(self.category_ids, dtype=np.int64))
        if self.price_min is not None:
            keep &= column["bucket"] >= edge_index(self.price_min) + 1  # bucket k holds [edge k-1, edge k)
        if self.price_max is not None:
            high = edge_index(self.price_max)
            keep &= (column["bucket"] <= high) | ((column["bucket"] == high + 1) & column["on_edge"])
        if self.in_stock is not None:
            keep &= column["in_stock"] == self.in_stock
        if self.has_offer is not None:
            keep &= column["has_offer"] == self.has_offer
        return keep


def hit_ids(cells: list[Cells], passing: CellFilter, *, buckets: list[int] | None = None) -> list[int]:
    """The ids of the word listings in `cells` that pass the filters (and are priced in `buckets`, if given)."""
    held = [c for c in cells if c.ids is not None and len(c.ids)]
    if not held:
        return []
    column = _unpack(np.concatenate([c.packed for c in held]))
    keep = passing.mask(column)
    if buckets is not None:
        keep &= np.isin(column["bucket"], np.array(buckets, dtype=np.int16))
    return np.concatenate([c.ids for c in held])[keep].tolist()


def cells_sum(cells: list[Cells], passing: CellFilter) -> Sums:
    """Totals and facets of the listings in `cells` that pass the filters."""
    lengths = np.fromiter((len(c.n) for c in cells), dtype=np.int64, count=len(cells))
    if not lengths.sum():
        return Sums(total=0, in_stock=0, categories=[], prices=[], per_branch=np.zeros(len(cells), dtype=np.int64))
    column = {name: np.concatenate([getattr(c, name) for c in cells]) for name in
              ("category", "bucket", "on_edge", "in_stock", "has_offer", "n")}  # fmt: skip
    n = np.where(passing.mask(column), column["n"], 0)
    owner = np.repeat(np.arange(len(cells)), lengths)
    per_branch = np.bincount(owner, weights=n, minlength=len(cells)).astype(np.int64)
    categories = []
    if n.any():
        ids, inverse = np.unique(column["category"], return_inverse=True)
        by_category = np.bincount(inverse, weights=n).astype(np.int64)
        pairs = zip(ids.tolist(), by_category.tolist(), strict=True)
        categories = [[None if c == NO_CATEGORY else c, k] for c, k in pairs if k]
    by_bucket = np.bincount(column["bucket"].astype(np.int64), weights=n, minlength=len(PRICE_EDGES) + 1)
    return Sums(
        total=int(n.sum()),
        in_stock=int(n[column["in_stock"]].sum()),
        categories=categories,
        prices=[[b, int(k)] for b, k in enumerate(by_bucket.astype(np.int64)) if k],
        per_branch=per_branch,
    )
