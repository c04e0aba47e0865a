"""How the feed orders reels, and what is computed ahead so that a feed page costs a few index probes.

A reel's rank for a customer is the product of
  quality      smoothed completion x (1 + ENGAGEMENT_WEIGHT x smoothed engagement rate), per reel, by beat;
  freshness    0.5 ** (age / FRESH_HALF_LIFE_H);
  availability 1, or OUT_OF_STOCK_FACTOR when no tagged product is in stock at the branch, x CLOSED_FACTOR when the
               branch is closed now (per placement, by beat);
  distance     1 / (1 + ring x ring edge / DISTANCE_HALF_KM), the H3 ring of the branch around the customer (per
               request).
then a cap: at most MERCHANT_CAP reels of one merchant in every MERCHANT_WINDOW consecutive reels.

Completion is each watch's min(watched / duration, 1) (shared_apps.behaviour.services.watch_fraction), so a 10 s
reel watched to the end counts as much as a 60 s one. Rates are smoothed towards the platform's mean with
PRIOR_WEIGHT pseudo-views (a Bayesian average): a new reel with two views, both complete, does not outrank one
with a thousand views at 90 %.

Freshness without rewriting rows: 0.5 ** (age / h) = 0.5 ** (now / h) x 2 ** (published / h), and the first factor
is the same for every reel, so `ReelPlacement.score` stores log(quality x availability) + ln 2 x published / h and
orders placements exactly as the decaying product would, now and at any later time. Beat rewrites a placement only
when its quality, stock or opening state changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

import h3
from django.db import connection

ENGAGEMENT_WEIGHT = 4.0  # likes, saves, shares, product taps, adds to cart per view: a strong signal of intent
PRIOR_WEIGHT = 20.0  # a reel's own rates count fully only once it has been watched a few dozen times
DEFAULT_COMPLETION = 0.5  # the prior before the platform has any watch at all
DEFAULT_ENGAGEMENT = 0.02
FRESH_HALF_LIFE_H = 72.0  # a reel three days old scores half of one just published
OUT_OF_STOCK_FACTOR = 0.2  # nothing to buy from it here now: shown, but well below reels one can buy from
CLOSED_FACTOR = 0.6  # the shop is closed now: an order would wait
DISTANCE_HALF_KM = 2.0  # a branch 2 km away scores half of one next door (as search's DECAY_KM)
MERCHANT_CAP = 2
MERCHANT_WINDOW = 10
EPOCH = datetime(2026, 1, 1).timestamp()  # keeps the log-time term small; any fixed instant orders the same

T = TypeVar("T")


def smoothed(successes: float, trials: float, *, prior: float, weight: float = PRIOR_WEIGHT) -> float:
    """The Bayesian average of a rate: `weight` pseudo-trials at the prior rate added to the observed ones."""
    return (successes + prior * weight) / (trials + weight)


def quality(
    *,
    watch_fraction: float,
    watches: int,
    actions: int,
    views: int,
    prior_completion: float,
    prior_engagement: float,
) -> float:
    """A reel's quality from its totals: smoothed completion (sum of per-watch fractions over watches) x
    (1 + weight x smoothed engagement per view). Always > 0 when the priors are."""
    completion = smoothed(watch_fraction, watches, prior=prior_completion)
    engagement = smoothed(actions, views, prior=prior_engagement)
    return completion * (1 + ENGAGEMENT_WEIGHT * engagement)


def freshness(*, age_hours: float) -> float:
    return 0.5 ** (max(age_hours, 0.0) / FRESH_HALF_LIFE_H)


def availability(*, in_stock: bool, open_now: bool) -> float:
    return (1.0 if in_stock else OUT_OF_STOCK_FACTOR) * (1.0 if open_now else CLOSED_FACTOR)


def placement_score(*, quality: float, published_at: datetime, in_stock: bool, open_now: bool) -> float:
    """The stored score (module docstring): log of everything but distance, freshness as log-time."""
    return math.log(quality * availability(in_stock=in_stock, open_now=open_now)) + math.log(2) * (
        published_at.timestamp() - EPOCH
    ) / (FRESH_HALF_LIFE_H * 3600)


# The same score in SQL, for beat's one-statement refresh; tests pin it to placement_score.
PLACEMENT_SCORE_SQL = (
    f"(ln(greatest(c.quality, 1e-9) * (CASE WHEN p.in_stock THEN 1 ELSE {OUT_OF_STOCK_FACTOR} END)"
    f" * (CASE WHEN p.open_now THEN 1 ELSE {CLOSED_FACTOR} END))"
    f" + ln(2) * (extract(epoch FROM c.published_at) - {EPOCH}) / {FRESH_HALF_LIFE_H * 3600})"
)


def distance_factor(*, ring: int, edge_km: float) -> float:
    return 1.0 / (1.0 + ring * edge_km / DISTANCE_HALF_KM)


def ring_factors(*, lat: float, lng: float, cells: Sequence[int], resolution: int) -> list[float]:
    """log(distance factor) of each cell around the customer, by its H3 ring (grid distance) from the customer's."""
    origin = h3.latlng_to_cell(lat, lng, resolution)
    edge = h3.average_hexagon_edge_length(resolution, "km") * math.sqrt(3)  # centre to centre of neighbours
    factors = []
    for cell in cells:
        try:
            ring = h3.grid_distance(origin, h3.int_to_str(cell))
        except h3.H3BaseException:  # across a pentagon: far enough to count as the cover's edge
            ring = 50
        factors.append(math.log(distance_factor(ring=ring, edge_km=edge)))
    return factors


def merchant_capped(
    ranked: Iterable[T],
    *,
    merchant_of: Callable[[T], int],
    cap: int = MERCHANT_CAP,
    window: int = MERCHANT_WINDOW,
) -> list[T]:
    """`ranked` (best first) reordered so that no merchant has more than `cap` items in any `window` consecutive
    ones: each position takes the best item whose merchant still has room in the window ending there. When no
    waiting item fits (only one or two merchants are near), the best waiting one goes next rather than none."""
    placed: list[T] = []
    waiting: list[T] = []
    source = iter(ranked)
    exhausted = False

    def fits(item: T) -> bool:
        recent = placed[-(window - 1) :] if window > 1 else []
        return sum(1 for other in recent if merchant_of(other) == merchant_of(item)) < cap

    while True:
        chosen = next((i for i, item in enumerate(waiting) if fits(item)), None)
        if chosen is None and not exhausted:
            for item in source:
                if fits(item):
                    placed.append(item)
                    break
                waiting.append(item)
            else:
                exhausted = True
            if not exhausted:
                continue
        if chosen is not None:
            placed.append(waiting.pop(chosen))
        elif waiting:
            placed.append(waiting.pop(0))
        else:
            return placed


_PRIORS = """
    SELECT t.fraction, t.watches, t.actions, t.views,
           (SELECT coalesce(sum(likes + saves), 0)::float8 FROM reels_feed_reelcard)
    FROM (SELECT sum(watch_fraction)::float8 AS fraction, sum(watches)::float8 AS watches,
                 sum(product_taps + add_to_carts + shares)::float8 AS actions, sum(views)::float8 AS views
          FROM behaviour_behaviourtotal WHERE subject = 'reel') t
"""


def priors() -> tuple[float, float]:
    """The platform's mean completion per watch and engagement per view (the smoothing's priors). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_PRIORS)
        fraction, watches, actions, views, kept = cursor.fetchone()
    completion = fraction / watches if watches else DEFAULT_COMPLETION
    engagement = ((actions or 0) + kept) / views if views else DEFAULT_ENGAGEMENT
    return max(completion, 0.01), max(engagement, 0.001)
