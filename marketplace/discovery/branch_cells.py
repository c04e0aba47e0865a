"""The facet counts of branches, kept in the process by branch version, summed with numpy.

A search without words over a 25 km circle in a dense city spans ~500 branches and ~50,000 `FacetCount` rows:
summing them in PostgreSQL costs ~70 ms on this machine (a join and five hash aggregates over every row), and a
branch's counts change only when its listings do. So each process keeps every branch's counts as arrays, named
by the branch's `version` (drawn from a sequence by the triggers in the statement that changes the branch's rows,
never reused): a search
reads the branches within its radius with their versions, takes the arrays of the versions it has, fetches the
others in one statement, and sums with masks. An entry is never wrong, only unused once its branch moves on.

Searches with a frequent word do the same with the branch's cells of the listings holding the word (`word_cells_of`),
with the best text rank among them (a bound for the relevance page). Those are counted from the listing rows once
per word and branch version for the whole deployment, not per process: kept in Redis (a hash per word, a field per
branch), counted ahead by beat for every frequent word of the vocabulary (`word_cells_refresh`), and by a search for
a branch that changed since. A web process meeting a word near branches it has not seen reads them from Redis
(~1 ms) instead of counting them (40-100 ms at a million listings: those counts were the benchmark's p99).
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
from django.db import connection
from redis import RedisError

from kernel.cache import redis_client
from marketplace.discovery.search_sql import GEO_TERMS, PRICE_EDGES, edge_index, ranking
from marketplace.discovery.search_text import TextQuery

logger = logging.getLogger(__name__)

MAX_BRANCHES = 100_000  # entries per process (~300 bytes + 16 bytes per cell each; a word's empty ones share one)
NO_CATEGORY = -1
# A located search for one word held by at least this many listings (the vocabulary's count) is answered per
# branch like a search without words (search_browse.py), its counts kept per word and branch version: counting
# 20,000 rows of "sugar" around a city on every search is what made the slowest searches slow.
WORD_CELLS_MIN_LISTINGS = 5_000


# A cell is packed in one bigint: category * 256 + price bucket * 8 + on_edge * 4 + in_stock * 2 + has_offer
# (category -1 for none; buckets fit in 5 bits). Two arrays per branch, not six: a wide circle's search concatenates
# those of hundreds of branches, and unpacks the result once (_unpack).
_PACKED_FACET = (
    "coalesce(f.category_id, -1) * 256 + f.price_bucket * 8 + f.price_on_edge::int * 4 + f.in_stock::int * 2"
    " + f.has_offer::int"
)
_PACKED_LISTING = (
    "coalesce(l.category_id, -1) * 256 + listings_price_bucket(l.price) * 8 + listings_price_on_edge(l.price)::int * 4"
    " + l.in_stock::int * 2 + l.has_offer::int"
)


@dataclass(frozen=True)
class Cells:
    """One branch's FacetCount rows (of its listings holding a search's words, for `word_cells_of`): each cell packed
    (see _PACKED_FACET) and its listings."""

    key: np.ndarray  # int64, packed cells
    n: np.ndarray  # int64
    best: float = 1.0  # words: no listing counted here scores more before the distance decay
    # words: the listings counted and each one's packed cell, so a page reads exactly its hits
    ids: np.ndarray | None = None
    hit_keys: np.ndarray | None = None


_NONE = np.array([], dtype=np.int64)
_EMPTY = Cells(key=_NONE, n=_NONE, best=0.0, ids=_NONE, hit_keys=_NONE)


_FETCH = f"""
    SELECT s.merchant_id, s.branch_id, s.version,
           coalesce(array_agg({_PACKED_FACET} ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{{}}'),
           coalesce(array_agg(f.n ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '{{}}')
    FROM public.listings_branchsummary s
    LEFT JOIN public.listings_facetcount f ON f.merchant_id = s.merchant_id AND f.branch_id = s.branch_id
    WHERE (s.merchant_id, s.branch_id) IN (SELECT * FROM unnest(%(m)s::bigint[], %(b)s::bigint[]))
    GROUP BY s.merchant_id, s.branch_id, s.version
"""

# A branch's listings holding a search's words, found through the per-cell word index over the branches' cells
# (one index probe per tsquery of a few cells: ORed in one scan, a wide circle's hundred probes made the planner
# prefer reading the whole table; OFFSET 0: joined per branch instead, it read every row of a few branches and
# built each one's cell terms): their ids, each one's packed cell, and the best score among them before the distance
# decay (`{best}`, over `l` with `text_score`), read with the version in one snapshot.
_WORD_FETCH = """
    SELECT s.merchant_id, s.branch_id, s.version,
           coalesce(array_agg(r.id) FILTER (WHERE r.id IS NOT NULL), '{{}}'),
           coalesce(array_agg(r.packed) FILTER (WHERE r.id IS NOT NULL), '{{}}'),
           coalesce(max(r.best), 0)
    FROM public.listings_branchsummary s
    LEFT JOIN (
        SELECT l.id, l.merchant_id, l.branch_id, {packed} AS packed, {best} AS best
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
    for merchant_id, branch_id, version, keys, n in rows:
        cells = Cells(key=np.array(keys, dtype=np.int64), n=np.array(n, dtype=np.int64))
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
        if len(ids):
            packed = np.array(packed, dtype=np.int64)
            distinct, n = np.unique(packed, return_counts=True)
            cells = Cells(
                key=distinct, n=n.astype(np.int64), best=float(best), ids=np.array(ids, dtype=np.int64), hit_keys=packed
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
    """A search's words for `word_cells_of`: `key` names them in the caches, `sql`/`params` are their tsquery,
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


def _word_count(cursor: Any, branches: list[tuple[int, int, int, int]], words: Words) -> list[tuple]:
    """The rows of _WORD_FETCH for (merchant_id, branch_id, version, H3 r6 cell) `branches`."""
    params = {
        **words.params,
        "geo": words.geo(tuple(sorted({cell for _, _, _, cell in branches}))),
        "m": [m for m, _, _, _ in branches],
        "b": [b for _, b, _, _ in branches],
        "keys": [m * 4294967296 + b for m, b, _, _ in branches],
    }
    sql = _WORD_FETCH.format(text=words.sql, geo_terms=GEO_TERMS, best=words.best, packed=_PACKED_LISTING)
    cursor.execute(sql, params)
    return cursor.fetchall()


# -- shared by every process: a Redis hash per (database, word), a field per branch ---------------------------------
# A field is (version, best, n) then the n ids and the n packed cells, little-endian int64. Named by the database's
# oid as well as its name: a database dropped and created again restarts the version sequence.
_HEADER = struct.Struct("<qdq")
_SHARED_TTL_SECONDS = 2 * 86_400  # a word nobody searched and beat stopped counting (it became rare) goes away


@lru_cache(maxsize=8)
def _database_key(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        return f"{name}:{cursor.fetchone()[0]}"


def _shared_prefix() -> str:
    return f"search:word-cells:{_database_key(connection.settings_dict['NAME'])}:"


def _shared_key(words: Words) -> str:
    return _shared_prefix() + words.key


def shared_keys_pattern() -> str:
    """The Redis keys of this database's word cells, as a SCAN pattern."""
    return _shared_prefix() + "*"


def _field(merchant_id: int, branch_id: int) -> str:
    return f"{merchant_id}:{branch_id}"


def _encode(version: int, ids: list[int], packed: list[int], best: float) -> bytes:
    header = _HEADER.pack(version, best, len(ids))
    return header + np.array(ids, dtype="<i8").tobytes() + np.array(packed, dtype="<i8").tobytes()


def _decode(value: bytes) -> tuple[int, np.ndarray, np.ndarray, float]:
    version, best, n = _HEADER.unpack_from(value)
    ids = np.frombuffer(value, dtype="<i8", count=n, offset=_HEADER.size)
    packed = np.frombuffer(value, dtype="<i8", count=n, offset=_HEADER.size + 8 * n)
    return version, ids, packed, best


def _shared_get(words: Words, branches: list[tuple[int, int]]) -> dict[tuple[int, int], tuple]:
    """(merchant_id, branch_id) -> (version, ids, packed, best) for the branches Redis holds (none if Redis fails:
    then they are counted, as by a process alone)."""
    try:
        values = redis_client().hmget(_shared_key(words), [_field(m, b) for m, b in branches])
    except RedisError:
        logger.warning("word cells: Redis unavailable, counting from the rows", exc_info=True)
        return {}
    return {key: _decode(value) for key, value in zip(branches, values, strict=True) if value is not None}


def _shared_put(words: Words, rows: list[tuple]) -> None:
    """Keep _WORD_FETCH rows for every process. A lost write only costs a later count."""
    if not rows:
        return
    mapping = {_field(m, b): _encode(version, ids, packed, best) for m, b, version, ids, packed, best in rows}
    try:
        with redis_client().pipeline(transaction=False) as pipe:
            pipe.hset(_shared_key(words), mapping=mapping)
            pipe.expire(_shared_key(words), _SHARED_TTL_SECONDS)
            pipe.execute()
    except RedisError:
        logger.warning("word cells: Redis unavailable, counts kept in this process only", exc_info=True)


def word_cells_of(cursor: Any, branches: list[tuple[int, int, int, int]], words: Words) -> list[Cells]:
    """`cells_of` for the listings holding `words`, of each (merchant_id, branch_id, version, H3 r6 cell): from this
    process's memory, else from Redis, else counted from the rows (and kept in both)."""
    found, missing = _cached(words.key, [(m, b, v) for m, b, v, _ in branches])
    if missing:
        version_of = {(m, b): v for m, b, v, _ in branches}
        shared = _shared_get(words, missing)
        rows = [(m, b, *shared[(m, b)]) for m, b in missing if shared.get((m, b), (None,))[0] == version_of[(m, b)]]
        uncounted = set(missing) - {(m, b) for m, b, *_ in rows}
        wanted = [branch for branch in branches if (branch[0], branch[1]) in uncounted]
        if wanted:
            counted = _word_count(cursor, wanted, words)
            _shared_put(words, counted)
            rows += counted
        _keep_rows(words.key, rows, found)
    return [found.get((m, b), _EMPTY) for m, b, _, _ in branches]


_REFRESH_BRANCHES = 200  # branches per count statement


def word_cells_refresh(*, min_listings: int | None = None) -> tuple[int, int]:
    """Count, for every frequent word of the vocabulary (`SearchTerm.listings` >= WORD_CELLS_MIN_LISTINGS), the
    branches whose current version Redis does not hold yet, and drop the fields of branches gone. Idempotent;
    run by beat, so that a search rarely counts. Returns (words, branches counted)."""
    threshold = WORD_CELLS_MIN_LISTINGS if min_listings is None else min_listings
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme FROM public.listings_searchterm WHERE listings >= %s ORDER BY listings DESC, lexeme",
            [threshold],
        )
        stems = [stem for (stem,) in cursor.fetchall() if stem.isalnum()]
        cursor.execute("SELECT merchant_id, branch_id, version, h3_r6 FROM public.listings_branchsummary ORDER BY 1, 2")
        branches = cursor.fetchall()
        counted = 0
        for stem in stems:
            words = Words.of_stem(stem)
            shared = _shared_get(words, [(m, b) for m, b, _, _ in branches])
            stale = [branch for branch in branches if shared.get(branch[:2], (None,))[0] != branch[2]]
            for start in range(0, len(stale), _REFRESH_BRANCHES):
                _shared_put(words, _word_count(cursor, stale[start : start + _REFRESH_BRANCHES], words))
            counted += len(stale)
            _shared_forget_others(words, {_field(m, b) for m, b, _, _ in branches})
    return len(stems), counted


def _shared_forget_others(words: Words, fields: set[str]) -> None:
    try:
        client = redis_client()
        gone = [field for field in client.hkeys(_shared_key(words)) if field.decode() not in fields]
        if gone:
            client.hdel(_shared_key(words), *gone)
    except RedisError:
        logger.warning("word cells: Redis unavailable", exc_info=True)


_BUCKETS_SECONDS = 600
_buckets: tuple[float, dict[int, int]] | None = None  # (time.monotonic() when read, counts)


def bucket_counts(cursor: Any) -> dict[int, int]:
    """Listings per price bucket in the whole index (ten minutes old at most): what a walk of the price index passes
    through. Only a cost estimate, so a stale one is harmless."""
    global _buckets
    # Never read yet is its own state: the monotonic clock starts near 0 at boot, so "read at 0.0" would look fresh
    # for the machine's first ten minutes (every price walk then looked cheap: 600 ms walks in the benchmark).
    if _buckets is None or time.monotonic() - _buckets[0] > _BUCKETS_SECONDS:
        cursor.execute("SELECT price_bucket, sum(n)::bigint FROM public.listings_facetcount GROUP BY 1")
        _buckets = (time.monotonic(), dict(cursor.fetchall()))
    return _buckets[1]


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
    column = _unpack(np.concatenate([c.hit_keys for c in held]))
    keep = passing.mask(column)
    if buckets is not None:
        keep &= np.isin(column["bucket"], np.array(buckets, dtype=np.int16))
    return np.concatenate([c.ids for c in held])[keep].tolist()


def cells_sum(cells: list[Cells], passing: CellFilter) -> Sums:
    """Totals and facets of the listings in `cells` that pass the filters."""
    lengths = np.fromiter((len(c.n) for c in cells), dtype=np.int64, count=len(cells))
    if not lengths.sum():
        return Sums(total=0, in_stock=0, categories=[], prices=[], per_branch=np.zeros(len(cells), dtype=np.int64))
    column = _unpack(np.concatenate([c.key for c in cells]))
    n = np.where(passing.mask(column), np.concatenate([c.n for c in cells]), 0)
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
