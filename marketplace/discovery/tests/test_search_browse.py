"""Searches without words, and with frequent words, are answered per branch (summaries, per-word branch cells): the
same answer as the row statement for every filter, sort and page (the row statement is what the API tests check
against brute force)."""

from __future__ import annotations

import itertools
import random
from collections import OrderedDict
from decimal import Decimal

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.discovery import cell_cache, cell_counts, cell_refresh, cell_store
from marketplace.discovery.schemas import SearchQuery
from marketplace.discovery.search import PlanFamily, RowStatement, search_plan, search_run
from marketplace.discovery.search_text import search_terms_refresh
from marketplace.discovery.tasks import _REFRESH_LOCK, word_cells_refresh_task
from marketplace.discovery.tests.factories import category_make, listing_make

CENTRE = (24.8607, 67.0011)
TITLES = ["Fresh bread", "Brown sugar", "Sugar bread rolls", "Bread knife", "Sugar free biscuits", "Tea"]
DESCRIPTIONS = ["", "Baked with sugar", "Goes with bread and tea", "Sugary"]
PRICES = ["99.99", "100.00", "120.00", "250.00", "250.01", "499.00", "1000.00", "2400.00", "5000.00", "60000.00"]


@pytest.fixture
def branches(make_merchant):
    """Three merchants, 24 branches (two pairs at the very same spot), 10-40 listings each: most of a branch's
    rows share its location, as the publisher writes them."""
    rng = random.Random(11)
    food = category_make("food")
    leaves = [category_make("fruit", food), category_make("bakery", food), category_make("tools")]
    merchants = [make_merchant(slug=slug) for slug in ("one", "two", "three")]
    spots = [(CENTRE[0] + rng.uniform(-0.09, 0.09), CENTRE[1] + rng.uniform(-0.09, 0.09)) for _ in range(22)]
    spots += spots[:2]  # branches of other merchants at the same place: equal distances
    rows = []
    for branch_id, (lat, lng) in enumerate(spots, start=1):
        merchant = merchants[branch_id % 3]
        delivers = branch_id % 2 == 0
        for _ in range(rng.randint(10, 40)):
            price = Decimal(rng.choice(PRICES))
            rows.append(
                listing_make(
                    merchant,
                    lat=lat,
                    lng=lng,
                    branch_id=branch_id,
                    store_id=1 + branch_id % 2,
                    store_slug=f"store-{1 + branch_id % 2}",
                    category=rng.choice([*leaves, None]),
                    price=price,
                    title=rng.choice(TITLES),
                    description=rng.choice(DESCRIPTIONS),
                    regular_price=price + (Decimal("5.00") if rng.random() < 0.2 else 0),
                    in_stock=rng.random() > 0.2,
                    popularity=float(rng.choice([0, 0, 1, 2, 5, 40])),
                    offers_delivery=delivers,
                    delivery_radius_km=Decimal("6.00"),
                )
            )
    return rows


def _answer(params: dict, *, summaries: bool) -> tuple:
    rows = search_run(search_plan(SearchQuery(**params), summaries=summaries))
    return (
        rows.total,
        rows.in_stock,
        [(row["id"], round(row["distance_km"] or 0, 9), round(row["score"], 9)) for row in rows.page],
        sorted(map(tuple, rows.categories), key=repr),
        [tuple(bucket) for bucket in rows.prices],
        rows.stores_total,
        [tuple(store) for store in rows.stores],
    )


FILTERS = [
    {},
    {"category": "food"},
    {"category": "tools", "in_stock": True},
    {"price_min": "100", "price_max": "250"},
    {"price_max": "1000", "has_offer": True},
    {"price_min": "5000"},
    {"in_stock": False},
    {"delivery": "delivery"},
    {"delivery": "pickup", "category": "fruit"},
    {"store": "two"},
    {"store": "one/store-2", "has_offer": False},
]
SORTS = ["relevance", "distance", "price_asc", "price_desc", "newest", "popular"]


@pytest.mark.parametrize("sort", SORTS)
def test_summaries_give_the_row_statements_answer(branches, sort):
    for filters, radius, page in itertools.product(FILTERS, (3, 8, 50), (1, 2, 4)):
        params = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": radius, "sort": sort, "page": page, "limit": 7}
        params.update(filters)
        assert search_plan(SearchQuery(**params)).family == PlanFamily.BRANCHES
        assert _answer(params, summaries=True) == _answer(params, summaries=False), params


WORDS = ["sugar", "bread", "tea", "breads", "sug"]


@pytest.mark.parametrize("sort", SORTS)
def test_frequent_words_per_branch_give_the_row_statements_answer(branches, sort, monkeypatch):
    """With every word frequent enough, word searches run per branch: counts from each branch's cells of its word
    listings (kept per word and branch version), pages through the per-cell word index or a walk."""
    monkeypatch.setattr("marketplace.discovery.search.WORD_CELLS_MIN_LISTINGS", 0)
    for q, filters, radius, page in itertools.product(WORDS, FILTERS, (3, 8, 50), (1, 3)):
        params = {"q": q, "lat": CENTRE[0], "lng": CENTRE[1], "radius_km": radius, "sort": sort, "page": page}
        params.update(filters, limit=6)
        plan = search_plan(SearchQuery(**params))
        assert plan.family == PlanFamily.BRANCHES_WORD, params
        assert _answer(params, summaries=True) == _answer(params, summaries=False), params
    explained = {"q": "bread", "lat": CENTRE[0], "lng": CENTRE[1], "sort": sort, "explain": True}
    assert _answer(explained, summaries=True) == _answer(explained, summaries=False)


@pytest.mark.parametrize("walk", [True, False])
@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "newest", "popular"])
def test_both_ways_to_a_sorted_page_give_the_same_answer(branches, sort, walk, monkeypatch):
    """Price, newest and popular pages either walk the sort's index or read the branches' rows (with a word: its
    hits by id, for prices only those in the page's buckets): whichever the costs pick, the same page."""
    monkeypatch.setattr("marketplace.discovery.search.WORD_CELLS_MIN_LISTINGS", 0)
    monkeypatch.setattr("marketplace.discovery.search_browse._walk_cheaper", lambda **_: walk)
    for q, filters, page in itertools.product([None, "sugar", "bread"], FILTERS, (1, 3)):
        params = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 50, "sort": sort, "page": page, "limit": 6}
        params.update(filters, **({"q": q} if q else {}))
        assert _answer(params, summaries=True) == _answer(params, summaries=False), params


def test_word_cells_follow_the_branch_version(branches, monkeypatch):
    """A branch's word counts are cached by its version: a new listing with the word is counted at once."""
    monkeypatch.setattr("marketplace.discovery.search.WORD_CELLS_MIN_LISTINGS", 0)
    params = {"q": "sugar", "lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 50}
    before = _answer(params, summaries=True)
    first = branches[0]
    same_branch = {f: getattr(first, f) for f in ("branch_id", "store_id", "store_slug", "offers_delivery")}
    listing_make(first.merchant, lat=first.latitude, lng=first.longitude, title="Sugar", **same_branch)
    after = _answer(params, summaries=True)
    assert after[0] == before[0] + 1
    assert after == _answer(params, summaries=False)


def test_without_a_location_and_between_edges(branches):
    for params in ({"sort": "price_asc"}, {"sort": "relevance", "page": 3}, {"category": "food", "sort": "newest"}):
        assert _answer(params, summaries=True) == _answer(params, summaries=False), params
    between = {"lat": CENTRE[0], "lng": CENTRE[1], "price_min": "120.5"}
    assert search_plan(SearchQuery(**between)).family == PlanFamily.ROWS  # not an edge: the row statement counts
    assert isinstance(search_plan(SearchQuery(q="bread", lat=CENTRE[0], lng=CENTRE[1])).statements, RowStatement)


def test_a_price_on_an_edge_counts_on_both_sides_of_it(branches):
    at_250 = sum(1 for row in branches if row.price == Decimal("250.00"))
    base = {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 50}
    up_to = _answer({**base, "price_max": "250"}, summaries=True)[0]
    below = _answer({**base, "price_max": "249.99"}, summaries=True)[0]
    assert at_250 and up_to - below == at_250


def test_price_walk_costs_are_read_on_a_freshly_booted_machine(branches, monkeypatch):
    """The whole index's bucket counts are read the first time, even when the monotonic clock is younger than their
    time to live (a machine up for minutes: with them missing, every price walk looked cheap)."""
    monkeypatch.setattr(cell_cache, "_buckets", None)
    monkeypatch.setattr(cell_cache.time, "monotonic", lambda: 5.0)
    with connection.cursor() as cursor:
        counts = cell_cache.bucket_counts(cursor)
    assert sum(counts.values()) == len(branches)


def _word_counts(captured: CaptureQueriesContext) -> int:
    """How many times a frequent word's branch cells were counted from the rows."""
    return sum("array_agg(r.id)" in query["sql"] for query in captured.captured_queries)


def test_a_words_counts_are_shared_by_every_process(branches, monkeypatch):
    """Counted once for the deployment: a process that has not met the word reads its branches from Redis."""
    monkeypatch.setattr("marketplace.discovery.search.WORD_CELLS_MIN_LISTINGS", 0)
    params = {"q": "breads", "lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 50, "sort": "relevance"}
    with CaptureQueriesContext(connection) as first:
        answer = _answer(params, summaries=True)
    assert _word_counts(first) == 1
    monkeypatch.setattr(cell_cache, "_cache", OrderedDict())  # another web process: nothing in its memory
    with CaptureQueriesContext(connection) as other:
        assert _answer({**params, "q": "bread"}, summaries=True) == answer  # the same stem: the same counts
    assert _word_counts(other) == 0
    assert answer == _answer(params, summaries=False)


def test_beat_counts_every_frequent_word_ahead(branches, monkeypatch):
    monkeypatch.setattr("marketplace.discovery.search.WORD_CELLS_MIN_LISTINGS", 0)
    search_terms_refresh()
    words, counted = cell_refresh.word_cells_refresh(min_listings=1)
    n_branches = len({(row.merchant.id, row.branch_id) for row in branches})
    assert words > 5 and counted == words * n_branches
    assert cell_refresh.word_cells_refresh(min_listings=1) == (words, 0)  # idempotent

    monkeypatch.setattr(cell_cache, "_cache", OrderedDict())
    for q, sort in itertools.product(["sugar", "bread", "tea"], ["relevance", "price_asc", "distance"]):
        params = {"q": q, "lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 8, "sort": sort}
        with CaptureQueriesContext(connection) as searched:
            answer = _answer(params, summaries=True)
        assert _word_counts(searched) == 0, params
        assert answer == _answer(params, summaries=False), params

    first = branches[0]
    same_branch = {f: getattr(first, f) for f in ("branch_id", "store_id", "store_slug", "offers_delivery")}
    listing_make(first.merchant, lat=first.latitude, lng=first.longitude, title="Sugar", **same_branch)
    assert cell_refresh.word_cells_refresh(min_listings=1) == (words, words)  # that branch, for every word


def test_without_redis_words_are_counted_in_the_process(branches, monkeypatch):
    monkeypatch.setattr("marketplace.discovery.search.WORD_CELLS_MIN_LISTINGS", 0)
    monkeypatch.setattr(cell_store, "redis_client", lambda: redis.Redis(port=1, socket_connect_timeout=0.2))
    params = {"q": "tea", "lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 50, "sort": "popular"}
    assert _answer(params, summaries=True) == _answer(params, summaries=False)


def test_words_of_a_stem_take_only_plain_lexemes():
    assert cell_counts.Words.of_stem("sugar").params == {"word": "'sugar':*"}
    with pytest.raises(ValueError):
        cell_counts.Words.of_stem("a' | 'b")


def test_the_beat_task_runs_one_refresh_at_a_time(branches):
    search_terms_refresh()
    assert cache.add(_REFRESH_LOCK, 1, timeout=60)
    try:
        assert word_cells_refresh_task.apply().get() is None  # another run holds it
    finally:
        cache.delete(_REFRESH_LOCK)
    assert word_cells_refresh_task.apply().get() == cell_refresh.word_cells_refresh()
