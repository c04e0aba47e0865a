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
block, so memory grows with items x k, never items² (EASE alone holds items², which is why it has a bound). Up to
`SPARSE_FROM_ITEMS` items a block is dense (items² cells in all: quick while that is small); past it a block is the
sparse product of the block's rows, pruned on its CSR data, so the work follows the co-occurrences, not items².

The models learn from the matrix's values: 1 everywhere (the evaluation's binary matrices) or how strongly each
shopper showed interest (training's weighted matrices: a purchase counts more than a view). On a binary matrix the
weighted formulas are exactly the binary ones.
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
SPARSE_FROM_ITEMS = 20_000  # past this many items, item-item blocks are sparse products (items² dense cells: too slow)
BLOCK_NNZ = 8_000_000  # stored entries a sparse block may hold before pruning: bounded memory, few loops


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


def strengths(matrix: sp.spmatrix) -> sp.csr_matrix:
    """The same matrix as float32 CSR without stored zeros: what a model learns from (`binary` of it, if wanted)."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.eliminate_zeros()
    out.sort_indices()
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


def csr_top_k(block: sp.csr_matrix, *, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of each row's k largest positive entries of a CSR block (rows numbered from 0).

    Rows with k positive entries or fewer keep them all, in one vectorised step; only longer rows are partitioned,
    one `argpartition` each over their own entries, never over the block's width.
    """
    block = sp.csr_matrix(block)
    lengths = np.diff(block.indptr)
    rows = np.repeat(np.arange(block.shape[0]), lengths)
    positive = block.data > 0
    rows, cols, vals = rows[positive], block.indices[positive], block.data[positive]
    counts = np.bincount(rows, minlength=block.shape[0])
    starts = np.concatenate(([0], np.cumsum(counts)))
    keep = np.ones(rows.size, dtype=bool)
    for row in np.flatnonzero(counts > k):
        start, stop = starts[row], starts[row + 1]
        keep[start:stop] = False
        keep[start + np.argpartition(-vals[start:stop], k - 1)[:k]] = True
    return rows[keep], cols[keep], vals[keep].astype(np.float32)


def _rows_top_k_sparse(
    *, block_rows: Callable[[int, int], sp.csr_matrix], size: int, k: int, work: np.ndarray
) -> sp.csr_matrix:
    """`_rows_top_k` from sparse row blocks: `block_rows(start, stop)` returns those rows as CSR, diagonal zero.

    `work[i]` bounds row i's stored entries (at most `size`); blocks are cut so each holds about `BLOCK_NNZ`.
    """
    bounds = np.cumsum(np.minimum(work, size).astype(np.int64))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    start = 0
    while start < size:
        before = bounds[start - 1] if start else 0
        stop = int(np.searchsorted(bounds, before + BLOCK_NNZ, side="right"))
        stop = min(max(stop, start + 1), size)
        row, col, val = csr_top_k(block_rows(start, stop), k=k)
        rows.append(row + start)
        cols.append(col)
        vals.append(val)
        start = stop
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    val = np.concatenate(vals) if vals else np.zeros(0, dtype=np.float32)
    return sp.csr_matrix((val, (row, col)), shape=(size, size), dtype=np.float32)


def _without_diagonal(block: sp.csr_matrix, *, start: int) -> sp.csr_matrix:
    """A block of rows start.. with each row's own item (its diagonal entry) removed."""
    block = sp.csr_matrix(block)
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    block.data[block.indices == rows + start] = 0
    block.eliminate_zeros()
    return block


def _item_item_top_k(
    *,
    dense_rows: Callable[[int, int], np.ndarray],
    sparse_rows: Callable[[int, int], sp.csr_matrix],
    size: int,
    k: int,
    work: Callable[[], np.ndarray],
) -> sp.csr_matrix:
    """Each row's k best entries of an item-item matrix, by dense blocks up to `SPARSE_FROM_ITEMS` items, else by
    sparse ones (`work()` bounds each row's entries, to size the blocks). Both give the same matrix."""
    if size <= SPARSE_FROM_ITEMS:
        return _rows_top_k(block_rows=dense_rows, size=size, k=k)
    return _rows_top_k_sparse(block_rows=sparse_rows, size=size, k=k, work=work())


def _row_work(x: sp.csr_matrix) -> np.ndarray:
    """For X (users x items): how many products each row of XᵀX sums, Σ over its users of their item counts,
    an upper bound on that row's stored entries."""
    user_items = np.diff(x.indptr).astype(np.float64)
    return np.asarray(sp.csr_matrix(x.T) @ user_items).ravel()


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
        self.pruned = sp.csr_matrix((0, 0), dtype=np.float32)  # row i: item i's k nearest neighbours
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)  # what scores read: column j, j's k nearest

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        x = strengths(matrix)
        xt = sp.csr_matrix(x.T)
        # the columns' Euclidean norms: √(shoppers who took the item) on a binary matrix
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0), dtype=np.float64).ravel())
        items = x.shape[1]
        shrink = self.params.shrink + 1e-9

        def dense_rows(start: int, stop: int) -> np.ndarray:
            counts = _dense(xt[start:stop] @ x).astype(np.float64)
            block = counts / (np.outer(norms[start:stop], norms) + shrink)
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0
            return block

        def sparse_rows(start: int, stop: int) -> sp.csr_matrix:
            block = _without_diagonal(xt[start:stop] @ x, start=start)
            rows = np.repeat(np.arange(start, stop), np.diff(block.indptr))
            block.data = block.data.astype(np.float64) / (norms[rows] * norms[block.indices] + shrink)
            return block

        # S is symmetric: keeping each row's k best and transposing keeps each target item's k nearest neighbours.
        self.pruned = _item_item_top_k(
            dense_rows=dense_rows, sparse_rows=sparse_rows, size=items, k=self.params.neighbours,
            work=lambda: _row_work(x),
        )  # fmt: skip
        self.similarity = sp.csr_matrix(self.pruned.T)

    def scores(self, *, profiles: sp.csr_matrix) -> np.ndarray:
        return _dense(profiles @ self.similarity).astype(np.float32)


class Rp3Beta:
    """RP3beta (Paudel et al. 2017): W = (P_iu · P_ui)^alpha, each column over its degree^β, k best per row."""

    name = "rp3beta"

    def __init__(self, params: Rp3Params) -> None:
        self.params = params
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, *, matrix: sp.csr_matrix) -> None:
        x = strengths(matrix)
        user_to_item = sp.csr_matrix(normalize(x, norm="l1", axis=1), dtype=np.float64)
        item_to_user = sp.csr_matrix(normalize(sp.csr_matrix(x.T), norm="l1", axis=1), dtype=np.float64)
        user_to_item.data **= self.params.alpha
        item_to_user.data **= self.params.alpha
        degrees = item_degrees(x)
        damping = np.divide(1.0, np.power(degrees, self.params.beta), out=np.zeros_like(degrees), where=degrees > 0)
        items = x.shape[1]

        def dense_rows(start: int, stop: int) -> np.ndarray:
            block = _dense(item_to_user[start:stop] @ user_to_item) * damping
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0
            return block

        def sparse_rows(start: int, stop: int) -> sp.csr_matrix:
            block = _without_diagonal(item_to_user[start:stop] @ user_to_item, start=start)
            block.data *= damping[block.indices]
            return block

        self.similarity = _item_item_top_k(
            dense_rows=dense_rows, sparse_rows=sparse_rows, size=items, k=self.params.neighbours,
            work=lambda: _row_work(x),
        )  # fmt: skip

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
        x = strengths(matrix)
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
