"""Shared geometry for the embedding strategies: batched distances and k-means.

Nothing here builds an N x N (or N x M) matrix: distances between two sets
are computed in blocks and reduced on the fly, so memory is O((N + M)·D).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

BLOCK = 2048  # rows per block: a 2048 x 2048 float32 block is 16 MiB
KMEANS_MAX_ITER = 30


def as_float32(X: np.ndarray) -> np.ndarray:
    """C-contiguous float32: halves memory traffic, which bounds these loops."""
    return np.ascontiguousarray(X, dtype=np.float32)


def squared_norms(X: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", X, X)


def min_squared_distances(X: np.ndarray, Y: np.ndarray, *, block: int = BLOCK) -> np.ndarray:
    """min_j ||x_i - y_j||^2 for every row of X (inf when Y is empty), in blocks."""
    best = np.full(len(X), np.inf, dtype=np.float32)
    if len(Y) == 0:
        return best
    x_norms, y_norms = squared_norms(X), squared_norms(Y)
    for j in range(0, len(Y), block):
        y_block, y_norm = Y[j : j + block], y_norms[j : j + block]
        for i in range(0, len(X), block):
            d2 = x_norms[i : i + block, None] - 2.0 * (X[i : i + block] @ y_block.T) + y_norm
            np.minimum(best[i : i + block], d2.min(axis=1), out=best[i : i + block])
    return np.maximum(best, 0.0)


def mean_knn_distance(X: np.ndarray, k: int, *, block: int = BLOCK) -> np.ndarray:
    """Mean distance of each row to its ``k`` nearest other rows, in row blocks.

    For the small sets TypiClust asks about (one cluster at a time) this is
    far cheaper than building a scikit-learn index per cluster.
    """
    norms = squared_norms(X)
    out = np.empty(len(X))
    for i in range(0, len(X), block):
        d2 = norms[i : i + block, None] - 2.0 * (X[i : i + block] @ X.T) + norms
        d2[np.arange(len(d2)), np.arange(i, i + len(d2))] = np.inf  # not its own neighbour
        nearest = np.partition(d2, k - 1, axis=1)[:, :k]
        out[i : i + block] = np.sqrt(np.maximum(nearest, 0.0)).mean(axis=1)
    return out


def kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` seeds by D² sampling (Arthur & Vassilvitskii 2007), one trial each.

    scikit-learn's greedy k-means++ tries 2 + log k candidates per center and
    computes their distances to all points, which dominated k-means time
    here; one trial costs one matrix-vector product per center.
    """
    norms = squared_norms(X)
    chosen = np.empty(k, dtype=int)
    chosen[0] = rng.integers(len(X))
    nearest = np.maximum(norms - 2.0 * (X @ X[chosen[0]]) + norms[chosen[0]], 0.0)
    for t in range(1, k):
        nearest[chosen[:t]] = 0.0
        total = float(nearest.sum(dtype=np.float64))
        if total > 0:
            chosen[t] = rng.choice(len(X), p=nearest.astype(np.float64) / total)
        else:  # fewer distinct points than k: any unchosen one
            free = np.ones(len(X), dtype=bool)
            free[chosen[:t]] = False
            chosen[t] = rng.choice(np.flatnonzero(free))
        d2 = np.maximum(norms - 2.0 * (X @ X[chosen[t]]) + norms[chosen[t]], 0.0)
        np.minimum(nearest, d2, out=nearest)
    return chosen


def kmeans(
    X: np.ndarray,
    k: int,
    rng: np.random.Generator,
    *,
    max_iter: int = KMEANS_MAX_ITER,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels and centroids of ``k`` clusters: D²-sampled seeds, then Lloyd.

    ``max_iter`` caps Lloyd's iterations: these strategies only need centroids
    good enough to find representatives, and the objective moves little after
    a few dozen iterations (50k x 384 Gaussian data: 63 iterations to converge,
    inertia within 0.02% after 20). MiniBatchKMeans was slower than this at
    50k x 384 (24 s vs 4.5 s for 100 clusters); for bigger pools wrap the
    strategy in ``subsample``. Duplicate points can leave fewer than ``k``
    distinct clusters; callers fill the batch from the remaining items.
    """
    seeds = X[kmeans_plus_plus(X, k, rng)]
    model = KMeans(n_clusters=k, init=seeds, n_init=1, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(X)
    return labels, model.cluster_centers_.astype(X.dtype)


def best_per_group(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """For each distinct group, the index with the smallest key (ties: lower index)."""
    order = np.lexsort((np.arange(len(key)), key, groups))
    first = np.ones(len(order), dtype=bool)
    first[1:] = groups[order][1:] != groups[order][:-1]
    return order[first]


def fill(chosen: np.ndarray, n: int, preference: np.ndarray) -> np.ndarray:
    """``chosen`` topped up to ``n`` unique indices by ascending ``preference``."""
    if len(chosen) >= n:
        return chosen[:n]
    taken = np.zeros(len(preference), dtype=bool)
    taken[chosen] = True
    order = np.lexsort((np.arange(len(preference)), preference))
    extra = order[~taken[order]][: n - len(chosen)]
    return np.concatenate([chosen, extra])
