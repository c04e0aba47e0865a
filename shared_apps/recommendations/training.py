"""Training one region's recommendations from arrays, within a time and memory budget: numbers only, no Django.

What serving reads is precomputed here, per item and per neighbourhood, as top-N lists (parallel arrays, best first):

- **Similar** (`TOP_N` per item): the served model's item-item weights, row i = what item i says about every other
  item (EASE's B rows, RP3beta's W rows, shrunk ItemKNN's k nearest neighbours of i). The served model is the one
  with the best validation NDCG@10 (`evaluation.tune`: each shopper's last interaction held out of the training
  data, every unseen item ranked), then fitted on everything.
- **Together** (`TOP_N` per item): shrunk cosine between items over baskets, a basket being one shopper's purchases
  stamped within `BASKET_GAP_SECONDS` of the previous one (one shop's order is stamped at one moment; the shops of
  one checkout are recorded seconds apart, and belong together too).
- **Popular** (`POPULAR_N` per H3 cell and slot): the cold start, what shoppers took most lately per part of the
  day and kind of day (`dayparts.slots_of`) and at any time, among the products sold from each cell.

The matrix a model learns from holds, per shopper and item, the strongest of the shopper's events of the item (the
caller's kind weights: a purchase says more than a view), not a count: ten views are not a purchase. Validation
holds out each shopper's latest *new* item (`distinct_pairs`): a purchase after a view of the same product is one
discovery, not a next item.

**Budget.** The effort is decided up front from the data's size (`effort_for`): small data tunes every model on its
full grid with every shopper; large data (`LARGE_EVENTS`, or the sparse item-item path) tunes a narrower grid on a
sample of shoppers. EASE is tried only when its dense items² matrices fit in a share of the memory budget. Tuning
stops once `TUNE_SHARE` of the time budget is spent (the best setting so far is kept); the final fit always runs,
with the chosen model or, when nothing could be tuned, with the richest servable model's default setting.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from shared_apps.recommendations import algorithms, evaluation
from shared_apps.recommendations.algorithms import Ease, ItemKnnShrunk, KnnParams, Rp3Beta, Rp3Params, csr_top_k
from shared_apps.recommendations.dayparts import SLOTS, slots_of
from shared_apps.recommendations.evaluation import (
    SERVABLE,
    VALIDATION_SEED,
    Family,
    Params,
    Setting,
    leave_last_out,
    stage_build,
    tune,
)
from shared_apps.recommendations.interactions import Interactions

TOP_N = 50  # neighbours kept per item, for each kind
POPULAR_N = 100  # items kept per cell and slot
POPULAR_DAYS = 30  # the cold-start lists follow what is taken lately, not half a year ago
ANY_TIME = SLOTS  # the slot row of the any-time lists, after the (part, weekend) ones
BASKET_GAP_SECONDS = 120.0
TOGETHER_SHRINK = 5.0  # a pair bought together once or twice is weak evidence, however rare both items are
TUNE_SHARE = 0.5  # of the time budget: past it no further setting is tuned; the rest is the final fit's
EASE_MEMORY_SHARE = 0.5  # of the memory budget EASE's dense matrices may take (the Gram, its inverse, a float32 copy)
LARGE_EVENTS = 1_000_000  # from here tuning samples shoppers and narrows the grids
TUNE_USERS_LARGE = 20_000  # shoppers the tuning fits see on large data: the grid's settings are told apart long before
LARGE_GRIDS: dict[str, tuple[Params, ...]] = {
    "itemknn_shrink": (KnnParams(neighbours=200, shrink=10.0), KnnParams(neighbours=200, shrink=100.0)),
    "rp3beta": (Rp3Params(alpha=0.5, beta=0.3, neighbours=200), Rp3Params(alpha=1.0, beta=0.3, neighbours=200)),
}
LARGE_HALF_LIVES: tuple[float | None, ...] = (None, 4.0)


@dataclass(frozen=True)
class Budget:
    seconds: float
    memory_mb: float
    started: float = field(default_factory=time.monotonic)  # when the training began (reading the events counts)

    def deadline(self, share: float) -> float:
        return self.started + self.seconds * share


@dataclass(frozen=True)
class Log:
    """One region's interactions: shopper and item codes (0..count-1), Unix times, kind weights (> 0)."""

    users: np.ndarray
    items: np.ndarray
    times: np.ndarray
    weights: np.ndarray
    user_count: int
    item_count: int


@dataclass(frozen=True)
class Neighbours:
    """Per row (an item, or a cell and slot): the best columns and their scores, best first; -1/0 pad the rest."""

    items: np.ndarray  # int32, rows x n
    scores: np.ndarray  # float32, rows x n

    def row(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        keep = self.items[index] >= 0
        return self.items[index][keep], self.scores[index][keep]


@dataclass(frozen=True)
class Effort:
    name: str  # "full" | "sampled"
    tune_users: int | None  # shoppers the tuning fits see (None: all)
    families: tuple[Family, ...]  # tried, cheapest first; the last is the fallback
    grids: dict[str, tuple[Params, ...]]
    half_lives: tuple[float | None, ...] | None  # None: each family's own


@dataclass(frozen=True)
class Trained:
    algorithm: str  # the served family, or "popular" when there was too little to learn from
    setting: dict[str, object]
    validation: dict[str, float | None]  # each family tried: its best validation NDCG@10
    effort: str
    similar: Neighbours | None
    users: int
    items: int
    events: int
    tune_seconds: float
    fit_seconds: float


def effort_for(*, events: int, items: int, budget: Budget) -> Effort:
    """How hard to tune, from the data's size (see the module's docstring)."""
    ease_bytes = 3 * 8 * items * items
    ease_fits = items <= algorithms.EASE_MAX_ITEMS and ease_bytes <= budget.memory_mb * 2**20 * EASE_MEMORY_SHARE
    families = tuple(f for f in SERVABLE if f.name != "ease" or ease_fits)
    if events < LARGE_EVENTS and items <= algorithms.SPARSE_FROM_ITEMS:
        return Effort("full", None, families, {}, None)
    return Effort("sampled", TUNE_USERS_LARGE, families, LARGE_GRIDS, LARGE_HALF_LIVES)


def interactions_of(log: Log) -> Interactions:
    """The log in the evaluation's shape (codes as ids: only their number matters there)."""
    return Interactions(
        users=log.users.astype(np.int64, copy=False),
        items=log.items.astype(np.int64, copy=False),
        times=log.times.astype(np.float64, copy=False),
        user_ids=tuple(map(str, range(log.user_count))),
        item_ids=tuple(map(str, range(log.item_count))),
        weights=log.weights.astype(np.float32, copy=False),
    )


def distinct_pairs(interactions: Interactions) -> Interactions:
    """One event per shopper and item: when the shopper first came to it, with their strongest weight.

    A shopper views a product, adds it, buys it: three events of one discovery. Held out as "the last interaction",
    the purchase would be an item the shopper already had in training (a miss for every model, ADR 0014), so every
    model would score nothing; what validation asks is which *new* item comes next.
    """
    keys = interactions.users * interactions.item_count + interactions.items
    order = np.lexsort((interactions.times, keys))
    keys = keys[order]
    first = np.ones(keys.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(first)
    weights = np.ones(keys.size, np.float32) if interactions.weights is None else interactions.weights[order]
    chosen = order[first]
    return Interactions(
        users=interactions.users[chosen],
        items=interactions.items[chosen],
        times=interactions.times[chosen],
        user_ids=interactions.user_ids,
        item_ids=interactions.item_ids,
        weights=np.maximum.reduceat(weights, starts) if starts.size else weights,
    )


def strongest_matrix(interactions: Interactions) -> sp.csr_matrix:
    """users x items: each pair's strongest event weight (1 for every pair when the events have no weights)."""
    keys = interactions.users * interactions.item_count + interactions.items
    weights = np.ones(keys.size, np.float32) if interactions.weights is None else interactions.weights
    order = np.lexsort((weights, keys))
    keys, weights = keys[order], weights[order]
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]  # the last of each pair in this order is its strongest
    keys, weights = keys[last], weights[last]
    return sp.csr_matrix(
        (weights.astype(np.float32), (keys // interactions.item_count, keys % interactions.item_count)),
        shape=(interactions.user_count, interactions.item_count),
    )


def top_rows(matrix: sp.csr_matrix | np.ndarray, *, n: int) -> Neighbours:
    """Each row's n largest positive entries, best first (equal scores: lower column first)."""
    rows_count = matrix.shape[0]
    if isinstance(matrix, np.ndarray):
        parts = []
        step = max(1, algorithms.BLOCK_CELLS // max(matrix.shape[1], 1))
        for start in range(0, rows_count, step):
            parts.append(csr_top_k(sp.csr_matrix(np.maximum(matrix[start : start + step], 0)), k=n))
        rows = np.concatenate([p[0] + i * step for i, p in enumerate(parts)]) if parts else np.zeros(0, np.int64)
        cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        vals = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.float32)
    else:
        rows, cols, vals = csr_top_k(matrix, k=n)
    order = np.lexsort((cols, -vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(rows_count))
    place = np.arange(rows.size) - starts[rows]
    items = np.full((rows_count, n), -1, dtype=np.int32)
    scores = np.zeros((rows_count, n), dtype=np.float32)
    items[rows, place] = cols
    scores[rows, place] = vals
    return Neighbours(items=items, scores=scores)


def _served_weights(model: object) -> sp.csr_matrix | np.ndarray:
    """Row i: what item i says about every other item, in the served model."""
    if isinstance(model, ItemKnnShrunk):
        return model.pruned  # i's own k nearest (its similarity's rows are who counts i among theirs)
    if isinstance(model, Rp3Beta):
        return model.similarity
    if isinstance(model, Ease):
        return model.weights
    raise TypeError(f"no item-item weights in {type(model).__name__}")


def _tuning_log(interactions: Interactions, *, users: int | None) -> Interactions:
    """The events of a fixed random sample of `users` shoppers (all of them when None or fewer)."""
    if users is None or interactions.user_count <= users:
        return interactions
    rng = np.random.default_rng(VALIDATION_SEED)
    chosen = np.zeros(interactions.user_count, dtype=bool)
    chosen[rng.choice(interactions.user_count, size=users, replace=False)] = True
    return interactions.subset(keep=chosen[interactions.users])


def model_train(*, log: Log, budget: Budget, progress: Callable[[str], None] | None = None) -> Trained:
    """Choose the served model by validation (within the budget), fit it on the whole log, list each item's `TOP_N`.

    With no shopper holding two items there is nothing to learn item-item from: algorithm "popular", no lists.
    """
    say = progress or (lambda text: None)
    interactions = distinct_pairs(interactions_of(log))
    matrix = strongest_matrix(interactions)
    users = int((np.diff(matrix.indptr) > 0).sum())
    base = {"users": users, "items": log.item_count, "events": int(log.users.size)}
    if not (np.diff(matrix.indptr) >= 2).any():
        return Trained("popular", {}, {}, "none", None, tune_seconds=0.0, fit_seconds=0.0, **base)
    effort = effort_for(events=int(log.users.size), items=log.item_count, budget=budget)
    started = time.monotonic()
    deadline = budget.deadline(TUNE_SHARE)
    validation: dict[str, float | None] = {}
    best: tuple[float, Family, Setting] | None = None
    inner = leave_last_out(_tuning_log(interactions, users=effort.tune_users))
    if inner.users.size and time.monotonic() < deadline:
        rows, most = None, evaluation.VALIDATION_USERS_MAX
        if inner.users.size > most:
            rng = np.random.default_rng(VALIDATION_SEED)
            rows = np.sort(rng.choice(inner.users.size, size=most, replace=False))
        stage = stage_build(holdout=inner, rows=rows)
        stage = dataclasses.replace(stage, train=strongest_matrix(inner.train))
        for family in effort.families:
            if time.monotonic() > deadline:
                break
            say(f"tuning {family.name}")
            setting, score = tune(
                family, stage, grid=effort.grids.get(family.name), half_lives=effort.half_lives, deadline=deadline
            )
            validation[family.name] = score
            if score is not None and (best is None or score > best[0]):
                best = (score, family, setting)
        del stage
    del inner
    tuned = time.monotonic()
    if best is None:  # no validation, or no time for it: the richest servable model, as it comes
        family = effort.families[-1]
        setting = Setting(family.default, None)
    else:
        _, family, setting = best
    say(f"fitting {family.name}")
    model = family.build(setting.params)
    model.fit(matrix=matrix)
    similar = top_rows(_served_weights(model), n=TOP_N)
    fitted = time.monotonic()
    params: dict[str, object] = {} if setting.params is None else dict(vars(setting.params))
    params["half_life"] = setting.half_life
    return Trained(
        family.name, params, validation, effort.name, similar,
        tune_seconds=tuned - started, fit_seconds=fitted - tuned, **base,
    )  # fmt: skip


def baskets_of(*, users: np.ndarray, times: np.ndarray) -> np.ndarray:
    """A basket code per purchase: the same shopper, each purchase within `BASKET_GAP_SECONDS` of the one before."""
    order = np.lexsort((times, users))
    new = np.ones(order.size, dtype=bool)
    new[1:] = (users[order][1:] != users[order][:-1]) | (np.diff(times[order]) > BASKET_GAP_SECONDS)
    codes = np.empty(order.size, dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return codes


def together_lists(*, users: np.ndarray, items: np.ndarray, times: np.ndarray, item_count: int) -> Neighbours:
    """Each item's `TOP_N` most often bought in the same basket, by shrunk cosine over baskets."""
    baskets = baskets_of(users=users, times=times)
    count = int(baskets.max()) + 1 if baskets.size else 0
    matrix = sp.csr_matrix(
        (np.ones(baskets.size, np.float32), (baskets, items)), shape=(count, item_count), dtype=np.float32
    )
    model = ItemKnnShrunk(KnnParams(neighbours=TOP_N, shrink=TOGETHER_SHRINK))
    model.fit(matrix=algorithms.binary(matrix))
    return top_rows(model.pruned, n=TOP_N)


def popular_lists(
    *, items: np.ndarray, times: np.ndarray, weights: np.ndarray, cell_items: sp.csr_matrix, now: float
) -> list[Neighbours]:
    """Per slot (`SLOTS` parts x weekend, then `ANY_TIME`): each cell's `POPULAR_N` items by the weight of their
    events in the last `POPULAR_DAYS` days. `cell_items` (cells x items, 1 where the item is sold in the cell)
    attributes an item's every event to each cell it is sold from."""
    recent = times >= now - POPULAR_DAYS * 86400
    slots = slots_of(times[recent]).astype(np.int64)
    item_count = cell_items.shape[1]
    by_slot = np.zeros((SLOTS + 1, item_count), dtype=np.float64)
    sums = np.bincount(slots * item_count + items[recent], weights=weights[recent], minlength=SLOTS * item_count)
    by_slot[:SLOTS] = sums.reshape(SLOTS, item_count)
    by_slot[ANY_TIME] = by_slot[:SLOTS].sum(axis=0)
    cells = sp.csr_matrix(cell_items, dtype=np.float32)
    return [top_rows(sp.csr_matrix(cells @ sp.diags(by_slot[slot].astype(np.float32))), n=POPULAR_N)
            for slot in range(SLOTS + 1)]  # fmt: skip
