"""Core-set selection by greedy k-center (Sener & Savarese 2018, "Active Learning for
Convolutional Neural Networks: A Core-Set Approach").

Repeatedly pick the candidate farthest from everything labeled or already
picked, which 2-approximates the minimax facility-location problem: the
batch covers the embedding space with the smallest radius.

Implementation: the distance of each candidate to its nearest labeled item
is computed once, in blocks; after each pick only the distances to the new
center are computed (one N x D matrix-vector product) and folded in with a
running minimum. Float32 throughout; time O(n·N·D), memory O(N·D). With
nothing labeled, the first center is a random candidate (its score is inf).
"""

from __future__ import annotations

import numpy as np

from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    ModelOutputs,
    Query,
    QueryStrategy,
)
from activelearn.strategies.geometry import as_float32, min_squared_distances, squared_norms
from activelearn.strategies.registry import register


def k_center_greedy(
    X: np.ndarray, labeled: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``n`` greedy k-center picks and their distance to the cover when picked."""
    X = as_float32(X)
    norms = squared_norms(X)
    if len(labeled):
        nearest = min_squared_distances(X, as_float32(labeled))
    else:
        nearest = np.full(len(X), np.inf, dtype=np.float32)
    chosen = np.empty(n, dtype=int)
    radii = np.empty(n)
    for t in range(n):
        pick = int(rng.integers(len(X))) if t == 0 and not len(labeled) else int(nearest.argmax())
        chosen[t], radii[t] = pick, nearest[pick]
        d2 = norms - 2.0 * (X @ X[pick]) + norms[pick]
        np.minimum(nearest, d2, out=nearest)
        nearest[pick] = -1.0  # below any distance: never picked twice, even among duplicates
    return chosen, np.sqrt(np.maximum(radii, 0.0))


@register
class CoreSet(QueryStrategy):
    name = "coreset"
    requires = frozenset({EMBEDDINGS, LABELED_EMBEDDINGS})

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        chosen, radii = k_center_greedy(outputs.embeddings, outputs.labeled_embeddings, n, rng)
        return Query(chosen, radii)
