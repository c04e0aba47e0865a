"""The facet counts of branches, kept in the process by branch version, summed with numpy.

A search without words over a 25 km circle in a dense city spans ~500 branches and ~50,000 `FacetCount` rows:
summing them in PostgreSQL costs ~70 ms on this machine (a join and five hash aggregates over every row), and a
branch's counts change only when its listings do. So each process keeps every branch's counts as arrays, named
by the branch's `version` (drawn from a sequence by the triggers in the statement that changes the branch's rows,
never reused): a search
reads the branches within its radius with their versions, takes the arrays of the versions it has, fetches the
others in one statement, and sums with masks. An entry is never wrong, only unused once its branch moves on.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from marketplace.discovery.search_sql import PRICE_EDGES, edge_index

MAX_BRANCHES = 50_000  # entries per process (~200 bytes + 20 bytes per cell each)
NO_CATEGORY = -1


@dataclass(frozen=True)
class Cells:
    """One branch's FacetCount rows as columns."""

    category: np.ndarray  # int64, NO_CATEGORY for none
    bucket: np.ndarray  # int16: listings_price_bucket
    on_edge: np.ndarray  # bool: the price is its bucket's lower edge
    in_stock: np.ndarray
    has_offer: np.ndarray
    n: np.ndarray  # int64


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

_lock = threading.Lock()
_cache: OrderedDict[tuple[int, int], tuple[int, Cells]] = OrderedDict()


def _remember(key: tuple[int, int], version: int, cells: Cells) -> None:
    with _lock:
        _cache[key] = (version, cells)
        _cache.move_to_end(key)
        while len(_cache) > MAX_BRANCHES:
            _cache.popitem(last=False)


def cells_of(cursor: Any, branches: list[tuple[int, int, int]]) -> list[Cells]:
    """The cells of each (merchant_id, branch_id, version), in order: from memory, or one statement for the rest.
    A branch that changed again since its version was read comes back at its newer version (a newer snapshot)."""
    found: dict[tuple[int, int], Cells] = {}
    missing = []
    for merchant_id, branch_id, version in branches:
        entry = _cache.get((merchant_id, branch_id))
        if entry is not None and entry[0] == version:
            found[(merchant_id, branch_id)] = entry[1]
        else:
            missing.append((merchant_id, branch_id))
    if missing:
        cursor.execute(_FETCH, {"m": [m for m, _ in missing], "b": [b for _, b in missing]})
        for merchant_id, branch_id, version, category, bucket, on_edge, in_stock, has_offer, n in cursor.fetchall():
            cells = Cells(
                category=np.array(category, dtype=np.int64),
                bucket=np.array(bucket, dtype=np.int16),
                on_edge=np.array(on_edge, dtype=bool),
                in_stock=np.array(in_stock, dtype=bool),
                has_offer=np.array(has_offer, dtype=bool),
                n=np.array(n, dtype=np.int64),
            )
            _remember((merchant_id, branch_id), version, cells)
            found[(merchant_id, branch_id)] = cells
    empty = Cells(*(np.array([], dtype=t) for t in (np.int64, np.int16, bool, bool, bool, np.int64)))
    return [found.get((m, b), empty) for m, b, _ in branches]  # a branch gone meanwhile has no listings


_BUCKETS_SECONDS = 60
_buckets: tuple[float, dict[int, int]] = (0.0, {})


def bucket_counts(cursor: Any) -> dict[int, int]:
    """Listings per price bucket in the whole index (a minute old at most): what a walk of the price index passes
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


def cells_sum(
    cells: list[Cells],
    *,
    category_ids: list[int] | None,
    price_min: Decimal | None,
    price_max: Decimal | None,
    in_stock: bool | None,
    has_offer: bool | None,
) -> Sums:
    """Totals and facets of the listings in `cells` that pass the filters. Price bounds must be histogram edges
    (search_sql.filters_build sends the others to the row statement)."""
    lengths = np.fromiter((len(c.n) for c in cells), dtype=np.int64, count=len(cells))
    if not lengths.sum():
        return Sums(total=0, in_stock=0, categories=[], prices=[], per_branch=np.zeros(len(cells), dtype=np.int64))
    column = {name: np.concatenate([getattr(c, name) for c in cells]) for name in
              ("category", "bucket", "on_edge", "in_stock", "has_offer", "n")}  # fmt: skip
    keep = np.ones(len(column["n"]), dtype=bool)
    if category_ids is not None:
        keep &= np.isin(column["category"], np.array(category_ids, dtype=np.int64))
    if price_min is not None:
        keep &= column["bucket"] >= edge_index(price_min) + 1  # bucket k holds [edge k-1, edge k)
    if price_max is not None:
        high = edge_index(price_max)
        keep &= (column["bucket"] <= high) | ((column["bucket"] == high + 1) & column["on_edge"])
    if in_stock is not None:
        keep &= column["in_stock"] == in_stock
    if has_offer is not None:
        keep &= column["has_offer"] == has_offer
    n = np.where(keep, column["n"], 0)
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
