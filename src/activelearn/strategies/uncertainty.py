"""Uncertainty sampling (Lewis & Gale 1994; Settles 2009, "Active Learning Literature Survey").

Each strategy turns the N x C probability matrix into one score per item in
a single vectorised pass and keeps the top ``n`` with ``argpartition``.
"""

from __future__ import annotations

import numpy as np

from activelearn.strategies.base import ModelOutputs, Query, QueryStrategy, top_k
from activelearn.strategies.registry import register


def least_confidence_scores(probabilities: np.ndarray) -> np.ndarray:
    """1 - max_c p(c|x): high when even the best class is unlikely."""
    return 1.0 - probabilities.max(axis=1)


def margin_scores(probabilities: np.ndarray) -> np.ndarray:
    """-(p_top1 - p_top2): high when the two best classes are close."""
    if probabilities.shape[1] == 2:
        return -np.abs(probabilities[:, 0] - probabilities[:, 1])
    top2 = np.partition(probabilities, -2, axis=1)[:, -2:]
    return top2[:, 0] - top2[:, 1]


def entropy_scores(probabilities: np.ndarray) -> np.ndarray:
    """Shannon entropy -sum_c p log p (0 log 0 = 0)."""
    p = np.asarray(probabilities, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(p > 0, np.log(p), 0.0)
    return -np.einsum("ij,ij->i", p, logp)


class _ScoreStrategy(QueryStrategy):
    """Top-n by a per-item score of the probabilities."""

    @staticmethod
    def scores(probabilities: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def select(self, outputs: ModelOutputs, n: int, rng: np.random.Generator) -> Query:
        scores = self.scores(outputs.probabilities)
        chosen = top_k(scores, n)
        return Query(chosen, scores[chosen])


@register
class LeastConfidence(_ScoreStrategy):
    name = "least_confidence"
    scores = staticmethod(least_confidence_scores)


@register
class Margin(_ScoreStrategy):
    name = "margin"
    scores = staticmethod(margin_scores)


@register
class Entropy(_ScoreStrategy):
    name = "entropy"
    scores = staticmethod(entropy_scores)
