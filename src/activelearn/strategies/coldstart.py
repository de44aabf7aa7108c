"""Cold start: choose what to label when the model knows nothing yet.

Both strategies need only embeddings (from a pretrained or self-supervised
encoder), so they also pick the very first seed; use :func:`select_initial`.
If ``labeled_embeddings`` are given, regions already labeled are avoided.

* ``typiclust`` (Hacohen, Dekel & Weinshall 2022, "Active Learning on a
  Budget: Opposite Strategies Suit High and Low Budgets"): cluster the pool
  into (labeled + n) clusters, at most ``max_clusters``; repeatedly take the
  cluster holding the fewest labeled or picked items (the largest on ties)
  and pick its most *typical* item, typicality being the inverse mean
  distance to its ``neighbors`` nearest neighbours inside the cluster.
* ``probcover`` (Yehuda et al. 2022, "Active Learning Through a Covering
  Lens"): join items closer than ``radius``; greedily pick the item whose
  ball covers the most not-yet-covered items (balls of labeled items count
  as covered). Once everything is covered, the rest is drawn at random and
  ``Query.notes`` says so. Without a ``radius``, it is the median distance
  to the 10th nearest neighbour (measured from up to 1,000 sampled items),
  so a typical ball holds about ten items; Yehuda et al. instead take the
  largest radius whose balls stay 95% pure with respect to k-means clusters.
  Finding the pairs costs O(N²·D) time (memory: one entry per pair within
  the radius): for pools beyond ~20k wrap it in ``subsample``.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from activelearn.errors import ConfigError
from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    ModelOutputs,
    Query,
    QueryStrategy,
)
from activelearn.strategies.candidates import bounded
from activelearn.strategies.geometry import as_float32, kmeans, mean_knn_distance
from activelearn.strategies.registry import make_strategy, register


def typicality(X: np.ndarray, neighbors: int) -> np.ndarray:
    """1 / mean distance to the ``neighbors`` nearest other rows of X (1 for a lone row)."""
    k = min(neighbors, len(X) - 1)
    if k < 1:
        return np.ones(len(X))
    return 1.0 / (mean_knn_distance(X, k) + 1e-12)


@register
class TypiClust(QueryStrategy):
    name = "typiclust"
    # The labeled set steers later rounds away from covered regions; with no labels
    # yet (a cold-start seed) it is simply empty.
    requires = frozenset({EMBEDDINGS, LABELED_EMBEDDINGS})

    def __init__(self, neighbors: int = 20, max_clusters: int = 500) -> None:
        if neighbors < 1 or max_clusters < 1:
            raise ConfigError("typiclust neighbors and max_clusters must be positive")
        self.neighbors = neighbors
        self.max_clusters = max_clusters

    @bounded
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        X = as_float32(outputs.embeddings)
        labeled = outputs.labeled_embeddings
        n_labeled = 0 if labeled is None else len(labeled)
        k = min(len(X), n_labeled + n, max(self.max_clusters, n))
        clusters, centroids = kmeans(X, k, rng)
        members = [np.flatnonzero(clusters == c) for c in range(k)]
        counts = np.zeros(k, dtype=int)
        if n_labeled:
            nearest = NearestNeighbors(n_neighbors=1).fit(centroids)
            counts += np.bincount(nearest.kneighbors(as_float32(labeled))[1][:, 0], minlength=k)
        sizes = np.array([len(m) for m in members])
        remaining = sizes.copy()
        ranked: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # members, most typical first
        chosen, chosen_scores = [], []
        for _ in range(n):
            order = np.lexsort((np.arange(k), -sizes, counts))
            c = int(order[remaining[order] > 0][0])
            if c not in ranked:
                t = typicality(X[members[c]], self.neighbors)
                best = np.lexsort((members[c], -t))
                ranked[c] = members[c][best], t[best]
            position = sizes[c] - remaining[c]
            chosen.append(ranked[c][0][position])
            chosen_scores.append(ranked[c][1][position])
            remaining[c] -= 1
            counts[c] += 1
        return Query(np.array(chosen), np.array(chosen_scores))


def estimate_radius(X: np.ndarray, rng: np.random.Generator, neighbors: int = 10) -> float:
    """Median distance to the ``neighbors``-th nearest neighbour, over up to 1,000 sampled items."""
    sample = rng.choice(len(X), size=min(len(X), 1000), replace=False)
    k = min(neighbors, len(X) - 1)
    if k < 1:
        return 0.0
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X[sample])
    return float(np.median(distances[:, k]))


@register
class ProbCover(QueryStrategy):
    name = "probcover"
    requires = frozenset({EMBEDDINGS, LABELED_EMBEDDINGS})

    def __init__(self, radius: float | None = None) -> None:
        if radius is not None and radius < 0:
            raise ConfigError(f"probcover radius must be non-negative, got {radius}")
        self.radius = radius

    @bounded
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        X = as_float32(outputs.embeddings)
        radius = estimate_radius(X, rng) if self.radius is None else self.radius
        index = NearestNeighbors(radius=radius).fit(X)
        balls = index.radius_neighbors_graph(X, mode="connectivity").tocsr()
        covered = np.zeros(len(X), dtype=bool)
        labeled = outputs.labeled_embeddings
        if labeled is not None and len(labeled):
            for near in index.radius_neighbors(as_float32(labeled), return_distance=False):
                covered[near] = True
        free = np.ones(len(X), dtype=bool)
        chosen, gains = [], []
        n_random = 0
        for _ in range(n):
            gain = balls @ (~covered).astype(np.int32)
            gain[~free] = -1
            pick = int(gain.argmax())
            if gain[pick] == 0:  # everything is covered: the rest at random
                pick = int(rng.choice(np.flatnonzero(free)))
                n_random += 1
            chosen.append(pick)
            gains.append(max(int(gain[pick]), 0))
            free[pick] = False
            covered[balls.indices[balls.indptr[pick] : balls.indptr[pick + 1]]] = True
        notes = (f"radius {radius:.4g}",)
        if n_random:
            notes += (
                f"the pool was covered after {n - n_random} picks; {n_random} drawn at random",
            )
        return Query(np.array(chosen), np.array(gains, dtype=float), notes)


COLD_START_METHODS = ("typiclust", "probcover", "kmeans", "coreset", "random")


def select_initial(
    embeddings: np.ndarray, n: int, rng: np.random.Generator, method: str = "typiclust", **params
) -> np.ndarray:
    """Pool positions of a first seed of ``n`` items, chosen from embeddings alone.

    ``method`` is one of :data:`COLD_START_METHODS`; ``params`` go to the strategy.
    """
    if method not in COLD_START_METHODS:
        raise ConfigError(f"cold-start method must be one of {COLD_START_METHODS}, got {method!r}")
    embeddings = np.asarray(embeddings)
    outputs = ModelOutputs(
        embeddings=embeddings,
        labeled_embeddings=np.empty((0, embeddings.shape[1]), dtype=embeddings.dtype),
    )
    return make_strategy(method, **params).query(outputs, n, rng).indices
