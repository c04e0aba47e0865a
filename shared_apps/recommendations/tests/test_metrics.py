"""The metrics: textbook NDCG and recall on hand-computed lists, and the counted-rank fast path held to them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from shared_apps.recommendations.evaluation import (
    MISS,
    holdout_ranks,
    ndcg_at,
    ndcg_from_ranks,
    ranking_plain,
    recall_at,
    recall_from_ranks,
)


class FixedScores:
    """A model whose scores are given: what the ranking does with them is what is tested."""

    name = "fixed"

    def __init__(self, scores: np.ndarray) -> None:
        self.table = scores
        self.offset = 0

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        pass

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        rows = self.table[self.offset : self.offset + profiles.shape[0]]
        self.offset += profiles.shape[0]
        return rows.copy()


def test_ndcg_and_recall_of_a_hand_ranked_list_are_the_textbook_values():
    ranking = [3, 1, 4, 5, 9, 2, 6]
    relevant = {1, 2}
    # item 1 at position 1 gains 1/log2(3); the ideal list gains 1 + 1/log2(3): their ratio is 1/log2(6)
    assert ndcg_at(ranking=ranking, relevant=relevant, k=5) == pytest.approx(1 / math.log2(6), abs=1e-12)
    assert recall_at(ranking=ranking, relevant=relevant, k=5) == 0.5
    # at k=6 item 2 (position 5) adds 1/log2(7)
    expected = (1 / math.log2(3) + 1 / math.log2(7)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranking=ranking, relevant=relevant, k=6) == pytest.approx(expected, abs=1e-12)
    assert recall_at(ranking=ranking, relevant=relevant, k=6) == 1.0
    assert ndcg_at(ranking=ranking, relevant={8}, k=10) == 0.0


def test_with_one_held_out_item_the_rank_gives_ndcg_and_recall():
    ranks = np.array([0, 1, 9, 10, 19, 20])
    # ranks 0, 1 and 9 gain 1, 1/log2(3) and 1/log2(11); 10 and beyond gain nothing at 10
    assert ndcg_from_ranks(ranks) == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(11)) / 6, abs=1e-12)
    assert recall_from_ranks(ranks) == pytest.approx(5 / 6, abs=1e-12)  # all but rank 20 are in the first 20


def test_the_counted_rank_is_the_position_in_the_plainly_sorted_ranking():
    rng = np.random.default_rng(7)
    users, items = 40, 30
    scores = rng.integers(0, 4, size=(users, items)).astype(np.float32)  # few values: many ties
    seen = sp.csr_matrix(rng.random((users, items)) < 0.2, dtype=np.float32)
    targets = rng.integers(0, items, size=users)
    ties = rng.permutation(items)
    ranks = holdout_ranks(model=FixedScores(scores), profiles=seen, seen=seen, targets=targets, ties=ties)
    for user in range(users):
        seen_items = set(seen[user].indices.tolist())
        plain = ranking_plain(scores=scores[user], seen=seen_items, ties=ties)
        target = int(targets[user])
        expected = MISS if target in seen_items else plain.index(target)
        assert ranks[user] == expected
        if target not in seen_items:
            assert ndcg_from_ranks(ranks[user : user + 1]) == pytest.approx(
                ndcg_at(ranking=plain, relevant={target}, k=10), abs=1e-9
            )
            assert recall_from_ranks(ranks[user : user + 1]) == recall_at(ranking=plain, relevant={target}, k=20)


def test_items_the_user_already_has_are_not_ranked_and_a_repeat_target_is_a_miss():
    scores = np.array([[9.0, 8.0, 1.0, 0.5], [9.0, 8.0, 1.0, 0.5]], dtype=np.float32)
    seen = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32))
    ranks = holdout_ranks(
        model=FixedScores(scores), profiles=seen, seen=seen, targets=np.array([2, 0]), ties=np.arange(4)
    )
    assert ranks[0] == 0  # items 0 and 1 score higher but the user has them
    assert ranks[1] == MISS  # the user already had item 0: it cannot be recommended, a miss at any cutoff
    assert ndcg_from_ranks(ranks) == 0.5
