"""Training's numbers: the sparse item-item path against the dense one, the budget, baskets, lists, slots."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest
import scipy.sparse as sp

from shared_apps.recommendations import algorithms, training
from shared_apps.recommendations.algorithms import ItemKnnShrunk, KnnParams, Rp3Beta, Rp3Params, csr_top_k
from shared_apps.recommendations.dayparts import daypart_of, slots_of
from shared_apps.recommendations.training import Budget, Log, baskets_of, model_train, top_rows


def _weighted(seed: int = 5, users: int = 120, items: int = 60) -> sp.csr_matrix:
    """Random kind weights (no two equal scores, so both paths must keep the very same entries)."""
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((users, items)) < 0.15, rng.random((users, items)) + 0.1, 0).astype(np.float32)
    dense[:, -1] = 0  # an item nobody took
    return sp.csr_matrix(dense)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ItemKnnShrunk(KnnParams(neighbours=7, shrink=3.0)),
        lambda: ItemKnnShrunk(KnnParams(neighbours=100, shrink=0.0)),
        lambda: Rp3Beta(Rp3Params(alpha=0.7, beta=0.4, neighbours=7)),
        lambda: Rp3Beta(Rp3Params(alpha=1.0, beta=0.0, neighbours=100)),
    ],
)
def test_the_sparse_item_item_path_equals_the_dense_one(build, monkeypatch):
    matrix = _weighted()
    monkeypatch.setattr(algorithms, "BLOCK_CELLS", 300)  # several dense blocks
    dense = build()
    dense.fit(matrix=matrix)
    monkeypatch.setattr(algorithms, "SPARSE_FROM_ITEMS", 0)
    monkeypatch.setattr(algorithms, "BLOCK_NNZ", 200)  # several sparse blocks, some of a single row
    sparse = build()
    sparse.fit(matrix=matrix)
    assert sparse.similarity.nnz == dense.similarity.nnz > 0
    assert np.array_equal(sparse.similarity.toarray() > 0, dense.similarity.toarray() > 0)
    assert np.allclose(sparse.similarity.toarray(), dense.similarity.toarray(), rtol=1e-6, atol=0)


def test_a_binary_matrix_learns_what_the_evaluation_learnt():
    """Weights are only a generalisation: on 0/1 values the models are the binary ones (ADR 0014's figures hold)."""
    matrix = algorithms.binary(_weighted())
    knn = ItemKnnShrunk(KnnParams(neighbours=60, shrink=2.0))
    knn.fit(matrix=matrix)
    dense = matrix.toarray().astype(np.float64)
    norms = np.sqrt(dense.sum(axis=0))
    cosine = dense.T @ dense / (np.outer(norms, norms) + 2.0 + 1e-9)
    np.fill_diagonal(cosine, 0)
    assert np.allclose(knn.similarity.toarray(), cosine, atol=1e-6)


def test_csr_top_k_keeps_each_rows_largest_positive_entries():
    block = sp.csr_matrix(np.array([[0.5, -1.0, 0.9, 0.1], [0, 0, 0, 0], [0.2, 0.3, 0, 0]], dtype=np.float32))
    rows, cols, vals = csr_top_k(block, k=2)
    assert sorted(vals.tolist()) == pytest.approx([0.2, 0.3, 0.5, 0.9])
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0), (0, 2), (2, 0), (2, 1)]
    listed = top_rows(block, n=2)
    assert listed.items.tolist() == [[2, 0], [-1, -1], [1, 0]]
    assert listed.row(1)[0].size == 0


def _log(rng: np.random.Generator, *, events: int = 3000, users: int = 200, items: int = 50) -> Log:
    user = rng.integers(0, users, events)
    item = (user % 10) * 5 + rng.integers(0, 5, events)  # ten tastes of five items each
    return Log(user, item, np.sort(rng.random(events)) * 1e6, np.full(events, 1.0, np.float32), users, items)


def test_training_chooses_by_validation_and_lists_each_items_neighbours():
    trained = model_train(log=_log(np.random.default_rng(1)), budget=Budget(seconds=60, memory_mb=512))
    assert trained.effort == "full" and set(trained.validation) == {"itemknn_shrink", "rp3beta", "ease"}
    assert trained.validation[trained.algorithm] == max(trained.validation.values())
    assert trained.similar is not None
    for item in range(50):  # an item's neighbours are its taste's other items
        neighbours, scores = trained.similar.row(item)
        assert set(neighbours[:4].tolist()) == {item // 5 * 5 + i for i in range(5)} - {item}
        assert (np.diff(scores) <= 0).all()


def test_a_budget_already_spent_skips_tuning_but_still_fits():
    budget = Budget(seconds=1.0, memory_mb=512, started=time.monotonic() - 10)
    trained = model_train(log=_log(np.random.default_rng(2)), budget=budget)
    assert trained.validation == {} and trained.algorithm == "ease" and trained.similar is not None


def test_a_small_memory_budget_leaves_ease_out():
    trained = model_train(log=_log(np.random.default_rng(2)), budget=Budget(seconds=60, memory_mb=0.01))
    assert "ease" not in trained.validation and trained.algorithm in {"itemknn_shrink", "rp3beta"}


def test_large_data_tunes_a_sample_of_shoppers_on_a_narrower_grid(monkeypatch):
    monkeypatch.setattr(training, "LARGE_EVENTS", 1000)
    monkeypatch.setattr(training, "TUNE_USERS_LARGE", 100)
    effort = training.effort_for(events=3000, items=50, budget=Budget(seconds=60, memory_mb=512))
    assert effort.name == "sampled" and effort.tune_users == 100
    trained = model_train(log=_log(np.random.default_rng(3)), budget=Budget(seconds=60, memory_mb=512))
    assert trained.effort == "sampled" and trained.setting["half_life"] in training.LARGE_HALF_LIVES


def test_with_nobody_holding_two_items_only_the_popular_lists_are_made():
    log = Log(np.arange(5), np.arange(5), np.zeros(5), np.ones(5, np.float32), 5, 5)
    trained = model_train(log=log, budget=Budget(seconds=60, memory_mb=512))
    assert trained.algorithm == "popular" and trained.similar is None


def test_a_basket_is_one_shoppers_purchases_minutes_apart():
    users = np.array([1, 1, 1, 2, 1, 2])
    times = np.array([0.0, 0.5, 100.0, 0.2, 1000.0, 5000.0])
    codes = baskets_of(users=users, times=times)
    assert codes[0] == codes[1] == codes[2] != codes[4]
    assert len({codes[3], codes[5], codes[0], codes[4]}) == 4


def test_slots_agree_with_daypart_of():
    seconds = np.random.default_rng(0).integers(1_700_000_000, 1_800_000_000, 3000)
    expected = [daypart_of(datetime.fromtimestamp(int(s), UTC)) for s in seconds]
    assert slots_of(seconds).tolist() == [part * 2 + weekend for part, weekend in expected]


def test_a_view_then_a_purchase_of_one_item_is_one_discovery_for_validation():
    """Real logs view a product before buying it: held out, the purchase would be a miss for every model."""
    base = _log(np.random.default_rng(4), events=1500)
    views = Log(base.users, base.items, base.times, np.full(base.users.size, 0.25, np.float32), 200, 50)
    both = Log(
        np.concatenate([views.users, base.users]),
        np.concatenate([views.items, base.items]),
        np.concatenate([views.times, base.times + 300]),  # each bought five minutes after it was viewed
        np.concatenate([views.weights, base.weights]),
        200,
        50,
    )
    trained = model_train(log=both, budget=Budget(seconds=60, memory_mb=512))
    assert min(trained.validation.values()) > 0.1
    pairs = training.distinct_pairs(training.interactions_of(both))
    assert pairs.count == training.strongest_matrix(pairs).nnz and set(pairs.weights.tolist()) == {1.0}
