"""Branches' cells kept in this process, by branch version: what a search per branch sums (search_browse.py).

Summing a wide circle's `FacetCount` rows in PostgreSQL means a join and five hash aggregates over tens of thousands
of rows on every search, while a branch's counts change only when its listings do. So each process keeps every
branch's cells as numpy arrays named by the branch's `version` (never reused: an entry is never wrong, only unused
once its branch moves on). A search reads the branches within its radius with their versions, takes the cells of
the versions it holds, and reads the others in one statement:
* without words, from `FacetCount` (cell_counts.facet_cells_read);
* with a frequent word, from Redis, where every process and beat keep them (cell_store.py), else counted from the
  rows (cell_counts.word_cells_count) and written there.

Also here: the whole index's listings per price bucket, the cost model of a walk of the price index.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from marketplace.discovery.cell_counts import (
    BranchAtVersion,
    FacetCellsRow,
    WordCellsRow,
    Words,
    facet_cells_read,
    word_cells_count,
)
from marketplace.discovery.cell_math import EMPTY_CELLS, Cells
from marketplace.discovery.cell_store import word_cells_get, word_cells_put

MAX_BRANCHES = 100_000  # entries per process (~300 bytes + 16 bytes per cell each; a word's empty ones share one)

_lock = threading.Lock()
# (words' key, or "" for the facet cells; merchant_id, branch_id) -> (version, cells)
_cache: OrderedDict[tuple[str, int, int], tuple[int, Cells]] = OrderedDict()


def _remember(key: tuple[str, int, int], version: int, cells: Cells) -> None:
    with _lock:
        _cache[key] = (version, cells)
        _cache.move_to_end(key)
        while len(_cache) > MAX_BRANCHES:
            _cache.popitem(last=False)


def _cached(
    words: str, branches: Sequence[BranchAtVersion]
) -> tuple[dict[tuple[int, int], Cells], list[BranchAtVersion]]:
    """The cells this process holds at the branches' versions, and the branches it lacks."""
    found: dict[tuple[int, int], Cells] = {}
    missing = []
    for branch in branches:
        entry = _cache.get((words, branch.merchant_id, branch.branch_id))
        if entry is not None and entry[0] == branch.version:
            found[(branch.merchant_id, branch.branch_id)] = entry[1]
        else:
            missing.append(branch)
    return found, missing


def _keep_facets(rows: list[FacetCellsRow], found: dict[tuple[int, int], Cells]) -> None:
    for row in rows:
        cells = Cells(packed=np.array(row.packed, dtype=np.int64), counts=np.array(row.counts, dtype=np.int64))
        _remember(("", row.merchant_id, row.branch_id), row.version, cells)
        found[(row.merchant_id, row.branch_id)] = cells


def _keep_words(words: str, rows: list[WordCellsRow], found: dict[tuple[int, int], Cells]) -> None:
    for row in rows:
        cells = EMPTY_CELLS  # most branches hold none of a word's listings: one shared empty entry
        if len(row.ids):
            packed = np.array(row.packed, dtype=np.int64)
            distinct, n = np.unique(packed, return_counts=True)
            cells = Cells(
                packed=distinct,
                counts=n.astype(np.int64),
                best=float(row.best),
                ids=np.array(row.ids, dtype=np.int64),
                id_cells=packed,
            )
        _remember((words, row.merchant_id, row.branch_id), row.version, cells)
        found[(row.merchant_id, row.branch_id)] = cells


def branch_facet_cells(cursor: Any, branches: Sequence[BranchAtVersion]) -> list[Cells]:
    """The FacetCount cells of each branch, in order: from memory, or one statement for the rest. A branch that
    changed again since its version was read comes back at its newer version (a newer snapshot)."""
    found, missing = _cached("", branches)
    if missing:
        _keep_facets(facet_cells_read(cursor, [(b.merchant_id, b.branch_id) for b in missing]), found)
    return [found.get((b.merchant_id, b.branch_id), EMPTY_CELLS) for b in branches]  # a branch gone: no listings


def branch_word_cells(cursor: Any, branches: Sequence[BranchAtVersion], words: Words) -> list[Cells]:
    """The cells of each branch's listings holding `words`, in order: from this process's memory, else from Redis,
    else counted from the rows (and kept in both)."""
    found, missing = _cached(words.key, branches)
    if missing:
        shared = word_cells_get(words, [(b.merchant_id, b.branch_id) for b in missing])
        rows, uncounted = [], []
        for branch in missing:
            row = shared.get((branch.merchant_id, branch.branch_id))
            if row is not None and row.version == branch.version:
                rows.append(row)
            else:
                uncounted.append(branch)
        if uncounted:
            counted = word_cells_count(cursor, uncounted, words)
            word_cells_put(words, counted)
            rows += counted
        _keep_words(words.key, rows, found)
    return [found.get((b.merchant_id, b.branch_id), EMPTY_CELLS) for b in branches]


_BUCKETS_SECONDS = 600
_buckets: tuple[float, dict[int, int]] | None = None  # (time.monotonic() when read, counts)


def bucket_counts(cursor: Any) -> dict[int, int]:
    """Listings per price bucket in the whole index (ten minutes old at most): what a walk of the price index passes
    through. Only a cost estimate, so a stale one is harmless."""
    global _buckets
    # Never read yet is its own state: the monotonic clock starts near 0 at boot, so "read at 0.0" would look fresh
    # for the machine's first ten minutes, and every price walk would look cheap.
    if _buckets is None or time.monotonic() - _buckets[0] > _BUCKETS_SECONDS:
        cursor.execute("SELECT price_bucket, sum(n)::bigint FROM public.listings_facetcount GROUP BY 1")
        _buckets = (time.monotonic(), dict(cursor.fetchall()))
    return _buckets[1]
