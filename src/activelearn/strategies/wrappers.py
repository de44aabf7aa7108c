"""Wrappers that compose with any strategy: class balance and pool subsampling.

* ``class_balanced`` splits the batch evenly over the *predicted* classes and
  lets the base strategy choose inside each class. Uncertainty sampling on a
  skewed pool otherwise keeps drawing the majority class (Aggarwal et al.
  2020, "Active Learning for Imbalanced Datasets"; Ertekin et al. 2007).
  With a row-wise base (uncertainty, committee scores) it runs part by part,
  so a pool scored in chunks never holds all its probabilities.
* ``subsample`` runs an expensive base strategy on a subset of a huge pool:
  random candidates, or the nearest unlabeled neighbours of the labeled set
  (SEALS: Coleman et al. 2022, "Similarity Search for Efficient Active
  Learning and Search of Rare Concepts"). ``Query.notes`` says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from activelearn.errors import ConfigError
from activelearn.strategies.allocation import allocate
from activelearn.strategies.base import (
    EMBEDDINGS,
    LABELED_EMBEDDINGS,
    PROBABILITIES,
    ModelOutputs,
    Query,
    QueryStrategy,
    ScoringStrategy,
    resolve_base,
)
from activelearn.strategies.registry import register
from activelearn.strategies.streaming import class_leaders


@register
class ClassBalanced(QueryStrategy):
    """Equal quotas per predicted class (a small class gives its unused share to the rest)."""

    name = "class_balanced"

    def __init__(
        self, base: str | QueryStrategy = "margin", base_params: dict[str, Any] | None = None
    ) -> None:
        self.base = resolve_base(base, base_params)
        self.requires = self.base.requires | {PROBABILITIES}

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        if isinstance(self.base, ScoringStrategy) and self.base.rowwise:
            return self._select_streamed(outputs, n, rng)
        predicted = outputs.probabilities.argmax(axis=1)
        n_classes = outputs.probabilities.shape[1]
        groups = [np.flatnonzero(predicted == c) for c in range(n_classes)]
        quotas = allocate(np.ones(n_classes), n, np.array([len(g) for g in groups]))
        indices, scores, notes = [], [], []
        for group, quota in zip(groups, quotas, strict=True):
            if quota == 0:
                continue
            picked = self.base.query(outputs.subset(group), int(quota), rng)
            indices.append(group[picked.indices])
            scores.append(picked.scores.astype(float))
            notes.extend(picked.notes)
        quota_note = "per predicted class: " + ", ".join(str(int(q)) for q in quotas)
        return Query(np.concatenate(indices), np.concatenate(scores), (*notes, quota_note))

    def _select_streamed(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        """The same picks for a row-wise base, part by part: each class keeps its top ``n``
        (quotas are known only once every part is seen, and none exceeds ``n``)."""
        tops, counts = class_leaders(outputs, self.base, n)
        quotas = allocate(np.ones(len(tops)), n, counts)
        indices, picked = [], []
        for top, quota in zip(tops, quotas, strict=True):
            if quota > 0:  # in class order, as the in-memory path draws its ties
                chosen, chosen_scores = top.finish(rng, int(quota))
                indices.append(chosen)
                picked.append(chosen_scores.astype(float))
        quota_note = "per predicted class: " + ", ".join(str(int(q)) for q in quotas)
        return Query(np.concatenate(indices), np.concatenate(picked), (quota_note,))


@register
class Subsample(QueryStrategy):
    """Run ``base`` on at most ``size`` candidates instead of the whole pool.

    ``method="random"`` draws them uniformly. ``method="nearest"`` takes the
    ``neighbors`` nearest candidates of every labeled item (SEALS), topped up
    at random when that yields fewer than ``size``; it needs embeddings of the
    candidates and of the labeled set.
    """

    name = "subsample"

    def __init__(
        self,
        base: str | QueryStrategy = "coreset",
        size: int = 10_000,
        method: str = "random",
        neighbors: int = 100,
        base_params: dict[str, Any] | None = None,
    ) -> None:
        if method not in ("random", "nearest"):
            raise ConfigError(f"subsample method must be 'random' or 'nearest', got {method!r}")
        if size < 1 or neighbors < 1:
            raise ConfigError("subsample size and neighbors must be positive")
        self.base = resolve_base(base, base_params)
        self.size = size
        self.method = method
        self.neighbors = neighbors
        extra = {EMBEDDINGS, LABELED_EMBEDDINGS} if method == "nearest" else set()
        self.requires = self.base.requires | extra

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        total = outputs.n_candidates
        size = max(self.size, n)
        if size >= total:
            return self.base.query(outputs, n, rng)
        candidates = np.empty(0, dtype=int)
        how = "random"
        if self.method == "nearest" and len(outputs.labeled_embeddings) > 0:
            candidates = self._nearest(outputs, size)
            how = f"{len(candidates):,} nearest neighbours of the labeled set"
        if len(candidates) < size:
            how += f", {size - len(candidates):,} random" if len(candidates) else ""
            free = np.ones(total, dtype=bool)
            free[candidates] = False
            extra = rng.choice(np.flatnonzero(free), size - len(candidates), replace=False)
            candidates = np.concatenate([candidates, np.sort(extra)])
        picked = self.base.query(outputs.subset(candidates), n, rng)
        note = f"{self.base.name} ran on {len(candidates):,} of {total:,} candidates ({how})"
        return Query(candidates[picked.indices], picked.scores, (*picked.notes, note))

    def _nearest(self, outputs: ModelOutputs, size: int) -> np.ndarray:
        """Union of the labeled items' nearest candidates, closest first, at most ``size``."""
        k = min(self.neighbors, outputs.n_candidates)
        index = NearestNeighbors(n_neighbors=k).fit(outputs.embeddings)
        distances, neighbors = index.kneighbors(outputs.labeled_embeddings)
        order = np.argsort(distances, axis=None, kind="stable")
        flat = neighbors.ravel()[order]
        _, first = np.unique(flat, return_index=True)
        return flat[np.sort(first)][:size]
