"""The ranking's rules, one by one: completion normalised by duration, smoothing, freshness stored as log-time, the
out-of-stock demotion and the per-merchant cap (pure functions), and the SQL score pinned to the Python one."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import h3
import pytest
from django.db import connection

from marketplace.reels import ranking
from shared_apps.behaviour.services import watch_fraction

PRIORS = {"prior_completion": 0.5, "prior_engagement": 0.02}


def test_a_short_reel_watched_to_the_end_is_worth_as_much_as_a_long_one():
    assert watch_fraction(watch_ms=10_000, duration_ms=10_000) == watch_fraction(watch_ms=60_000, duration_ms=60_000)
    short = ranking.quality(watch_fraction=100 * 1.0, watches=100, actions=5, views=100, **PRIORS)
    long = ranking.quality(watch_fraction=100 * 1.0, watches=100, actions=5, views=100, **PRIORS)
    assert short == long
    # 10 s of a 60 s reel is a sixth of it, not "as much as a whole 10 s reel"
    half_long = ranking.quality(
        watch_fraction=100 * watch_fraction(watch_ms=10_000, duration_ms=60_000),
        watches=100,
        actions=5,
        views=100,
        **PRIORS,
    )
    assert half_long < short


def test_a_watch_longer_than_the_reel_counts_once():
    assert watch_fraction(watch_ms=25_000, duration_ms=10_000) == 1.0
    assert watch_fraction(watch_ms=0, duration_ms=10_000) == 0.0
    assert watch_fraction(watch_ms=5_000, duration_ms=None) == 0.0


def test_two_perfect_views_do_not_outrank_a_thousand_good_ones():
    lucky = ranking.quality(watch_fraction=2.0, watches=2, actions=2, views=2, **PRIORS)
    proven = ranking.quality(watch_fraction=900.0, watches=1000, actions=100, views=1000, **PRIORS)
    assert proven > lucky
    assert ranking.smoothed(0, 0, prior=0.3) == pytest.approx(0.3)  # no data: the prior


def test_out_of_stock_and_closed_demote_a_reel():
    at = datetime(2026, 12, 1, tzinfo=UTC)
    scores = {
        (stock, open_): ranking.placement_score(quality=1.0, published_at=at, in_stock=stock, open_now=open_)
        for stock, open_ in itertools.product((True, False), repeat=2)
    }
    assert scores[(True, True)] > scores[(True, False)] > scores[(False, True)] > scores[(False, False)]
    assert math.exp(scores[(False, True)] - scores[(True, True)]) == pytest.approx(ranking.OUT_OF_STOCK_FACTOR)


def test_stored_freshness_orders_as_the_decaying_product_at_any_time():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    reels = [(q, now - timedelta(hours=h)) for q, h in ((1.0, 100), (0.6, 5), (0.9, 40), (0.3, 0), (2.0, 200))]
    stored = sorted(
        reels, key=lambda r: -ranking.placement_score(quality=r[0], published_at=r[1], in_stock=True, open_now=True)
    )
    for later in (now, now + timedelta(days=3), now + timedelta(days=30)):
        decaying = sorted(
            reels, key=lambda r: -r[0] * ranking.freshness(age_hours=(later - r[1]).total_seconds() / 3600)
        )
        assert decaying == stored


def _merchants_per_window(items: list[tuple[int, int]], window: int) -> int:
    return max(
        max(sum(1 for _, m in items[i : i + window] if m == merchant) for merchant in {m for _, m in items})
        for i in range(max(1, len(items) - window + 1))
    )


def test_no_merchant_has_more_than_two_reels_in_any_ten():
    # merchant 1 holds the twelve best reels; five other merchants the rest (enough to fill every window)
    ranked = [(i, 1) for i in range(12)] + [(100 + i, 2 + i % 5) for i in range(30)]
    capped = ranking.merchant_capped(ranked, merchant_of=lambda r: r[1])
    assert sorted(capped) == sorted(ranked)  # nothing lost, nothing doubled
    assert capped[:2] == [(0, 1), (1, 1)]  # the best still come first
    assert _merchants_per_window(capped[:30], ranking.MERCHANT_WINDOW) <= ranking.MERCHANT_CAP
    # among one merchant's reels the order is kept
    assert [r for r in capped if r[1] == 1] == [r for r in ranked if r[1] == 1]


def test_with_a_single_merchant_around_the_feed_still_goes_on():
    ranked = [(i, 7) for i in range(5)]
    assert ranking.merchant_capped(ranked, merchant_of=lambda r: r[1]) == ranked


def test_ring_factors_fall_with_distance():
    lat, lng = 31.5204, 74.3587
    origin = h3.latlng_to_cell(lat, lng, 7)
    cells = [h3.str_to_int(c) for c in (origin, *h3.grid_ring(origin, 1)[:1], *h3.grid_ring(origin, 3)[:1])]
    factors = ranking.ring_factors(lat=lat, lng=lng, cells=cells, resolution=7)
    assert factors[0] == 0.0 and factors[0] > factors[1] > factors[2]


@pytest.mark.django_db
def test_the_sql_score_is_the_python_score():
    at = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    for quality, stock, open_ in ((1.3, True, True), (0.2, False, True), (0.7, True, False)):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {ranking.PLACEMENT_SCORE_SQL} FROM (SELECT %s::float8 AS quality, %s::timestamptz AS "
                "published_at) c, (SELECT %s::boolean AS in_stock, %s::boolean AS open_now) p",
                [quality, at, stock, open_],
            )
            sql = cursor.fetchone()[0]
        expected = ranking.placement_score(quality=quality, published_at=at, in_stock=stock, open_now=open_)
        assert sql == pytest.approx(expected, rel=1e-9)
