"""Shared geometry for the embedding strategies: batched distances and k-means.

Nothing here builds an N x N (or N x M) matrix: distances between two sets
are computed in blocks and reduced on the fly, so memory is O((N + M)·D).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning

BLOCK = 2048  # rows per block: a 2048 x 2048 float32 block is 16 MiB


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


def seed_from(rng: np.random.Generator) -> int:
    """An integer seed for libraries that do not take a Generator (scikit-learn)."""
    return int(rng.integers(2**31 - 1))


def kmeans(
    X: np.ndarray, k: int, rng: np.random.Generator, *, minibatch: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels and centroids of ``k`` clusters (k-means++ init, one run).

    ``minibatch`` switches to MiniBatchKMeans for pools of hundreds of
    thousands. Duplicate points can leave fewer than ``k`` distinct clusters;
    callers fill the batch from the remaining items.
    """
    cls = MiniBatchKMeans if minibatch else KMeans
    model = cls(n_clusters=k, n_init=1, random_state=seed_from(rng))
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
