"""A branch's facet cells, and the arithmetic a search does on them.

Every listing of a branch shares the branch's location and delivery terms, so what a search without words (or with
one frequent word) needs of a branch is how many of its listings fall into each cell: (category, price bucket,
price on the bucket's lower edge, in stock, has offer). A search's total and every facet are then sums of the cells
that pass its filters over the branches within its radius, done here with numpy masks (search_browse.py asks).

Two packings are defined once here and used everywhere, in SQL and in Python:
* a **cell** is one bigint: category * 256 + price bucket * 8 + on_edge * 4 + in_stock * 2 + has_offer (category -1
  for none; buckets fit in 5 bits). Two arrays per branch, not six: a wide circle's search concatenates those of
  hundreds of branches and unpacks the result once (`cells_unpack`);
* a **branch key** is one bigint: merchant_id * 2^32 + branch_id, so a statement can test "one of these branches"
  as a hashed `= ANY(array)` on one computed value (search_browse.py's walk, cell_counts.py's word count).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from marketplace.discovery.search_sql import PRICE_EDGES, edge_index

NO_CATEGORY = -1
# Branch ids are a merchant schema's bigserial: far below 2^32, so (merchant, branch) packs into one bigint.
_BRANCH_SPAN = 1 << 32


def branch_key(merchant_id: int, branch_id: int) -> int:
    """The bigint that names a branch across merchants (see `branch_key_sql`)."""
    return merchant_id * _BRANCH_SPAN + branch_id


def branch_key_sql(alias: str) -> str:
    """`branch_key` of the row `alias` (a relation with merchant_id and branch_id), as SQL."""
    return f"({alias}.merchant_id * {_BRANCH_SPAN} + {alias}.branch_id)"


def cell_sql(*, category: str, bucket: str, on_edge: str, in_stock: str, has_offer: str) -> str:
    """The packed cell (see the module's docstring) of SQL expressions for its five parts."""
    return (
        f"coalesce({category}, {NO_CATEGORY}) * 256 + {bucket} * 8 + {on_edge}::int * 4 + {in_stock}::int * 2"
        f" + {has_offer}::int"
    )


# The cell of a FacetCount row `f` (its parts are columns) and of a listing row `l` (computed by the same SQL
# functions the summary triggers use, migration listings 0005).
FACET_CELL = cell_sql(
    category="f.category_id",
    bucket="f.price_bucket",
    on_edge="f.price_on_edge",
    in_stock="f.in_stock",
    has_offer="f.has_offer",
)
LISTING_CELL = cell_sql(
    category="l.category_id",
    bucket="listings_price_bucket(l.price)",
    on_edge="listings_price_on_edge(l.price)",
    in_stock="l.in_stock",
    has_offer="l.has_offer",
)


@dataclass(frozen=True)
class CellColumns:
    """Packed cells unpacked into one array per part, aligned."""

    category: np.ndarray  # int64, NO_CATEGORY for none
    bucket: np.ndarray  # int16, 1 .. len(PRICE_EDGES)
    on_edge: np.ndarray  # bool: priced exactly at its bucket's lower edge
    in_stock: np.ndarray  # bool
    has_offer: np.ndarray  # bool


def cells_unpack(packed: np.ndarray) -> CellColumns:
    return CellColumns(
        category=packed >> 8,  # an arithmetic shift: -1 (no category) stays -1
        bucket=((packed >> 3) & 31).astype(np.int16),
        on_edge=(packed & 4).astype(bool),
        in_stock=(packed & 2).astype(bool),
        has_offer=(packed & 1).astype(bool),
    )


@dataclass(frozen=True)
class Cells:
    """One branch's cells and how many listings each holds: its FacetCount rows, or, for a search's words, its
    listings holding them (then also those listings' ids and each one's cell, so a page reads exactly its hits)."""

    packed: np.ndarray  # int64, packed cells
    counts: np.ndarray  # int64, listings per cell
    best: float = 1.0  # words: no listing counted here scores more before the distance decay
    ids: np.ndarray | None = None  # words: the listings counted
    id_cells: np.ndarray | None = None  # words: each listing's packed cell, aligned with `ids`


_NONE = np.array([], dtype=np.int64)
EMPTY_CELLS = Cells(packed=_NONE, counts=_NONE, best=0.0, ids=_NONE, id_cells=_NONE)


@dataclass(frozen=True)
class CellFilter:
    """A search's conditions on a listing's cell. Price bounds must be histogram edges (search_sql.filters_build
    sends the others to the row statement)."""

    category_ids: list[int] | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    has_offer: bool | None = None

    def mask(self, column: CellColumns) -> np.ndarray:
        keep = np.ones(len(column.bucket), dtype=bool)
        if self.category_ids is not None:
            keep &= np.isin(column.category, np.array(self.category_ids, dtype=np.int64))
        if self.price_min is not None:
            keep &= column.bucket >= edge_index(self.price_min) + 1  # bucket k holds [edge k-1, edge k)
        if self.price_max is not None:
            high = edge_index(self.price_max)
            keep &= (column.bucket <= high) | ((column.bucket == high + 1) & column.on_edge)
        if self.in_stock is not None:
            keep &= column.in_stock == self.in_stock
        if self.has_offer is not None:
            keep &= column.has_offer == self.has_offer
        return keep


@dataclass(frozen=True)
class Sums:
    """The totals and facets of a search's cells."""

    total: int
    in_stock: int
    categories: list[list[int | None]]  # [category id or None, n]
    prices: list[list[int]]  # [bucket, n], by bucket
    per_branch: np.ndarray  # hits per branch, in the order given


def cells_sum(cells: list[Cells], passing: CellFilter) -> Sums:
    """Totals and facets of the listings in `cells` that pass the filters."""
    lengths = np.fromiter((len(c.counts) for c in cells), dtype=np.int64, count=len(cells))
    if not lengths.sum():
        return Sums(total=0, in_stock=0, categories=[], prices=[], per_branch=np.zeros(len(cells), dtype=np.int64))
    column = cells_unpack(np.concatenate([c.packed for c in cells]))
    n = np.where(passing.mask(column), np.concatenate([c.counts for c in cells]), 0)
    owner = np.repeat(np.arange(len(cells)), lengths)
    per_branch = np.bincount(owner, weights=n, minlength=len(cells)).astype(np.int64)
    categories = []
    if n.any():
        ids, inverse = np.unique(column.category, return_inverse=True)
        by_category = np.bincount(inverse, weights=n).astype(np.int64)
        pairs = zip(ids.tolist(), by_category.tolist(), strict=True)
        categories = [[None if c == NO_CATEGORY else c, k] for c, k in pairs if k]
    by_bucket = np.bincount(column.bucket.astype(np.int64), weights=n, minlength=len(PRICE_EDGES) + 1)
    return Sums(
        total=int(n.sum()),
        in_stock=int(n[column.in_stock].sum()),
        categories=categories,
        prices=[[b, int(k)] for b, k in enumerate(by_bucket.astype(np.int64)) if k],
        per_branch=per_branch,
    )


def hit_ids(cells: list[Cells], passing: CellFilter, *, buckets: list[int] | None = None) -> list[int]:
    """The ids of the word listings in `cells` that pass the filters (and are priced in `buckets`, if given)."""
    held = [c for c in cells if c.ids is not None and len(c.ids)]
    if not held:
        return []
    column = cells_unpack(np.concatenate([c.id_cells for c in held]))
    keep = passing.mask(column)
    if buckets is not None:
        keep &= np.isin(column.bucket, np.array(buckets, dtype=np.int16))
    return np.concatenate([c.ids for c in held])[keep].tolist()
