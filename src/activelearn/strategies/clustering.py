"""Clustering-based batches on embeddings.

* ``kmeans``: cluster the candidates into ``n`` clusters and take the item
  nearest each centroid: a representative batch, blind to the model's
  uncertainty (the k-means baseline of e.g. Sener & Savarese 2018 and
  Zhdanov 2019, "Diverse mini-batch Active Learning").
* ``cluster_margin``: diversity among the uncertain. Take the
  ``candidates_factor * n`` lowest-margin candidates, cluster them into
  ``n`` clusters with k-means, and take each cluster's lowest-margin item.
  This follows Citovsky et al. 2021 ("Batch Active Learning at Scale"),
  with k-means on the uncertain subset in place of their pool-wide
  hierarchical clustering (which needs pairwise distances).

Both cost one k-means run: O(iterations · N · n · D) time, O(N·D) memory.
For pools of hundreds of thousands wrap the strategy in ``subsample``.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import (
    EMBEDDINGS,
    PROBABILITIES,
    ModelOutputs,
    Query,
    QueryStrategy,
    top_k,
)
from activelearn.strategies.candidates import bounded
from activelearn.strategies.geometry import as_float32, best_per_group, fill, kmeans
from activelearn.strategies.registry import register
from activelearn.strategies.uncertainty import margin_scores


@register
class KMeansSampling(QueryStrategy):
    name = "kmeans"
    requires = frozenset({EMBEDDINGS})

    @bounded
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        X = as_float32(outputs.embeddings)
        labels, centroids = kmeans(X, n, rng)
        distance = np.linalg.norm(X - centroids[labels], axis=1)
        chosen = fill(best_per_group(labels, distance), n, distance)
        return Query(chosen, -distance[chosen])


@register
class ClusterMargin(QueryStrategy):
    name = "cluster_margin"
    requires = frozenset({PROBABILITIES, EMBEDDINGS})

    def __init__(self, candidates_factor: float = 10.0) -> None:
        if candidates_factor < 1:
            raise ConfigError(f"candidates_factor must be at least 1, got {candidates_factor}")
        self.candidates_factor = candidates_factor

    @bounded
    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        scores = margin_scores(outputs.probabilities)
        m = min(outputs.n_candidates, int(np.ceil(self.candidates_factor * n)))
        uncertain = top_k(scores, m, rng)
        labels, _ = kmeans(as_float32(outputs.embeddings[uncertain]), n, rng)
        local = fill(best_per_group(labels, -scores[uncertain]), n, -scores[uncertain])
        chosen = uncertain[local]
        return Query(chosen, scores[chosen])
