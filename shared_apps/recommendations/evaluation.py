"""Offline evaluation: hold out each shopper's last interaction, rank every item they have not had, score the rank.

The protocol (issue 21), the same for every model in one run:

- **Split.** Each shopper's events are ordered by time, ties by file order (the later row is the later event); the
  last one is held out. Shoppers with fewer than two events are not evaluated; their one event stays in training,
  where it counts towards popularity.
- **Ranking.** A model scores every item; the items the shopper has in training are removed, and the held-out item
  is ranked among **all** the others (no sampled negatives). Equal scores are ordered by training popularity, then
  by item code, for every model alike. A held-out item the shopper already had in training (a repeat purchase)
  cannot be recommended, so it counts as a miss: the standard choice, kept so that every shopper of the file is
  counted and no model is flattered by dropping the hard cases. The report says how many there were.
- **Metrics.** With one relevant item, NDCG@10 is 1/log₂(rank + 2) when the rank (0-based) is under 10, and
  Recall@20 is whether it is under 20; both are averaged over shoppers. `ndcg_at`/`recall_at` are the textbook
  definitions over a ranked list, which the tests hold the fast path to.
- **Tuning.** The test holdout is never looked at to choose anything. The training events are split once more the
  same way (each shopper's second-to-last event overall), every hyper-parameter set of a small fixed grid is fitted
  on what is left and scored on it, the best is refitted on all training events, then tested. The grid includes how
  much a profile leans on the shopper's latest items (`HALF_LIVES`).
- **Served.** The servable model with the best validation NDCG@10 (TopPop and plain cosine ItemKNN are baselines,
  EASE only up to `algorithms.EASE_MAX_ITEMS` items).
- **Cost.** Fit time is the final fit on all training events (tuning is reported beside it). Memory: the peak of
  Python and numpy allocations while each model was tuned, fitted and tested (tracemalloc; BLAS scratch space is
  not traced), and the process's resident peak over the whole run (getrusage ru_maxrss), which includes reading the
  file and every model before it.
"""

from __future__ import annotations

import math
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from shared_apps.recommendations.algorithms import (
    BLOCK_CELLS,
    EASE_MAX_ITEMS,
    Ease,
    EaseParams,
    ItemKnnCosine,
    ItemKnnShrunk,
    KnnParams,
    Recommender,
    Rp3Beta,
    Rp3Params,
    TopPop,
    binary,
    item_degrees,
    profiles_weighted,
)
from shared_apps.recommendations.interactions import Interactions

NDCG_CUTOFF = 10
RECALL_CUTOFF = 20
MISS = int(np.iinfo(np.int64).max)  # the rank of a held-out item that cannot be recommended: past every cutoff
VALIDATION_USERS_MAX = 5_000  # enough shoppers to tell the grid's settings apart; more only costs time
VALIDATION_SEED = 21  # which shoppers validate when there are more: fixed, so two runs choose alike

# How much a profile leans on the latest items: None weighs all alike; h halves an item's weight every h moments back.
HALF_LIVES: tuple[float | None, ...] = (None, 1.0, 2.0, 4.0, 8.0, 16.0)
KNN_GRID = tuple(KnnParams(neighbours=k, shrink=s) for k in (50, 200) for s in (0.0, 10.0, 100.0))
RP3_GRID = tuple(Rp3Params(alpha=a, beta=b, neighbours=200) for a in (0.5, 1.0) for b in (0.0, 0.3, 0.6))
EASE_GRID = tuple(EaseParams(l2=value) for value in (20.0, 100.0, 500.0, 2500.0))

Params = KnnParams | Rp3Params | EaseParams | None


@dataclass(frozen=True)
class Family:
    """A model and its grid; `default` (no recency) is its setting when no user has enough events to validate."""

    name: str
    build: Callable[[Params], Recommender]
    grid: tuple[Params, ...]
    default: Params
    servable: bool
    half_lives: tuple[float | None, ...]


BASELINES = (
    Family("toppop", lambda _: TopPop(), (None,), None, servable=False, half_lives=(None,)),
    Family("itemknn", lambda _: ItemKnnCosine(), (None,), None, servable=False, half_lives=(None,)),
)
SERVABLE = (  # the defaults sit mid-grid
    Family("itemknn_shrink", ItemKnnShrunk, KNN_GRID, KNN_GRID[4], servable=True, half_lives=HALF_LIVES),
    Family("rp3beta", Rp3Beta, RP3_GRID, RP3_GRID[1], servable=True, half_lives=HALF_LIVES),
    Family("ease", Ease, EASE_GRID, EASE_GRID[2], servable=True, half_lives=HALF_LIVES),
)


class EvaluationError(ValueError):
    """The interactions cannot be evaluated (no shopper with two events); the message says why."""


@dataclass(frozen=True)
class Holdout:
    train: Interactions  # every event but the held-out ones
    users: np.ndarray  # evaluated user codes, ascending
    items: np.ndarray  # each evaluated user's held-out item


@dataclass(frozen=True)
class Setting:
    params: Params
    half_life: float | None

    def describe(self) -> str:
        parts = [] if self.params is None else [f"{k}={v:g}" for k, v in vars(self.params).items()]
        parts.append("recency=off" if self.half_life is None else f"half-life={self.half_life:g}")
        return " ".join(parts)


@dataclass(frozen=True)
class ModelResult:
    name: str
    ndcg_at_10: float
    recall_at_20: float
    fit_seconds: float  # the final fit, on all training events
    tune_seconds: float  # fitting and scoring the grid on the validation split
    peak_bytes: int  # tracemalloc's peak while this model was tuned, fitted and tested
    validation_ndcg_at_10: float | None  # None for the baselines, which have nothing to tune
    setting: Setting


@dataclass(frozen=True)
class EvaluationReport:
    interactions: int
    users: int  # evaluated shoppers (two events or more)
    items: int  # every item of the file: the ranking's universe
    repeat_holdouts: int  # held-out items the shopper already had in training (misses for every model)
    validation_users: int
    models: tuple[ModelResult, ...]
    served: str
    process_peak_rss_bytes: int


# ---------------------------------------------------------------------------------------------------------------
# Split and matrices
# ---------------------------------------------------------------------------------------------------------------


def _time_order(interactions: Interactions) -> np.ndarray:
    """Event indices by user, then time, then file row: a stable, deterministic order."""
    return np.lexsort((np.arange(interactions.count), interactions.times, interactions.users))


def leave_last_out(interactions: Interactions) -> Holdout:
    """Hold out each user's last event by time (ties: the later row); users with one event stay in training only."""
    order = _time_order(interactions)
    users_sorted = interactions.users[order]
    is_last = np.ones(order.size, dtype=bool)
    is_last[:-1] = users_sorted[1:] != users_sorted[:-1]
    is_first = np.ones(order.size, dtype=bool)
    is_first[1:] = users_sorted[1:] != users_sorted[:-1]
    held = order[is_last & ~is_first]  # the last event of a user who has more than one
    keep = np.ones(interactions.count, dtype=bool)
    keep[held] = False
    ranked = np.argsort(interactions.users[held], kind="stable")
    return Holdout(
        train=interactions.subset(keep=keep),
        users=interactions.users[held][ranked],
        items=interactions.items[held][ranked],
    )


def recency_matrix(interactions: Interactions) -> sp.csr_matrix:
    """users x items: 1 for the items of each user's most recent moment, 2 for the moment before, and so on.

    An item taken several times is placed by its latest time; items of one moment (equal times) share a rank, since
    nothing says which came first. `algorithms.binary` of it is the usual 0/1 matrix.
    """
    order = _time_order(interactions)
    keys = interactions.users[order] * interactions.item_count + interactions.items[order]
    # the last occurrence of each (user, item) in time order: the first one when read backwards
    _, first_backwards = np.unique(keys[::-1], return_index=True)
    latest = order.size - 1 - first_backwards  # positions in time order
    users = interactions.users[order][latest]
    items = interactions.items[order][latest]
    times = interactions.times[order][latest]
    newest_first = np.lexsort((-latest, users))
    users, items, times = users[newest_first], items[newest_first], times[newest_first]
    # items taken at the same moment are equally recent: the rank counts moments back, not rows
    new_moment = np.ones(users.size, dtype=np.int64)
    new_moment[1:] = (users[1:] != users[:-1]) | (times[1:] != times[:-1])
    moments = np.cumsum(new_moment)
    starts = np.searchsorted(users, users, side="left")
    rank = moments - moments[starts] + 1
    return sp.csr_matrix(
        (rank.astype(np.float32), (users, items)),
        shape=(interactions.user_count, interactions.item_count),
        dtype=np.float32,
    )


def tie_positions(degrees: np.ndarray) -> np.ndarray:
    """Each item's place when scores are equal: more popular first, then lower code."""
    order = np.lexsort((np.arange(degrees.size), -degrees))
    positions = np.empty(degrees.size, dtype=np.int64)
    positions[order] = np.arange(degrees.size)
    return positions


# ---------------------------------------------------------------------------------------------------------------
# Ranking and metrics
# ---------------------------------------------------------------------------------------------------------------


def ndcg_at(*, ranking: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Textbook NDCG@k with binary relevance: DCG of the list's first k over the best possible DCG."""
    gains = sum(1.0 / math.log2(position + 2) for position, item in enumerate(ranking[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(position + 2) for position in range(min(k, len(relevant))))
    return gains / ideal if ideal else 0.0


def recall_at(*, ranking: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the relevant items found in the list's first k."""
    return len(set(ranking[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def ranking_plain(*, scores: np.ndarray, seen: Collection[int], ties: np.ndarray) -> list[int]:
    """One user's whole ranking, the slow way: unseen items by score, then by tie position."""
    candidates = [item for item in range(scores.size) if item not in seen]
    return sorted(candidates, key=lambda item: (-float(scores[item]), int(ties[item])))


def holdout_ranks(
    *,
    model: Recommender,
    profiles: sp.csr_matrix,
    seen: sp.csr_matrix,
    targets: np.ndarray,
    ties: np.ndarray,
) -> np.ndarray:
    """The 0-based rank of each row's target among the items not in its `seen` row (`MISS` when it is in it).

    The rank is counted, not sorted: items scoring above the target, plus items scoring the same and placed
    before it by `ties`. Rows are scored a batch at a time so memory stays within a few dense blocks.
    """
    rows, items = profiles.shape
    ranks = np.empty(rows, dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(items, 1))
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        scores = np.asarray(model.scores(profiles=profiles[start:stop]), dtype=np.float32)
        block_seen = seen[start:stop]
        seen_rows = np.repeat(np.arange(stop - start), np.diff(block_seen.indptr))
        scores[seen_rows, block_seen.indices] = -np.inf
        target = targets[start:stop]
        target_scores = scores[np.arange(stop - start), target][:, None]
        above = (scores > target_scores).sum(axis=1)
        level = ((scores == target_scores) & (ties[None, :] < ties[target][:, None])).sum(axis=1)
        block_ranks = above + level
        already = np.asarray(block_seen[np.arange(stop - start), target]).ravel() > 0
        block_ranks[already] = MISS
        ranks[start:stop] = block_ranks
    return ranks


def ndcg_from_ranks(ranks: np.ndarray, *, k: int = NDCG_CUTOFF) -> float:
    gains = np.where(ranks < k, 1.0 / np.log2(np.minimum(ranks, k) + 2.0), 0.0)
    return float(gains.mean()) if ranks.size else 0.0


def recall_from_ranks(ranks: np.ndarray, *, k: int = RECALL_CUTOFF) -> float:
    return float((ranks < k).mean()) if ranks.size else 0.0


# ---------------------------------------------------------------------------------------------------------------
# One split, ready to score: training matrix, the rows to rank, their targets
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    train: sp.csr_matrix  # binary users x items
    recency: sp.csr_matrix  # recency ranks of the evaluated rows only
    seen: sp.csr_matrix  # binary, evaluated rows only
    targets: np.ndarray
    ties: np.ndarray

    def ranks(self, *, model: Recommender, half_life: float | None) -> np.ndarray:
        profiles = profiles_weighted(recency=self.recency, half_life=half_life)
        return holdout_ranks(model=model, profiles=profiles, seen=self.seen, targets=self.targets, ties=self.ties)


def stage_build(*, holdout: Holdout, rows: np.ndarray | None = None) -> Stage:
    """The matrices of one split; `rows` picks which held-out users to score (all of them when None)."""
    pick = np.arange(holdout.users.size) if rows is None else rows
    recency = recency_matrix(holdout.train)
    users = holdout.users[pick]
    evaluated = sp.csr_matrix(recency[users])
    return Stage(
        train=binary(recency),
        recency=evaluated,
        seen=binary(evaluated),
        targets=holdout.items[pick],
        ties=tie_positions(item_degrees(recency)),
    )


def _validation_stage(holdout: Holdout) -> Stage | None:
    inner = leave_last_out(holdout.train)
    if inner.users.size == 0:
        return None
    rows = None
    if inner.users.size > VALIDATION_USERS_MAX:
        rng = np.random.default_rng(VALIDATION_SEED)
        rows = np.sort(rng.choice(inner.users.size, size=VALIDATION_USERS_MAX, replace=False))
    return stage_build(holdout=inner, rows=rows)


def tune(
    family: Family,
    validation: Stage | None,
    *,
    grid: tuple[Params, ...] | None = None,
    half_lives: tuple[float | None, ...] | None = None,
    deadline: float | None = None,
) -> tuple[Setting, float | None]:
    """The grid's best setting by validation NDCG@10 (the first on a tie), or its default with no validation.

    `grid`/`half_lives` narrow the family's own; past `deadline` (time.monotonic()) no further setting is fitted and
    the best so far is kept (at least one is always tried).
    """
    grid = family.grid if grid is None else grid
    half_lives = family.half_lives if half_lives is None else half_lives
    if validation is None or (len(grid) * len(half_lives) == 1 and grid == family.grid):
        return Setting(family.default, None), None
    best: tuple[float, Setting] | None = None
    for params in grid:
        if best is not None and deadline is not None and time.monotonic() > deadline:
            break
        model = family.build(params)
        model.fit(matrix=validation.train)
        for half_life in half_lives:
            score = ndcg_from_ranks(validation.ranks(model=model, half_life=half_life))
            if best is None or score > best[0]:
                best = (score, Setting(params, half_life))
        del model
    assert best is not None
    return best[1], best[0]


def families_for(*, items: int) -> tuple[Family, ...]:
    """The baselines and every model the product can serve at this item count."""
    servable = tuple(f for f in SERVABLE if f.name != "ease" or items <= EASE_MAX_ITEMS)
    return BASELINES + servable


def evaluate(*, interactions: Interactions, progress: Callable[[str], None] | None = None) -> EvaluationReport:
    """Every model on one leave-last-out split of `interactions`; raises EvaluationError when nobody has 2 events."""
    holdout = leave_last_out(interactions)
    if holdout.users.size == 0:
        raise EvaluationError("no user has two interactions or more: there is nothing to hold out")
    test = stage_build(holdout=holdout)
    validation = _validation_stage(holdout)
    repeat_holdouts = int((np.asarray(test.seen[np.arange(test.targets.size), test.targets]).ravel() > 0).sum())
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    results: list[ModelResult] = []
    try:
        for family in families_for(items=interactions.item_count):
            if progress:
                progress(family.name)
            tracemalloc.reset_peak()
            started = time.perf_counter()
            setting, validation_score = tune(family, validation)
            tuned = time.perf_counter()
            model = family.build(setting.params)
            model.fit(matrix=test.train)
            fitted = time.perf_counter()
            ranks = test.ranks(model=model, half_life=setting.half_life)
            del model
            results.append(
                ModelResult(
                    name=family.name,
                    ndcg_at_10=ndcg_from_ranks(ranks),
                    recall_at_20=recall_from_ranks(ranks),
                    fit_seconds=fitted - tuned,
                    tune_seconds=tuned - started,
                    peak_bytes=tracemalloc.get_traced_memory()[1],
                    validation_ndcg_at_10=validation_score if family.servable else None,
                    setting=setting,
                )
            )
    finally:
        if not tracing:
            tracemalloc.stop()
    return EvaluationReport(
        interactions=interactions.count,
        users=int(holdout.users.size),
        items=interactions.item_count,
        repeat_holdouts=repeat_holdouts,
        validation_users=0 if validation is None else int(validation.targets.size),
        models=tuple(results),
        served=served_choose(results),
        process_peak_rss_bytes=process_peak_rss_bytes(),
    )


def served_choose(results: Sequence[ModelResult]) -> str:
    """The servable model with the best validation NDCG@10; with no validation, the last (richest) servable one."""
    servable = {family.name for family in SERVABLE}
    candidates = [result for result in results if result.name in servable]
    scored = [result for result in candidates if result.validation_ndcg_at_10 is not None]
    if not scored:
        return candidates[-1].name
    return max(scored, key=lambda result: result.validation_ndcg_at_10 or 0.0).name


def process_peak_rss_bytes() -> int:
    """The process's resident-memory high-water mark so far (getrusage: kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
