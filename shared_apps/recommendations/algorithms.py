"""Recommendation models over a user-item interaction matrix: plain numeric code on scipy.sparse, no Django.

Every model learns from a binary CSR matrix (a row per shopper, a column per item, 1 where the shopper interacted)
and scores items for a batch of *profiles*: CSR rows of the same width whose values weigh each item the shopper
has (1 for all of them, or less the older they are: `profiles_weighted`). A score is only meaningful within its row.

| model | idea | learns | served |
|---|---|---|---|
| `toppop` | what most shoppers took | item degrees | no: the floor to clear |
| `itemknn` | cosine between item columns, every neighbour | the normalised matrix | no: the plain baseline |
| `itemknn_shrink` | cosine shrunk towards 0 for rare pairs, each item's k best neighbours | sparse item-item | yes |
| `rp3beta` | three-step random walk item→user→item, popular targets damped by degree^β | sparse item-item | yes |
| `ease` | the item-item linear autoencoder with a zero diagonal, closed form | dense item-item | ≤ `EASE_MAX_ITEMS` |

Item-item matrices are built a block of rows at a time and pruned to their k best entries per row before the next
block, so memory grows with items x k, never items² (EASE alone holds items², which is why it has a bound).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from sklearn.preprocessing import normalize

BLOCK_CELLS = 4_000_000  # dense cells a block may hold while an item-item matrix is built: bounded memory, few loops
# EASE inverts a dense items x items Gram matrix: items² float64 twice (the Gram and its inverse, 1.6 GB at this bound)
# and time growing with items³, once per λ tried. Past it, the neighbourhood models serve.
EASE_MAX_ITEMS = 10_000


class Recommender(Protocol):
    """What the evaluation and serving need from a model: learn once, then score batches of profiles."""

    name: str

    def fit(self, *, matrix: sp.csr_matrix) -> None: ...

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray: ...


def binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    """The same pattern with every stored value 1.0 (float32): "interacted", however often or recently."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out


def profiles_weighted(*, recency: sp.csr_matrix, half_life: float | None) -> sp.csr_matrix:
    """Profiles from a recency matrix (values 1, 2, 3… = taken at the row's newest moment, the one before…).

    `half_life=None` weighs every item 1; otherwise an item `half_life` moments older than the newest weighs half of
    them. The shopper's next basket usually continues the last one: that is what the weighting lets a model use.
    """
    out = sp.csr_matrix(recency, dtype=np.float32, copy=True)
    if half_life is None:
        out.data[:] = 1.0
    else:
        out.data = np.power(np.float32(0.5), (out.data - 1.0) / np.float32(half_life)).astype(np.float32)
    return out


def item_degrees(matrix: sp.csr_matrix) -> np.ndarray:
    """How many rows hold each item (float64, one per column)."""
    return np.asarray(binary(matrix).sum(axis=0), dtype=np.float64).ravel()


def _rows_top_k(*, block_rows: Callable[[int, int], np.ndarray], size: int, k: int) -> sp.csr_matrix:
    """A size x size CSR keeping the k largest positive entries of each row, built from dense row blocks.

    `block_rows(start, stop)` returns rows start..stop of the full matrix, dense, with the diagonal already zero.
    """
    step = max(1, BLOCK_CELLS // max(size, 1))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for start in range(0, size, step):
        stop = min(start + step, size)
        block = block_rows(start, stop)
        if k < size:
            best = np.argpartition(-block, k - 1, axis=1)[:, :k]
        else:
            best = np.broadcast_to(np.arange(size), block.shape)
        values = np.take_along_axis(block, best, axis=1)
        keep = values > 0
        rows.append(np.nonzero(keep)[0] + start)
        cols.append(best[keep])
        vals.append(values[keep].astype(np.float32))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    val = np.concatenate(vals) if vals else np.zeros(0, dtype=np.float32)
    return sp.csr_matrix((val, (row, col)), shape=(size, size), dtype=np.float32)


def _dense(product: sp.spmatrix | np.ndarray) -> np.ndarray:
    return product.toarray() if sp.issparse(product) else np.asarray(product)


# ---------------------------------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------------------------------


class TopPop:
    """Every shopper gets the same list: items by how many shoppers took them."""

    name = "toppop"

    def __init__(self) -> None:
        self.popularity = np.zeros(0, dtype=np.float32)

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        self.popularity = item_degrees(matrix).astype(np.float32)

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.popularity, (profiles.shape[0], self.popularity.size)).copy()


class ItemKnnCosine:
    """The plain item-based baseline: cosine similarity between item columns, all neighbours, no shrinkage.

    The similarity matrix is never built: a batch's scores are (profiles · Xnᵀ) · Xn with Xn the column-normalised
    matrix, which is profiles · S without S's items² cells. The diagonal (an item's similarity to itself) is taken
    back out, so scores are only what the neighbours say.
    """

    name = "itemknn"

    def __init__(self) -> None:
        self.normalised = sp.csr_matrix((0, 0), dtype=np.float32)
        self.self_similarity = np.zeros(0, dtype=np.float32)

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        degrees = item_degrees(matrix)
        inverse_norms = np.divide(1.0, np.sqrt(degrees), out=np.zeros_like(degrees), where=degrees > 0)
        self.normalised = sp.csr_matrix(binary(matrix) @ sp.diags(inverse_norms.astype(np.float32)))
        self.self_similarity = (degrees > 0).astype(np.float32)

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        users, items = self.normalised.shape
        out = np.empty((profiles.shape[0], items), dtype=np.float32)
        step = max(1, BLOCK_CELLS // max(users, 1))  # the detour through users is rows x users cells
        for start in range(0, profiles.shape[0], step):
            rows = profiles[start : start + step]
            through_users = _dense(rows @ self.normalised.T).astype(np.float32)
            out[start : start + step] = np.asarray(self.normalised.T @ through_users.T).T
            out[start : start + step] -= _dense(rows).astype(np.float32) * self.self_similarity
        return out


# ---------------------------------------------------------------------------------------------------------------
# Served models
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnnParams:
    neighbours: int  # k: each item keeps its k most similar items
    shrink: float  # added to the cosine's denominator: a pair seen together twice is no proof


@dataclass(frozen=True)
class Rp3Params:
    alpha: float  # transition probabilities raised to alpha: < 1 flattens them
    beta: float  # a target item's score divided by its degree^beta: popular items stop drowning the rest
    neighbours: int  # k: each item keeps its k best successors


@dataclass(frozen=True)
class EaseParams:
    l2: float  # λ on the diagonal of the Gram matrix: larger is smoother, for sparser data


class ItemKnnShrunk:
    """Item-to-item similarity from co-occurrence: S_ij = c_ij / (√(n_i n_j) + shrink), the k best per item."""

    name = "itemknn_shrink"

    def __init__(self, params: KnnParams) -> None:
        self.params = params
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        x = binary(matrix)
        xt = sp.csr_matrix(x.T)
        norms = np.sqrt(item_degrees(x))
        items = x.shape[1]

        def block_rows(start: int, stop: int) -> np.ndarray:
            counts = _dense(xt[start:stop] @ x).astype(np.float64)
            block = counts / (np.outer(norms[start:stop], norms) + self.params.shrink + 1e-9)
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0
            return block

        # S is symmetric: keeping each row's k best and transposing keeps each target item's k nearest neighbours.
        pruned = _rows_top_k(block_rows=block_rows, size=items, k=self.params.neighbours)
        self.similarity = sp.csr_matrix(pruned.T)

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        return _dense(profiles @ self.similarity).astype(np.float32)


class Rp3Beta:
    """RP3beta (Paudel et al. 2017): W = (P_iu · P_ui)^alpha, each column over its degree^β, k best per row."""

    name = "rp3beta"

    def __init__(self, params: Rp3Params) -> None:
        self.params = params
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        x = binary(matrix)
        user_to_item = sp.csr_matrix(normalize(x, norm="l1", axis=1), dtype=np.float64)
        item_to_user = sp.csr_matrix(normalize(sp.csr_matrix(x.T), norm="l1", axis=1), dtype=np.float64)
        user_to_item.data **= self.params.alpha
        item_to_user.data **= self.params.alpha
        degrees = item_degrees(x)
        damping = np.divide(1.0, np.power(degrees, self.params.beta), out=np.zeros_like(degrees), where=degrees > 0)
        items = x.shape[1]

        def block_rows(start: int, stop: int) -> np.ndarray:
            block = _dense(item_to_user[start:stop] @ user_to_item) * damping
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0
            return block

        self.similarity = _rows_top_k(block_rows=block_rows, size=items, k=self.params.neighbours)

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        return _dense(profiles @ self.similarity).astype(np.float32)


class Ease:
    """EASE (Steck 2019): B = I - P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, so diag(B) = 0; scores = profile · B.

    P comes from a Cholesky factorisation (the Gram matrix is symmetric positive definite once λ > 0), about a third
    of the work of a general inverse.
    """

    name = "ease"

    def __init__(self, params: EaseParams) -> None:
        self.params = params
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        x = binary(matrix)
        items = x.shape[1]
        if items > EASE_MAX_ITEMS:
            raise ValueError(f"EASE holds a dense item-item matrix: {items} items is over {EASE_MAX_ITEMS}")
        gram = _dense(x.T @ x).astype(np.float64)
        gram[np.diag_indices(items)] += self.params.l2
        factor, info = lapack.dpotrf(gram, lower=False, overwrite_a=True, clean=True)
        if info != 0:
            raise ValueError(f"the Gram matrix is not positive definite (LAPACK info {info})")
        del gram
        precision, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
        if info != 0:
            raise ValueError(f"the Gram matrix could not be inverted (LAPACK info {info})")
        precision += np.triu(precision, 1).T  # dpotri fills the upper triangle; the lower one is still clean zeros
        precision /= -np.diag(precision).copy()
        precision[np.diag_indices(items)] = 0.0
        self.weights = np.ascontiguousarray(precision, dtype=np.float32)  # LAPACK's is column-major; rows are read

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        return np.asarray(profiles @ self.weights, dtype=np.float32)
