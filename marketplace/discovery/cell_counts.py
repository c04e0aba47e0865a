"""Branches' cells read from PostgreSQL: the two statements behind every cache of cells (cell_cache.py, cell_store.py).

* `facet_cells_read`: a branch's `FacetCount` rows, kept exact by the triggers on `Listing` (migration listings 0005)
  in the statement that changes the branch's rows, with the branch's `version` read in the same snapshot.
* `word_cells_count`: a branch's listings holding a search's words, counted from the rows through the per-cell word
  index: their ids, each one's packed cell, and the best score among them before the distance decay (a bound for
  the relevance page). Costly (it reads every hit of the word in those branches), which is why its results are kept
  for the whole deployment in Redis and counted ahead by beat.

A branch's `version` is drawn from one sequence by every statement that changes its rows and is never reused, so a
count named by it is never wrong, only unused once the branch moves on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from marketplace.discovery.cell_math import FACET_CELL, LISTING_CELL, branch_key, branch_key_sql
from marketplace.discovery.search_sql import GEO_TERMS, ranking
from marketplace.discovery.search_text import TextQuery

# A located search for one word held by at least this many listings (the vocabulary's count) is answered per branch
# like a search without words (search_browse.py), its counts kept per word and branch version: counting a common
# word's hits around a city on every search is what made the slowest searches slow. Rarer words hold few listings
# near anyone: the row statement reads them quickly.
WORD_CELLS_MIN_LISTINGS = 5_000


class BranchAtVersion(Protocol):
    """A branch as the cell reads need it (a `BranchVersion`, or a search's branch summary row)."""

    @property
    def merchant_id(self) -> int: ...
    @property
    def branch_id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def h3_r6(self) -> int: ...


class BranchVersion(NamedTuple):
    merchant_id: int
    branch_id: int
    version: int
    h3_r6: int  # the per-cell word index's cell of the branch's listings


class FacetCellsRow(NamedTuple):
    """One branch's FacetCount rows as two aligned arrays."""

    merchant_id: int
    branch_id: int
    version: int
    packed: list[int]
    counts: list[int]


class WordCellsRow(NamedTuple):
    """One branch's listings holding a search's words (read from the rows, or from Redis: then numpy arrays)."""

    merchant_id: int
    branch_id: int
    version: int
    ids: Sequence[int]
    packed: Sequence[int]  # each listing's packed cell, aligned with ids
    best: float  # the best score among them before the distance decay (0 without any)


@dataclass(frozen=True)
class Words:
    """A search's words for the word cells: `key` names them in the caches, `sql`/`params` are their tsquery,
    `geo(cells)` the same words as tsqueries over the per-cell word index, `best` a listing's score before the
    distance decay over `l` (l.text_score is its text rank)."""

    key: str
    sql: str
    params: dict[str, Any]
    geo: Callable[[tuple[int, ...]], list[str] | None]
    best: str

    @classmethod
    def of_stem(cls, stem: str) -> Words:
        """One word by its stem: the tsquery 'stem':*, which is what every word whose English tsquery is exactly
        that makes ("potatoes", "potato"), so they share their counts, and beat can count them ahead by the
        vocabulary's lexemes. `stem` must be alphanumeric (no tsquery syntax)."""
        if not stem.isalnum():
            raise ValueError(f"not a plain lexeme: {stem!r}")
        text = TextQuery(sql="%(word)s::tsquery", params={"word": f"'{stem}':*"}, stems=((stem, None),))
        return cls(key=stem, sql=text.sql, params=text.params, geo=text.geo_queries, best=_WORD_BEST)


_WORD_BEST = ranking("l.", located=False)["score"]

_FACET_CELLS = f"""
    SELECT s.merchant_id, s.branch_id, s.version,
           coalesce(array_agg({FACET_CELL} ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{{}}'),
           coalesce(array_agg(f.n ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{{}}')
    FROM public.listings_branchsummary s
    LEFT JOIN public.listings_facetcount f ON f.merchant_id = s.merchant_id AND f.branch_id = s.branch_id
    WHERE (s.merchant_id, s.branch_id) IN (SELECT * FROM unnest(%(m)s::bigint[], %(b)s::bigint[]))
    GROUP BY s.merchant_id, s.branch_id, s.version
"""

# Found through the per-cell word index over the branches' cells, one index probe per tsquery of a few cells: ORed
# in one scan, a wide circle's hundred probes made the planner prefer reading the whole table. OFFSET 0: joined per
# branch instead, the planner read every row of a few branches and built each one's cell terms. The version is read
# with the rows, in one snapshot.
_WORD_CELLS = f"""
    SELECT s.merchant_id, s.branch_id, s.version,
           coalesce(array_agg(r.id) FILTER (WHERE r.id IS NOT NULL), '{{{{}}}}'),
           coalesce(array_agg(r.packed) FILTER (WHERE r.id IS NOT NULL), '{{{{}}}}'),
           coalesce(max(r.best), 0)
    FROM public.listings_branchsummary s
    LEFT JOIN (
        SELECT l.id, l.merchant_id, l.branch_id, {LISTING_CELL} AS packed, {{best}} AS best
        FROM unnest(%(geo)s::tsquery[]) AS q(query)
        CROSS JOIN LATERAL (
            SELECT l.id, l.merchant_id, l.branch_id, l.category_id, l.price, l.in_stock, l.has_offer,
                   l.popularity, ts_rank_cd(l.search, {{text}}, 32) AS text_score
            FROM public.listings_listing l
            WHERE {GEO_TERMS} @@ q.query AND {branch_key_sql("l")} = ANY(%(keys)s::bigint[])
        ) l
        OFFSET 0
    ) r ON r.merchant_id = s.merchant_id AND r.branch_id = s.branch_id
    WHERE (s.merchant_id, s.branch_id) IN (SELECT * FROM unnest(%(m)s::bigint[], %(b)s::bigint[]))
    GROUP BY s.merchant_id, s.branch_id, s.version
"""


def facet_cells_read(cursor: Any, branches: Sequence[tuple[int, int]]) -> list[FacetCellsRow]:
    """The FacetCount cells of (merchant_id, branch_id) `branches`, at their current versions. A branch gone has no
    row."""
    cursor.execute(_FACET_CELLS, {"m": [m for m, _ in branches], "b": [b for _, b in branches]})
    return [FacetCellsRow._make(row) for row in cursor.fetchall()]


def word_cells_count(cursor: Any, branches: Sequence[BranchAtVersion], words: Words) -> list[WordCellsRow]:
    """The listings of `branches` holding `words`, counted from the rows at the branches' current versions."""
    params = {
        **words.params,
        "geo": words.geo(tuple(sorted({branch.h3_r6 for branch in branches}))),
        "m": [branch.merchant_id for branch in branches],
        "b": [branch.branch_id for branch in branches],
        "keys": [branch_key(branch.merchant_id, branch.branch_id) for branch in branches],
    }
    cursor.execute(_WORD_CELLS.format(text=words.sql, best=words.best), params)
    return [WordCellsRow._make(row) for row in cursor.fetchall()]
