"""Each model's fast, blocked computation against its formula written out on dense arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from shared_apps.recommendations import algorithms
from shared_apps.recommendations.algorithms import (
    Ease,
    EaseParams,
    ItemKnnCosine,
    ItemKnnShrunk,
    KnnParams,
    Rp3Beta,
    Rp3Params,
    TopPop,
    profiles_weighted,
)


@pytest.fixture
def matrix() -> sp.csr_matrix:
    rng = np.random.default_rng(3)
    dense = (rng.random((60, 25)) < 0.2).astype(np.float32)
    dense[:, 24] = 0  # an item nobody took
    return sp.csr_matrix(dense)


def _cosine(dense: np.ndarray, shrink: float = 0.0) -> np.ndarray:
    norms = np.sqrt(dense.sum(axis=0))
    denominator = np.outer(norms, norms) + shrink
    similarity = np.divide(dense.T @ dense, denominator, out=np.zeros((dense.shape[1],) * 2), where=denominator > 0)
    np.fill_diagonal(similarity, 0)
    return similarity


def test_toppop_scores_every_item_by_how_many_users_took_it(matrix):
    model = TopPop()
    model.fit(matrix=matrix)
    scores = model.scores(profiles=matrix[:3])
    assert scores.shape == (3, 25)
    assert np.array_equal(scores[0], matrix.toarray().sum(axis=0))


def test_plain_itemknn_is_the_cosine_of_item_columns_without_the_item_itself(matrix, monkeypatch):
    monkeypatch.setattr(algorithms, "BLOCK_CELLS", 100)  # scored a few rows at a time
    model = ItemKnnCosine()
    model.fit(matrix=matrix)
    dense = matrix.toarray().astype(np.float64)
    assert np.allclose(model.scores(profiles=matrix), dense @ _cosine(dense), atol=1e-5)


def test_shrunk_itemknn_keeps_each_items_k_nearest_neighbours(matrix, monkeypatch):
    monkeypatch.setattr(algorithms, "BLOCK_CELLS", 100)  # several blocks even at this size
    dense = matrix.toarray().astype(np.float64)
    full = ItemKnnShrunk(KnnParams(neighbours=25, shrink=5.0))
    full.fit(matrix=matrix)
    assert np.allclose(full.scores(profiles=matrix), dense @ _cosine(dense, shrink=5.0), atol=1e-5)
    pruned = ItemKnnShrunk(KnnParams(neighbours=3, shrink=5.0))
    pruned.fit(matrix=matrix)
    kept = pruned.similarity.toarray()
    assert (np.count_nonzero(kept, axis=0) <= 3).all()
    reference = _cosine(dense, shrink=5.0)
    for item in range(24):
        assert kept[:, item].sum() == pytest.approx(np.sort(reference[:, item])[-3:].sum(), rel=1e-5)


def test_rp3beta_is_the_damped_three_step_walk(matrix, monkeypatch):
    monkeypatch.setattr(algorithms, "BLOCK_CELLS", 100)
    dense = matrix.toarray().astype(np.float64)
    model = Rp3Beta(Rp3Params(alpha=0.7, beta=0.4, neighbours=25))
    model.fit(matrix=matrix)
    user_to_item = np.divide(dense, dense.sum(axis=1, keepdims=True), out=np.zeros_like(dense), where=dense > 0)
    item_to_user = np.divide(dense.T, dense.T.sum(axis=1, keepdims=True), out=np.zeros_like(dense.T), where=dense.T > 0)
    walk = (item_to_user**0.7) @ (user_to_item**0.7)
    degrees = dense.sum(axis=0)
    walk *= np.divide(1.0, degrees**0.4, out=np.zeros_like(degrees), where=degrees > 0)
    np.fill_diagonal(walk, 0)
    assert np.allclose(model.similarity.toarray(), walk, atol=1e-6)


def test_ease_is_the_closed_form_with_a_zero_diagonal(matrix):
    dense = matrix.toarray().astype(np.float64)
    model = Ease(EaseParams(l2=4.0))
    model.fit(matrix=matrix)
    precision = np.linalg.inv(dense.T @ dense + 4.0 * np.eye(25))
    weights = -precision / np.diag(precision)
    np.fill_diagonal(weights, 0)
    assert np.allclose(model.weights, weights, atol=1e-5)
    assert np.allclose(model.scores(profiles=matrix), dense @ weights, atol=1e-4)


def test_ease_refuses_more_items_than_its_bound(monkeypatch, matrix):
    monkeypatch.setattr(algorithms, "EASE_MAX_ITEMS", 10)
    with pytest.raises(ValueError, match="over 10"):
        Ease(EaseParams(l2=1.0)).fit(matrix=matrix)


def test_a_profiles_weight_halves_every_half_life_items_back():
    recency = sp.csr_matrix(np.array([[1, 0, 3, 2]], dtype=np.float32))
    assert profiles_weighted(recency=recency, half_life=None).toarray().tolist() == [[1, 0, 1, 1]]
    assert profiles_weighted(recency=recency, half_life=1.0).toarray().tolist() == [[1, 0, 0.25, 0.5]]
    assert profiles_weighted(recency=recency, half_life=2.0).toarray()[0, 2] == pytest.approx(0.5)
